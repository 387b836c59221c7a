// `pnpm start`: the whole shop on one machine with one command.
//
// Without CUSTOMERS_DATABASE_URL … REVIEWS_DATABASE_URL it runs an embedded PostgreSQL 17 whose data lives
// in .data/postgres (git-ignored, kept across restarts), creates the four databases and applies their
// migrations, keeps generated secrets in .data/secrets.json, starts the four services as child processes
// (customers first; the others fetch its JWKS lazily, so they boot alongside), waits until every /ready answers and
// prints where everything is. While it runs, .data/sales.env.json (mode 600) holds sales' environment, which
// `pnpm audit:books` uses when none is given. Ctrl-C / SIGTERM stop the services gracefully, then PostgreSQL, exit 0.
//
// A service that dies is restarted with backoff (packages/devkit/src/supervise.ts); one that keeps crashing
// right after its start stops the shop, and so does PostgreSQL dying (every service needs it). The services'
// JSON logs are shown one readable line per event, prefixed with the service's name (LOG_FORMAT=json: raw).
//
// Children run in their own process groups, so a terminal's Ctrl-C reaches only this process, which
// decides the order. A lock file records their pids, so a start after a crash (kill -9) can clean up. The
// plumbing (the lock, ports, processes) is in packages/devkit; this file is the order of things.
import fs from 'node:fs';
import path from 'node:path';
import {
  adoptSuperuserPassword,
  applyMigrations,
  assertPortsFree,
  credentialsOf,
  databasePasswordOf,
  ensureDatabase,
  ensureServiceRole,
  exposureRefusal,
  forgetSalesEnv,
  loadOrCreateSecrets,
  parseStartConfig,
  SERVICES,
  startEmbeddedPostgres,
  StartError,
  startLock,
  pipeServiceLogs,
  recordSalesEnv,
  superviseService,
  whenLauncherGone,
  type EmbeddedServer,
  type ServiceName,
  type SupervisedService,
} from '@shop/devkit';
import { DEVELOPMENT_ADMIN_PASSWORD } from '../services/customers/src/development';

const ROOT = path.resolve(__dirname, '..');
const env = process.env;
/** What this script reads itself (packages/devkit/src/start-config.ts); the rest of env reaches the services as it is. */
const config = (() => {
  try {
    return parseStartConfig(env);
  } catch (error) {
    console.error(`[start] ${(error as Error).message}`);
    process.exit(1);
  }
})();
const DATA_DIR = path.resolve(ROOT, config.SHOP_DATA_DIR);
const LOCK_FILE = path.join(DATA_DIR, 'start.lock');
const NAMES = Object.keys(SERVICES) as ServiceName[];

const upper = (name: ServiceName) => name.toUpperCase() as Uppercase<ServiceName>;
const HOST = config.HOST;
const LOCAL_HOST = HOST === '0.0.0.0' || HOST === '::' ? '127.0.0.1' : HOST;
const POSTGRES_PORT = config.POSTGRES_PORT;

const log = (message: string) => console.log(`[start] ${message}`);
const lock = startLock(LOCK_FILE, { where: path.relative(ROOT, DATA_DIR), log });

let postgres: EmbeddedServer | undefined;
const running: SupervisedService[] = [];
/** Services still booting: a shutdown waits for them, so none is left behind when another fails to start. */
const launches: Promise<void>[] = [];
let stopping: Promise<void> | undefined;

async function main() {
  const ports = Object.fromEntries(NAMES.map((name) => [name, config[`${upper(name)}_PORT`]])) as Record<ServiceName, number>;
  const databaseUrls = configuredDatabaseUrls();
  // Beyond loopback, the development defaults (a public admin password, webhooks into private networks) are a door.
  const refusal = exposureRefusal(env, HOST, DEVELOPMENT_ADMIN_PASSWORD);
  if (refusal) throw new StartError(refusal);

  fs.mkdirSync(DATA_DIR, { recursive: true });
  await lock.take();
  await assertPortsFree([
    ...NAMES.map((name) => ({ port: ports[name], host: HOST, what: name, hint: `${upper(name)}_PORT` })),
    ...(databaseUrls ? [] : [{ port: POSTGRES_PORT, host: '127.0.0.1', what: 'the embedded PostgreSQL', hint: 'POSTGRES_PORT' }]),
  ]);

  const secrets = loadOrCreateSecrets(path.join(DATA_DIR, 'secrets.json'));
  // Databases: the configured ones, or an embedded PostgreSQL with data kept under .data/postgres, where each service
  // connects as its own role owning only its database (generated passwords in .data/secrets.json; never the superuser).
  let urls: Record<ServiceName, string>;
  if (databaseUrls) {
    urls = databaseUrls;
    log('using the configured databases (*_DATABASE_URL)');
  } else {
    const pgLog = fs.openSync(path.join(DATA_DIR, 'postgres.log'), 'a');
    postgres = await startEmbeddedPostgres({
      dataDir: path.join(DATA_DIR, 'postgres'),
      port: POSTGRES_PORT,
      persistent: true,
      detached: true,
      onLog: (line) => fs.writeSync(pgLog, line),
      password: secrets.POSTGRES_PASSWORD,
    });
    writeLock();
    void postgres.exited?.then((how) => {
      if (stopping) return;
      console.error(`[start] PostgreSQL died (${how}). Every service needs it, so the shop stops. Its log: ${path.relative(ROOT, DATA_DIR)}/postgres.log`);
      void shutdown(1);
    });
    const superuser = await adoptSuperuserPassword(postgres.url('postgres'), secrets.POSTGRES_PASSWORD, 'postgres');
    urls = Object.fromEntries(
      await Promise.all(NAMES.map(async (name) => [name, await ensureServiceRole(superuser, name, secrets[databasePasswordOf(name)])])),
    ) as Record<ServiceName, string>;
    const where =
      postgres.dataDir === path.join(DATA_DIR, 'postgres')
        ? path.relative(ROOT, postgres.dataDir)
        : `${postgres.dataDir} (the postgres user cannot reach ${path.relative(ROOT, DATA_DIR) || '.'}/ here)`;
    log(`PostgreSQL 17 on 127.0.0.1:${POSTGRES_PORT}, data in ${where} (log: ${path.relative(ROOT, DATA_DIR)}/postgres.log)`);
  }
  await Promise.all(
    NAMES.map(async (name) => {
      // A managed server may not let us connect to its `postgres` database; then the database must exist.
      if (databaseUrls) await ensureDatabase(urls[name]).catch(() => {});
      const applied = await applyMigrations(urls[name], path.join(ROOT, 'prisma', name, 'migrations')).catch((error: Error) => {
        throw new StartError(`${name} database (${redact(urls[name])}): ${error.message}`);
      });
      if (applied.length) log(`${name}: applied ${applied.join(', ')}`);
    }),
  );

  const serviceUrls = Object.fromEntries(NAMES.map((name) => [name, config[`${upper(name)}_URL`] ?? `http://${LOCAL_HOST}:${ports[name]}`])) as Record<
    ServiceName,
    string
  >;
  const common = {
    NODE_ENV: env.NODE_ENV ?? 'development',
    HOST,
    LOG_LEVEL: env.LOG_LEVEL ?? 'info',
    JWKS_URL: env.JWKS_URL ?? `${serviceUrls.customers}/.well-known/jwks.json`,
    CUSTOMERS_URL: serviceUrls.customers,
    INVENTORY_URL: serviceUrls.inventory,
    SALES_URL: serviceUrls.sales,
    REVIEWS_URL: serviceUrls.reviews,
    // Development receivers listen on this machine; production never sets this (it would allow SSRF).
    WEBHOOK_ALLOW_PRIVATE_TARGETS: config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
  };
  const serviceEnv = (name: ServiceName): Record<string, string> => ({
    ...common,
    PORT: String(ports[name]),
    DATABASE_URL: urls[name],
    // Only the credentials of the pairs this service is an end of; each may be overridden from the environment.
    ...Object.fromEntries(Object.entries(credentialsOf(name, secrets)).map(([key, value]) => [key, env[key] ?? value])),
    ...(name === 'customers' ? { JWT_PRIVATE_KEY: env.JWT_PRIVATE_KEY ?? secrets.JWT_PRIVATE_KEY } : {}),
  });

  const json = config.LOG_FORMAT === 'json';
  const width = Math.max(...NAMES.map((name) => name.length));
  const launch = async (name: ServiceName) => {
    const service = await superviseService(name, {
      env: serviceEnv(name),
      detached: true,
      readyTimeoutMs: 60_000,
      onSpawn: (child) => pipeServiceLogs(name, [child.stdout, child.stderr], { json, width }),
      onReady: () => writeLock(),
      say: (message) => console.error(`[start] ${message}`),
      giveUp: (message) => {
        if (stopping) return;
        console.error(`[start] ${message}. Stopping the shop.`);
        void shutdown(1);
      },
    }).catch((error: Error) => {
      throw new StartError(`${name} did not start: ${error.message}`);
    });
    running.push(service);
    writeLock();
  };
  // Customers is spawned first, but the others are not held back until it is ready: they fetch its JWKS
  // lazily (on the first token they verify), and booting all four at once uses both cores of a small
  // machine, which roughly halves the wait. The shop is announced only once every /ready answers.
  launches.push(...NAMES.map(launch));
  await Promise.all(launches);
  // What `pnpm audit:books` runs with when no sales environment is given (scripts/audit-books.ts); removed at stop.
  recordSalesEnv(DATA_DIR, serviceEnv('sales'));

  const adminUser = env.ADMIN_USERNAME ?? 'admin';
  const adminPassword = env.ADMIN_PASSWORD ? '(ADMIN_PASSWORD from the environment)' : DEVELOPMENT_ADMIN_PASSWORD;
  console.log('\nThe shop is running:');
  for (const name of NAMES) {
    const url = `http://${LOCAL_HOST}:${ports[name]}`;
    console.log(`  ${name.padEnd(width)}  ${url}   API docs: ${url}/docs`);
  }
  console.log(`  admin login: ${adminUser} / ${adminPassword}`);
  console.log(`  ready in ${process.uptime().toFixed(1)} s. Ctrl-C stops everything.\n`);
}

/** All four *_DATABASE_URL, or none (embedded PostgreSQL); a partial set is a mistake worth stopping for. */
function configuredDatabaseUrls(): Record<ServiceName, string> | undefined {
  const given = NAMES.filter((name) => config[`${upper(name)}_DATABASE_URL`]);
  if (given.length === 0) return undefined;
  if (given.length < NAMES.length) {
    const missing = NAMES.filter((name) => !given.includes(name)).map((name) => `${upper(name)}_DATABASE_URL`);
    throw new StartError(`set all four *_DATABASE_URL or none (none starts an embedded PostgreSQL); missing: ${missing.join(', ')}`);
  }
  return Object.fromEntries(NAMES.map((name) => [name, config[`${upper(name)}_DATABASE_URL`]!])) as Record<ServiceName, string>;
}

/** Records what this start runs now (PostgreSQL and each service's current pid) in the lock file. */
function writeLock() {
  lock.write({ postgres: postgres?.pid, services: Object.fromEntries(running.map((s) => [s.name, s.current()?.child.pid])) });
}

function redact(url: string) {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

/** Services first (they drain in-flight requests and close their pools), PostgreSQL last. */
function shutdown(code: number): Promise<void> {
  return (stopping ??= (async () => {
    await Promise.allSettled(launches);
    if (running.length) log('stopping the services…');
    await Promise.all(running.map((service) => service.stop()));
    forgetSalesEnv(DATA_DIR);
    if (postgres) {
      log('stopping PostgreSQL…');
      await postgres.stop();
    }
    lock.release();
    log('stopped');
    process.exit(code);
  })());
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (stopping) {
      log('still stopping (waiting for the services to finish in-flight requests)…');
      return;
    }
    void shutdown(0);
  });
}

// pnpm dies on SIGTERM without passing it on: when it (or a process between) goes, stop as on SIGTERM.
whenLauncherGone((pid) => {
  if (stopping) return;
  log(`the process that started this one (pid ${pid}) has gone; stopping`);
  void shutdown(0);
});
main().catch((error: Error) => {
  console.error(`[start] ${error instanceof StartError ? error.message : (error.stack ?? error)}`);
  void shutdown(1);
});
