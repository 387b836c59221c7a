import { ConfigError, createLogger, createPrisma, serve } from '@shop/kit';
import { createApp } from './app';
import { DEVELOPMENT_ADMIN_PASSWORD, loadConfig } from './config';
import { PrismaClient } from './data/db';
import { createSigner } from './keys';

async function main() {
  const config = loadConfig();
  const logger = createLogger('customers', config.LOG_LEVEL);
  const db = createPrisma(PrismaClient, config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  let draining = false;
  const isReady = async () => !draining && (await db.$queryRawUnsafe('SELECT 1').then(() => true));
  const { app, customers } = createApp({ config, db, logger, signer: createSigner(config.JWT_PRIVATE_KEY, config.JWT_TTL_SECONDS), isReady });

  const adminPassword = config.ADMIN_PASSWORD ?? DEVELOPMENT_ADMIN_PASSWORD;
  await customers.ensureAdmin(config.ADMIN_USERNAME, adminPassword);
  if (!config.ADMIN_PASSWORD) logger.warn(`admin account "${config.ADMIN_USERNAME}" uses the development password "${DEVELOPMENT_ADMIN_PASSWORD}"`);

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
