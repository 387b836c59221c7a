import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  applyMigrations,
  dropDatabase,
  ensureDatabase,
  freePort,
  generateSecrets,
  SERVICES,
  startEmbeddedPostgres,
  startService,
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
  serviceToken: string;
  admin: { username: string; password: string };
}

export interface TestSystem {
  context: TestContext;
  processes: ServiceProcess[];
  stop(): Promise<void>;
}

export const ADMIN = { username: 'admin', password: 'admin-test-password' };

/**
 * One PostgreSQL for the run: TEST_DATABASE_URL's server when given (any database on it; ours are created
 * beside it), else an embedded one on a free port in a temp folder with fsync off. Each run gets fresh
 * databases with a unique suffix, so runs never see each other's rows; tests create their own data with
 * unique names and never rely on global counts. Then the four real services start as processes.
 */
export interface SystemOptions {
  /** `test` (default) checks every answer against its schema; the benchmark runs `production`. */
  nodeEnv?: 'test' | 'production';
  bcryptRounds?: number;
  /** The test default trades durability for speed; the benchmark keeps fsync on, as production does. */
  fsync?: boolean;
  /** Extra settings for every service. */
  env?: Record<string, string>;
  stdio?: 'inherit' | 'ignore';
}

export async function startTestSystem(options: SystemOptions = {}): Promise<TestSystem> {
  let stopPostgres = async () => {};
  let serverUrl: (db: string) => string;
  if (process.env.TEST_DATABASE_URL) {
    const base = new URL(process.env.TEST_DATABASE_URL);
    serverUrl = (db) => Object.assign(new URL(base), { pathname: `/${db}` }).toString();
  } else {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-test-pg-'));
    const server = await startEmbeddedPostgres({ dataDir, port: await freePort(), persistent: false, fsync: options.fsync ?? false });
    serverUrl = server.url;
    stopPostgres = async () => {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    };
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
    SERVICE_TOKEN: secrets.SERVICE_TOKEN,
    JWKS_URL: `${urls.customers}/.well-known/jwks.json`,
    CUSTOMERS_URL: urls.customers,
    INVENTORY_URL: urls.inventory,
    SALES_URL: urls.sales,
    REVIEWS_URL: urls.reviews,
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...options.env,
  };
  const env = Object.fromEntries(
    names.map((name): [string, Record<string, string>] => [name, { ...common, PORT: String(ports[name]), DATABASE_URL: databaseUrls[name] }]),
  ) as Record<ServiceName, Record<string, string>>;
  Object.assign(env.customers, {
    JWT_PRIVATE_KEY: secrets.JWT_PRIVATE_KEY,
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    BCRYPT_ROUNDS: String(options.bcryptRounds ?? 4),
  });

  const processes: ServiceProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    if (!process.env.TEST_DATABASE_URL) return stopPostgres();
    await Promise.all(names.map((name) => dropDatabase(databaseUrls[name]).catch(() => {})));
  };
  // SHOP_TEST_SERVICES=customers,inventory starts only those (quicker when working on one service).
  const wanted = new Set(process.env.SHOP_TEST_SERVICES?.split(',') ?? names);
  try {
    // customers first: the others fetch its keys.
    if (wanted.has('customers')) processes.push(await startService('customers', env.customers, { stdio: options.stdio }));
    const rest = (['inventory', 'sales', 'reviews'] as const).filter((name) => wanted.has(name));
    processes.push(...(await Promise.all(rest.map((name) => startService(name, env[name], { stdio: options.stdio })))));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    context: { urls, databaseUrls, env, serviceToken: secrets.SERVICE_TOKEN, admin: ADMIN },
    processes,
    stop,
  };
}
