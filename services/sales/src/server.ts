import { runService } from '@shop/kit';
import { createApp } from './app';
import { loadConfig } from './config';
import { connectDatabase } from './data/db';

runService({
  name: 'sales',
  loadConfig,
  connect: connectDatabase,
  async start({ config, db, logger, isReady }) {
    const { app, recovery, close } = createApp({ config, db, logger, isReady });
    return {
      app,
      // The sweep stops (finishing the sale it holds) before the database goes.
      cleanups: [close],
      // Pending sales a crash left behind are undone now, then on every interval.
      afterListen: () => recovery.start(),
    };
  },
});
