import { databaseConnector } from '@shop/kit';
import { PrismaClient } from '../generated/prisma';

export const connectDatabase = databaseConnector(PrismaClient);
export type Db = ReturnType<typeof connectDatabase>;
