import { PrismaClient } from '../generated/prisma';

export { PrismaClient };
export type Db = PrismaClient;
