import './tracing';
import { runService, untilDatabaseAnswers } from '@shop/kit';
import { createApp } from './app';
import { DEVELOPMENT_ADMIN_PASSWORD, loadConfig } from './config';
import { connectDatabase } from './data/db';
import { createSigner } from './keys';

runService({
  name: 'customers',
  loadConfig,
  connect: connectDatabase,
  async start({ config, db, logger, isReady }) {
    const signer = createSigner(config);
    const { app, customers, webhooks, purges } = createApp({ config, db, logger, signer, isReady });
    await untilDatabaseAnswers(
      'creating the admin account',
      () => customers.ensureAdmin(config.ADMIN_USERNAME, config.ADMIN_PASSWORD ?? DEVELOPMENT_ADMIN_PASSWORD),
      logger,
    );
    if (!config.ADMIN_PASSWORD) logger.warn(`admin account "${config.ADMIN_USERNAME}" uses the development password "${DEVELOPMENT_ADMIN_PASSWORD}"`);
    // The delivery worker and the purges stop (what is in flight finishes) before the database goes.
    return {
      app,
      cleanups: [webhooks.stop, purges.stop],
      afterListen: () => {
        webhooks.start();
        purges.start();
      },
    };
  },
});
