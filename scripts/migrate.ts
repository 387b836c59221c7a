// Applies one service's migrations to DATABASE_URL and exits: the one-shot step before a service starts
// in docker-compose (a `migrate-<service>` container) or Kubernetes (an init container / Job).
//
//   DATABASE_URL=postgresql://… tsx scripts/migrate.ts <customers|inventory|sales|reviews>
//
// Same runner as `pnpm start` and the tests (devkit applyMigrations): each prisma/<service>/migrations/*
// file in name order, in its own transaction, under Prisma's advisory lock (so replicas racing at start are
// safe), recorded in _prisma_migrations exactly as `prisma migrate deploy` records them. Creates the
// database first when it is missing and the role may do so. Exit code 0 = up to date.
import path from 'node:path';
import { applyMigrations, ensureDatabase, SERVICES, type ServiceName } from '@shop/devkit';

const ROOT = path.resolve(__dirname, '..');

async function main() {
  const service = process.argv[2] as ServiceName | undefined;
  const url = process.env.DATABASE_URL;
  if (!service || !(service in SERVICES) || !url) {
    console.error(`usage: DATABASE_URL=postgresql://… tsx scripts/migrate.ts <${Object.keys(SERVICES).join('|')}>`);
    process.exit(2);
  }
  const started = Date.now();
  // Connection refused while the database container is still starting: retry for a while (compose and
  // Kubernetes start everything at once; a healthcheck dependency is not always there).
  const deadline = started + Number(process.env.MIGRATE_WAIT_MS ?? 60_000);
  for (;;) {
    try {
      await ensureDatabase(url).catch((error: { code?: string }) => {
        if (error.code === 'ECONNREFUSED' || error.code === '57P03' || error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') throw error;
        // no permission to connect to `postgres` / create databases: the database must already exist
      });
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  // A migration waits at most MIGRATE_LOCK_TIMEOUT_MS for its locks (the shop queues behind it meanwhile).
  const applied = await applyMigrations(url, path.join(ROOT, 'prisma', service, 'migrations'), {
    statementTimeoutMs: Number(process.env.MIGRATE_STATEMENT_TIMEOUT_MS ?? 600_000),
    lockTimeoutMs: Number(process.env.MIGRATE_LOCK_TIMEOUT_MS ?? 10_000),
  });
  console.log(
    applied.length
      ? `${service}: applied ${applied.length} migration(s) in ${Date.now() - started} ms: ${applied.join(', ')}`
      : `${service}: up to date (${Date.now() - started} ms)`,
  );
}

main().catch((error: Error) => {
  console.error(`migration failed: ${error.message}`);
  process.exit(1);
});
