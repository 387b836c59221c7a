import path from 'node:path';
import { applyMigrations, dropDatabase, ensureDatabase, freePort, startService, type ServiceName, type ServiceProcess } from '@shop/devkit';
import pg from 'pg';
import type { TestContext } from './system';

let cached: TestContext | undefined;

/** The running test system (started once per run by the global setup). */
export function system(): TestContext {
  if (cached) return cached;
  const raw = process.env.SHOP_TEST_SYSTEM;
  if (!raw) throw new Error('SHOP_TEST_SYSTEM is not set: run the tests through jest (pnpm test)');
  return (cached = JSON.parse(raw) as TestContext);
}

export const url = (service: ServiceName) => system().urls[service];

const pools = new Map<ServiceName, pg.Pool>();
/** Direct SQL on a service's database, for asserting stored state and invariants. */
export async function sql<T extends pg.QueryResultRow = any>(service: ServiceName, text: string, params: unknown[] = []): Promise<T[]> {
  let pool = pools.get(service);
  if (!pool) pools.set(service, (pool = new pg.Pool({ connectionString: system().databaseUrls[service], max: 2 })));
  return (await pool.query<T>(text, params)).rows;
}

const extra: ServiceProcess[] = [];
const isolatedDatabases: string[] = [];

/**
 * Starts another instance of a service against the run's database (a replica, or one wired to a faulty
 * neighbour through `env`), stopped after the test file.
 */
export async function startInstance(
  name: ServiceName,
  env: Record<string, string> = {},
  options: { readyTimeoutMs?: number; compiled?: boolean } = {},
): Promise<ServiceProcess> {
  // 45 s to become ready by default, not 30: on a machine loaded by other work (CI beside other jobs, the suite's own
  // chaos and fuzz files) a start took over 30 s, and the test failed on the deadline rather than on what it checks.
  const instance = await startService(
    name,
    { ...system().env[name], PORT: String(await freePort()), ...env },
    { stdio: 'inherit', readyTimeoutMs: 45_000, ...options },
  );
  extra.push(instance);
  return instance;
}

/**
 * Starts instances of a service on a database of their own (a fresh one, migrated), for tests that must be the
 * only ones working on its tables: the webhook worker of every other instance would otherwise share them.
 */
let isolated = 0;
export async function startIsolated(
  name: ServiceName,
  count: number,
  env: Record<string, string> = {},
): Promise<{ instances: ServiceProcess[]; databaseUrl: string; start: () => Promise<ServiceProcess> }> {
  const base = new URL(system().databaseUrls[name]);
  const databaseUrl = Object.assign(base, { pathname: `${base.pathname}_iso${process.pid}_${isolated++}` }).toString();
  await ensureDatabase(databaseUrl);
  isolatedDatabases.push(databaseUrl);
  await applyMigrations(databaseUrl, path.resolve(__dirname, '../../../prisma', name, 'migrations'));
  // One at a time, with time to spare: on a busy shared machine a cold start can take tens of seconds.
  const start = () => startInstance(name, { ...env, DATABASE_URL: databaseUrl }, { readyTimeoutMs: 90_000 });
  const instances: ServiceProcess[] = [];
  for (let i = 0; i < count; i++) instances.push(await start());
  return { instances, databaseUrl, start };
}

/**
 * What a test file leaves behind: its SQL pools, the extra instances it started and their own databases.
 * jest's setup file (test/after-each-file.ts) runs it after every file; importing the testkit registers no hooks.
 */
export async function releaseTestResources(): Promise<void> {
  await Promise.all([...[...pools.values()].map((pool) => pool.end()), ...extra.splice(0).map((instance) => instance.stop())]);
  pools.clear();
  await Promise.all(isolatedDatabases.splice(0).map((url) => dropDatabase(url).catch(() => {})));
}
