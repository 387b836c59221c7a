import { runService } from '@shop/kit';
import { createApp } from './app';
import { loadConfig } from './config';
import { connectDatabase } from './data/db';

runService({
  name: 'inventory',
  loadConfig,
  connect: connectDatabase,
  start: async ({ config, db, logger, isReady }) => ({ app: createApp({ config, db, logger, isReady }) }),
});
