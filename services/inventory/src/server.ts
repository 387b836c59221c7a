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
    const { app, webhooks, retention, stock } = createApp({ config, db, logger, isReady });
    // The delivery worker and retention stop (what they hold in flight finishes) before the database goes.
    return {
      app,
      cleanups: [webhooks.stop, retention.stop, stock.close],
      afterListen: () => {
        webhooks.start();
        retention.start();
      },
    };
  },
});
