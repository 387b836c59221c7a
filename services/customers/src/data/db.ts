import { createDatabase } from '@shop/kit';
import { PrismaClient } from '../generated/prisma';

/** Prisma for typed model queries, `sql` for the hand-written statements; one pool under both. */
export const connectDatabase = (url: string, poolSize: number, onIdleError: (error: Error) => void) =>
  createDatabase(PrismaClient, url, poolSize, onIdleError);
export type Db = ReturnType<typeof connectDatabase>;
