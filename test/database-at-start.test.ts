// Starting beside a database that is not answering yet, as docker-compose and Kubernetes start everything at
// once: the migration step and a service's own start-up work wait and try again instead of exiting. The fault
// is a TCP relay in front of the run's PostgreSQL that cuts the connections it is told to (what a DNS lookup
// that fails for a moment, or a database still starting, looks like to the client: the connection is gone).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { dropDatabase, freePort, startService } from '@shop/devkit';
import { startInstance, system } from '@shop/testkit';
import pg from 'pg';

const ROOT = path.resolve(__dirname, '..');

/** Relays to the run's PostgreSQL; connection number n (from 1) is cut at once while `cut(n)` says so. */
async function relay(cut: (n: number) => boolean) {
  const target = new URL(system().databaseUrls.inventory);
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    if (cut(++count)) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => [client, upstream].forEach((s) => s.destroy());
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  /** `url` with its host and port replaced by the relay's. */
  const via = (url: string) => Object.assign(new URL(url), { hostname: '127.0.0.1', port: String(port) }).toString();
  const close = () => {
    sockets.forEach((s) => s.destroy());
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { via, close, connections: () => count };
}

function migrate(service: string, databaseUrl: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/migrate.ts', service], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, MIGRATE_WAIT_MS: '30000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

async function appliedMigrations(databaseUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ migration_name: string }>('SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY 1');
    return rows.map((row) => row.migration_name);
  } finally {
    await client.end();
  }
}

describe('scripts/migrate.ts', () => {
  const database = Object.assign(new URL(system().databaseUrls.inventory), { pathname: `/inventory_at_start_${process.pid}` }).toString();
  afterAll(() => dropDatabase(database));

  it('applies every migration when the connection after the database check is cut (tried again, not exit 1)', async () => {
    // Connection 1 creates the database; connection 2, the migrations', is cut: the CI failure of a DNS lookup
    // that failed for a moment while other containers started.
    const faulty = await relay((n) => n === 2);
    try {
      const { code, stdout, stderr } = await migrate('inventory', faulty.via(database));
      expect({ code, stderr }).toEqual({ code: 0, stderr: expect.stringMatching(/^inventory: the database is not answering yet \(.+\); trying again$/m) });
      expect(faulty.connections()).toBeGreaterThanOrEqual(3);
      const expected = fs.readdirSync(path.join(ROOT, 'prisma', 'inventory', 'migrations'), { withFileTypes: true }).filter((e) => e.isDirectory());
      expect(stdout).toContain(`inventory: applied ${expected.length} migration(s)`);
      expect(await appliedMigrations(database)).toEqual(expected.map((e) => e.name).sort());
    } finally {
      await faulty.close();
    }
  }, 60_000);

  it('still exits 1 at once on a fault that waiting does not mend (a wrong password)', async () => {
    const wrong = Object.assign(new URL(database), { password: 'not-the-password' }).toString();
    const { code, stderr } = await migrate('inventory', wrong);
    expect(code).toBe(1);
    expect(stderr).not.toContain('trying again');
    expect(stderr).toMatch(/^migration failed: .*password/m);
  }, 60_000);
});

describe('a service whose database is not answering at start-up', () => {
  it('waits and tries its start-up work again (customers creating the admin), then becomes ready', async () => {
    // The first connections are cut: customers' admin check fails, and before this change the process exited 1.
    const faulty = await relay((n) => n <= 3);
    try {
      const customers = await startInstance('customers', { DATABASE_URL: faulty.via(system().databaseUrls.customers) });
      expect(faulty.connections()).toBeGreaterThan(3);
      const login = await fetch(`${customers.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(system().admin),
      });
      expect(login.status).toBe(200);
      await customers.stop();
    } finally {
      await faulty.close();
    }
  }, 90_000);

  it('stops at once, exit code 0, on SIGTERM while it waits (as a container PID 1 it would otherwise be killed 10 s later)', async () => {
    const down = await relay(() => true);
    let output = '';
    let child: ChildProcess | undefined;
    const starting = startService(
      'customers',
      { ...system().env.customers, PORT: String(await freePort()), DATABASE_URL: down.via(system().databaseUrls.customers), LOG_LEVEL: 'info' },
      { stdio: 'pipe', onSpawn: (spawned) => (child = spawned) },
    ).catch((error: Error) => error);
    try {
      child!.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      // Waiting for the database: some connection attempts were cut, and it said so.
      while (!output.includes('the database is not answering yet')) await new Promise((resolve) => setTimeout(resolve, 100));
      const exited = new Promise((resolve) => child!.once('exit', (code, signal) => resolve({ code, signal })));
      child!.kill('SIGTERM');
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(output).toContain('stopped while starting');
      expect(await starting).toBeInstanceOf(Error); // it never became ready
    } finally {
      child?.kill('SIGKILL');
      await down.close();
    }
  }, 90_000);
});
