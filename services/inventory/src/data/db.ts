import { PrismaClient } from '../generated/prisma';

export { PrismaClient };
export type Db = PrismaClient;

/**
 * Interactive transactions here are short (a few statements), but under a burst they queue for a pool
 * connection and for the item's row lock: give them longer than Prisma's 2 s / 5 s defaults.
 */
export const TX_OPTIONS = { maxWait: 10_000, timeout: 15_000 } as const;
