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
  // Started beside its database (compose, Kubernetes), the step may find it still starting, or its host name
  // missing from the network's DNS for a moment (podman's DNS drops queries while other containers start).
  // The whole step is tried again: each migration is its own transaction, recorded once, so a step cut off
  // half-way resumes where it stopped.
  const deadline = started + Number(process.env.MIGRATE_WAIT_MS ?? 60_000);
  let applied: string[];
  for (;;) {
    try {
      await ensureDatabase(url).catch((error: { code?: string }) => {
        if (isTransient(error)) throw error;
        // no permission to connect to `postgres` / create databases: the database must already exist
      });
      // A migration waits at most MIGRATE_LOCK_TIMEOUT_MS for its locks (the shop queues behind it meanwhile).
      applied = await applyMigrations(url, path.join(ROOT, 'prisma', service, 'migrations'), {
        statementTimeoutMs: Number(process.env.MIGRATE_STATEMENT_TIMEOUT_MS ?? 600_000),
        lockTimeoutMs: Number(process.env.MIGRATE_LOCK_TIMEOUT_MS ?? 10_000),
      });
      break;
    } catch (error) {
      if (!isTransient(error) || Date.now() > deadline) throw error;
      console.error(`${service}: the database is not answering yet (${(error as Error).message}); trying again`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  console.log(
    applied.length
      ? `${service}: applied ${applied.length} migration(s) in ${Date.now() - started} ms: ${applied.join(', ')}`
      : `${service}: up to date (${Date.now() - started} ms)`,
  );
}

/**
 * The database is not there yet, or the connection was cut: worth another try (unlike a wrong password). The
 * connection-level subset of the kit's databaseFault(), written out here because the migration runs from the
 * image through tsx, where the kit exists only compiled and is not linked for scripts/.
 */
function isTransient(error: unknown): boolean {
  const { code, message, cause } = (error ?? {}) as { code?: string; message?: string; cause?: unknown };
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ETIMEDOUT', '57P01', '57P03', '53300'].includes(code ?? '') ||
    /Connection terminated|not queryable/i.test(message ?? '') ||
    (cause !== undefined && isTransient(cause))
  );
}

main().catch((error: Error) => {
  console.error(`migration failed: ${error.message}`);
  process.exit(1);
});
