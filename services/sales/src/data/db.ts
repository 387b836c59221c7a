import { createDatabase } from '@shop/kit';
import { PrismaClient } from '../generated/prisma';

/** Prisma for typed model queries, `sql` for the hand-written statements; one pool under both. */
export const connectDatabase = (config: { DATABASE_URL: string; DATABASE_POOL_SIZE: number }, onIdleError: (error: Error) => void) =>
  createDatabase(PrismaClient, config.DATABASE_URL, config.DATABASE_POOL_SIZE, onIdleError);
export type Db = ReturnType<typeof connectDatabase>;
