import './tracing';
import { runService } from '@shop/kit';
import { createApp } from './app';
import { loadConfig } from './config';
import { connectDatabase } from './data/db';

runService({
  name: 'reviews',
  loadConfig,
  connect: connectDatabase,
  start({ config, db, logger, isReady, isDraining }) {
    const { app, reviews, webhooks, refunds, retention } = createApp({ config, db, logger, isReady });

    // Reviews written while sales was unreachable are asked about again on a timer (and at moderation/edits).
    let sweeping = false;
    const sweep = async () => {
      if (sweeping || isDraining()) return;
      sweeping = true;
      try {
        const updated = await reviews.recheckPurchases();
        if (updated) logger.info({ updated }, 'verified purchases re-checked with sales');
      } catch (error) {
        logger.warn({ err: error }, 'purchase re-check sweep failed');
      } finally {
        sweeping = false;
      }
    };
    const timer = config.PURCHASE_RECHECK_INTERVAL_MS > 0 ? setInterval(() => void sweep(), config.PURCHASE_RECHECK_INTERVAL_MS).unref() : undefined;
    // The delivery worker stops (its attempts in flight finish) before the database goes.
    return {
      app,
      cleanups: [() => Promise.resolve(clearInterval(timer)), refunds.stop, webhooks.stop, retention.stop],
      afterListen: () => {
        webhooks.start();
        refunds.start();
        retention.start();
      },
    };
  },
});
