import './tracing';
import { runService } from '@shop/kit';
import { createApp } from './app';
import { loadConfig } from './config';
import { connectDatabase } from './data/db';

runService({
  name: 'sales',
  loadConfig,
  connect: connectDatabase,
  start({ config, db, logger, isReady }) {
    const { app, recovery, webhooks, retention, books, saleCounts, close } = createApp({ config, db, logger, isReady });
    return {
      app,
      // The sweep and the delivery worker stop (finishing what they hold) before the database goes.
      cleanups: [close],
      // Pending sales a crash left behind are undone now, then on every interval; webhooks are delivered.
      afterListen: () => {
        recovery.start();
        webhooks.start();
        retention.start();
        books.schedule.start();
        saleCounts.start();
      },
    };
  },
});
