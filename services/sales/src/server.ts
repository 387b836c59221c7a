import { ConfigError, createLogger, createPrisma, serve } from '@shop/kit';
import { createApp } from './app';
import { loadConfig } from './config';
import { PrismaClient } from './data/db';

async function main() {
  const config = loadConfig();
  const logger = createLogger('sales', config.LOG_LEVEL);
  const db = createPrisma(PrismaClient, config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  let draining = false;
  const isReady = async () => !draining && (await db.$queryRawUnsafe('SELECT 1').then(() => true));
  const { app, recovery, close } = createApp({ config, db, logger, isReady });
  await serve({
    app,
    host: config.HOST,
    port: config.PORT,
    logger,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    onDraining: () => (draining = true),
    // The sweep stops (finishing the sale it holds) before the database goes.
    cleanups: [close, () => db.$disconnect()],
  });
  // Pending sales a crash left behind are undone now, then on every interval.
  recovery.start();
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
