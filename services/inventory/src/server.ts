import { createPrisma, runService } from '@shop/kit';
import { createApp } from './app';
import { loadConfig } from './config';
import { PrismaClient } from './data/db';

runService({
  name: 'inventory',
  loadConfig,
  connect: (config) => createPrisma(PrismaClient, config.DATABASE_URL, config.DATABASE_POOL_SIZE),
  start: async ({ config, db, logger, isReady }) => ({ app: createApp({ config, db, logger, isReady }) }),
});
