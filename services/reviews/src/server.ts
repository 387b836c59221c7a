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
  const app = createApp({ config, db, logger, isReady });
  await serve({
    app,
    host: config.HOST,
    port: config.PORT,
    logger,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    onDraining: () => (draining = true),
    cleanups: [() => db.$disconnect()],
  });
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
