import './tracing';
import { runService } from '@shop/kit';
import { createApp } from './app';
import { loadConfig } from './config';
import { connectDatabase } from './data/db';

runService({
  name: 'inventory',
  loadConfig,
  connect: connectDatabase,
  start({ config, db, logger, isReady }) {
    const { app, webhooks } = createApp({ config, db, logger, isReady });
    // The delivery worker stops (its attempts in flight finish) before the database goes.
    return { app, cleanups: [webhooks.stop], afterListen: webhooks.start };
  },
});
