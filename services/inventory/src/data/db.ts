import { createDatabase, type DatabaseConfig } from '@shop/kit';
import { PrismaClient } from '../generated/prisma';

/** Prisma for typed model queries, `sql` for the hand-written statements; one pool under both. */
export const connectDatabase = (config: DatabaseConfig, onIdleError: (error: Error) => void) => createDatabase(PrismaClient, config, onIdleError);
export type Db = ReturnType<typeof connectDatabase>;
