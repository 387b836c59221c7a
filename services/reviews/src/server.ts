import { ConfigError, createLogger, createPrisma, serve } from '@shop/kit';
import { createApp } from './app';
import { loadConfig } from './config';
import { PrismaClient } from './data/db';

async function main() {
  const config = loadConfig();
  const logger = createLogger('reviews', config.LOG_LEVEL);
  const db = createPrisma(PrismaClient, config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  let draining = false;
  const isReady = async () => !draining && (await db.$queryRawUnsafe('SELECT 1').then(() => true));
  const { app, reviews } = createApp({ config, db, logger, isReady });

  // Reviews written while sales was unreachable are asked about again on a timer (and at moderation/edits).
  let sweeping = false;
  const sweep = async () => {
    if (sweeping || draining) return;
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
  const timer = config.PURCHASE_RECHECK_INTERVAL_MS > 0 ? setInterval(sweep, config.PURCHASE_RECHECK_INTERVAL_MS).unref() : undefined;

  await serve({
    app,
    host: config.HOST,
    port: config.PORT,
    logger,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    onDraining: () => (draining = true),
    cleanups: [async () => clearInterval(timer), () => db.$disconnect()],
  });
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
