import { runService } from '@shop/kit';
import { createApp } from './app';
import { loadConfig } from './config';
import { connectDatabase } from './data/db';

runService({
  name: 'inventory',
  loadConfig,
  connect: (config, onIdleError) => connectDatabase(config.DATABASE_URL, config.DATABASE_POOL_SIZE, onIdleError),
  start: async ({ config, db, logger, isReady }) => ({ app: createApp({ config, db, logger, isReady }) }),
});
