import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  applyMigrations,
  credentialsOf,
  dropDatabase,
  SERVICE_CREDENTIALS,
  ensureDatabase,
  freePort,
  generateSecrets,
  SERVICES,
  startEmbeddedPostgres,
  startService,
  type ServiceCredential,
  type ServiceName,
  type ServiceProcess,
} from '@shop/devkit';

const ROOT = path.resolve(__dirname, '../../..');

/** What test files need to reach the running system (passed to workers as JSON in SHOP_TEST_SYSTEM). */
export interface TestContext {
  urls: Record<ServiceName, string>;
  databaseUrls: Record<ServiceName, string>;
  /** Everything a service's config needs, to start extra instances (replicas, faulty wiring). */
  env: Record<ServiceName, Record<string, string>>;
  /** The per-pair credentials of /internal/ calls (SALES_TO_CUSTOMERS_TOKEN…). */
  serviceCredentials: Record<ServiceCredential, string>;
  admin: { username: string; password: string };
}

export interface TestSystem {
  context: TestContext;
  processes: ServiceProcess[];
  /** With `ownPostgres`: the system's own PostgreSQL, to stop (fast shutdown) and start again under load. */
  postgres?: { stop(): Promise<void>; start(): Promise<void> };
  stop(): Promise<void>;
}

export const ADMIN = { username: 'admin', password: 'admin-test-password' };

export interface SystemOptions {
  /** `test` (default) checks every answer against its schema; the benchmark runs `production`. */
  nodeEnv?: 'test' | 'production';
  bcryptRounds?: number;
  /** The test default trades durability for speed; the benchmark keeps fsync on, as production does. */
  fsync?: boolean;
  /** Extra settings for every service. */
  env?: Record<string, string>;
  stdio?: 'inherit' | 'ignore';
  /** Run `pnpm build`'s output as production does, instead of the TypeScript through tsx (the benchmark). */
  compiled?: boolean;
  /**
   * An embedded PostgreSQL of its own even when TEST_DATABASE_URL is set, that the caller may stop and start:
   * for tests that take the database down or lock its tables, which must never reach the shared one.
   */
  ownPostgres?: boolean;
  /**
   * `relaxed` (the default under NODE_ENV test) raises the database limits to what they were before they
   * existed (10 s to get a connection, 20 s a statement, 10 s a lock): the jest run shares 2 cores between test
   * files in parallel, and its tests assert exact outcomes under deliberate contention (100 buyers of one row,
   * 60 logins at once) that a loaded machine would otherwise turn into 503s. `default` keeps the services'
   * own defaults (docs/operations.md): the database fault tests, the chaos soak and the benchmark use them.
   */
  databaseLimits?: 'relaxed' | 'default';
  /** How long each service may take to become ready (default 60 s; a second shop started beside the suite's on a loaded machine may need more). */
  readyTimeoutMs?: number;
}

/**
 * One PostgreSQL for the run: TEST_DATABASE_URL's server when given (any database on it; ours are created
 * beside it), else an embedded one on a free port in a temp folder with fsync off. Each run gets fresh
 * databases with a unique suffix, so runs never see each other's rows; tests create their own data with
 * unique names and never rely on global counts. Then the four real services start as processes.
 */
export async function startTestSystem(options: SystemOptions = {}): Promise<TestSystem> {
  let stopPostgres = async () => {};
  let serverUrl: (db: string) => string;
  let postgres: TestSystem['postgres'];
  const sharedServer = process.env.TEST_DATABASE_URL && !options.ownPostgres;
  if (sharedServer) {
    const base = new URL(process.env.TEST_DATABASE_URL!);
    serverUrl = (db) => Object.assign(new URL(base), { pathname: `/${db}` }).toString();
  } else {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-test-pg-'));
    const settings = { dataDir, port: await freePort(), persistent: false, fsync: options.fsync ?? false };
    if (options.ownPostgres) {
      // Persistent, so that a stop and start keeps the data; the folder is removed at the end.
      const child = await postgresChild({ ...settings, persistent: true });
      serverUrl = child.url;
      postgres = { stop: () => child.send('stop'), start: () => child.send('start') };
      stopPostgres = async () => {
        await child.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      };
    } else {
      // Files run side by side, with instances of their own: PostgreSQL's default 100 connections ran out.
      const server = await startEmbeddedPostgres({ ...settings, maxConnections: 400 });
      serverUrl = server.url;
      stopPostgres = async () => {
        await server.stop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      };
    }
  }

  const run = `${Date.now().toString(36)}${process.pid}`;
  const names = Object.keys(SERVICES) as ServiceName[];
  const databaseUrls = Object.fromEntries(names.map((name) => [name, serverUrl(`shop_test_${name}_${run}`)])) as Record<ServiceName, string>;
  await Promise.all(
    names.map(async (name) => {
      await ensureDatabase(databaseUrls[name]);
      await applyMigrations(databaseUrls[name], path.join(ROOT, 'prisma', name, 'migrations'));
    }),
  );

  const ports = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await freePort()]))) as Record<ServiceName, number>;
  const urls = Object.fromEntries(names.map((name) => [name, `http://127.0.0.1:${ports[name]}`])) as Record<ServiceName, string>;
  const secrets = generateSecrets();
  const common = {
    NODE_ENV: options.nodeEnv ?? 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    JWKS_URL: `${urls.customers}/.well-known/jwks.json`,
    CUSTOMERS_URL: urls.customers,
    INVENTORY_URL: urls.inventory,
    SALES_URL: urls.sales,
    REVIEWS_URL: urls.reviews,
    SHUTDOWN_GRACE_MS: '5000',
    // Tests read what they just wrote: sales' goods and reviews' item existence are asked for on every read here
    // (their own tests set them). The benchmark (production) keeps the services' defaults.
    ...(options.nodeEnv !== 'production' && { GOODS_MAX_AGE_MS: '0', ITEM_EXISTS_MAX_AGE_MS: '0' }),
    ...((options.databaseLimits ?? (options.nodeEnv === 'production' ? 'default' : 'relaxed')) === 'relaxed' && {
      DATABASE_ACQUIRE_TIMEOUT_MS: '10000',
      DATABASE_STATEMENT_TIMEOUT_MS: '20000',
      DATABASE_LOCK_TIMEOUT_MS: '10000',
    }),
    // The tests' webhook receivers listen on 127.0.0.1 (production refuses that), and a shrunk retry schedule (the
    // contract's is 5 s, 30 s, 2 min, …) lets a fault test see several attempts in a few seconds.
    WEBHOOK_ALLOW_PRIVATE_TARGETS: String(options.nodeEnv !== 'production'),
    WEBHOOK_RETRY_DELAYS_MS: '200,400,800',
    WEBHOOK_POLL_INTERVAL_MS: '500',
    ...options.env,
  };
  const env = Object.fromEntries(
    names.map((name): [string, Record<string, string>] => [
      name,
      { ...common, ...credentialsOf(name, secrets), PORT: String(ports[name]), DATABASE_URL: databaseUrls[name] },
    ]),
  ) as Record<ServiceName, Record<string, string>>;
  Object.assign(env.customers, {
    JWT_PRIVATE_KEY: secrets.JWT_PRIVATE_KEY,
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    // Cheap hashes for the tests; production refuses fewer than 10 rounds.
    BCRYPT_ROUNDS: String(options.bcryptRounds ?? (options.nodeEnv === 'production' ? 10 : 4)),
    // Every test registers and logs in from 127.0.0.1, as one office behind one address would: the per-address
    // limits are set out of reach here and tested for real on extra instances behind a pretend proxy.
    LOGIN_FAILURES_PER_ADDRESS: '1000000',
    REGISTRATIONS_PER_HOUR: '1000000',
    // Fixtures fund their customers with deposits far above the daily limit: it is tested on an extra instance.
    DEPOSIT_LIMIT_CENTS_PER_DAY: '1000000000000000',
    // Likewise the admin (and many a test customer) logs in over and over from there, and keeps its tokens.
    LOGINS_PER_MINUTE: '1000000',
    SESSIONS_PER_CUSTOMER: '1000000',
  });
  // Tests (and the bench and the chaos soak) buy as fast as they can with a few customers: the purchase limit is
  // out of reach here (still counted on every purchase) and tested on an extra instance.
  Object.assign(env.sales, { PURCHASES_PER_MINUTE: '1000000000' });

  // Every test account is minutes old: reports count by spend alone here (the age rule: an extra reviews instance).
  env.reviews.REPORT_MIN_ACCOUNT_AGE_HOURS = '0';

  const processes: ServiceProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    if (!sharedServer) return stopPostgres();
    await Promise.all(names.map((name) => dropDatabase(databaseUrls[name]).catch(() => {})));
  };
  // SHOP_TEST_SERVICES=customers,inventory starts only those (quicker when working on one service).
  const wanted = new Set(process.env.SHOP_TEST_SERVICES?.split(',') ?? names);
  try {
    // 60 s to become ready, as `pnpm start` allows: on a machine loaded by other work a start took over 30 s.
    const start = { stdio: options.stdio, readyTimeoutMs: options.readyTimeoutMs ?? 60_000, compiled: options.compiled };
    if (wanted.has('customers')) processes.push(await startService('customers', env.customers, start));
    const rest = (['inventory', 'sales', 'reviews'] as const).filter((name) => wanted.has(name));
    const started = await Promise.allSettled(rest.map((name) => startService(name, env[name], start)));
    for (const result of started) if (result.status === 'fulfilled') processes.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason; // after keeping those that started, so that stop() below ends them too
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    context: {
      urls,
      databaseUrls,
      env,
      serviceCredentials: Object.fromEntries(Object.keys(SERVICE_CREDENTIALS).map((name) => [name, secrets[name as ServiceCredential]])) as Record<
        ServiceCredential,
        string
      >,
      admin: ADMIN,
    },
    processes,
    postgres,
    stop,
  };
}

/** PostgreSQL in a child process (postgres-child.ts) that takes `stop` and `start`; closing its stdin ends it. */
async function postgresChild(settings: { dataDir: string; port: number; persistent: boolean; fsync: boolean }) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'postgres-child.ts'), JSON.stringify(settings)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waiting: Array<{ line: string; resolve: () => void }> = [];
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      const at = waiting.findIndex((w) => w.line === line);
      if (at >= 0) waiting.splice(at, 1)[0]!.resolve();
    }
  });
  const answer = (command: string) =>
    Promise.race([
      new Promise<void>((resolve) => waiting.push({ line: `${command} done`, resolve })),
      exited.then(() => {
        throw new Error(`the PostgreSQL process exited during ${command}`);
      }),
    ]);
  await answer('start');
  return {
    url: (db: string) => `postgresql://postgres:postgres@127.0.0.1:${settings.port}/${db}`,
    send: (command: 'stop' | 'start') => {
      const done = answer(command);
      child.stdin.write(`${command}\n`);
      return done;
    },
    close: async () => {
      child.stdin.end();
      await exited;
    },
  };
}
