// `pnpm start` as a developer meets it, from a copy of the repository inside a private (mode 700) folder (as
// root, the usual /root of containers and cloud VMs, which the `postgres` user cannot enter): the whole shop on
// its own ports, readable logs, a service killed with SIGKILL restarted and answering again, and PostgreSQL
// dying stopping the shop with a message that says so.
import { execFile, execFileSync } from 'node:child_process';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {
  adoptSuperuserPassword,
  applyMigrations,
  ensureDatabase,
  ensureServiceRole,
  freePort,
  HEAP_FLAGS,
  SERVICES,
  startEmbeddedPostgres,
  type ServiceName,
} from '@shop/devkit';

const ROOT = path.resolve(__dirname, '..');
const NAMES = Object.keys(SERVICES) as ServiceName[];

interface StartedShop {
  child: ChildProcess;
  ports: Record<ServiceName, number>;
  postgresPort: number;
  /** Everything it printed so far (stdout and stderr, as lines). */
  lines: string[];
  /** Waits until a printed line matches. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  lock(): { pid: number; postgres?: number; services: Record<ServiceName, number> };
}

/** `pnpm start`'s own command, run from `root` (its data in `root`/.data), on free ports. */
async function startShop(root: string, extraEnv: Record<string, string> = {}): Promise<StartedShop> {
  const ports = Object.fromEntries(await Promise.all(NAMES.map(async (name) => [name, await freePort()]))) as Record<ServiceName, number>;
  const postgresPort = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    env: {
      ...process.env,
      ...Object.fromEntries(NAMES.map((name) => [`${name.toUpperCase()}_PORT`, String(ports[name])])),
      POSTGRES_PORT: String(postgresPort),
      LOG_LEVEL: 'info',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop()!;
      lines.push(...parts);
      for (const wake of waiters) wake();
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitForLine = (pattern: RegExp, timeoutMs = 90_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = lines.find((line) => pattern.test(line));
        if (!found) return;
        cleanup();
        resolve(found);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output:\n${lines.join('\n')}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      void exited.then(() =>
        setTimeout(() => {
          if (!waiters.has(check)) return;
          cleanup();
          reject(new Error(`pnpm start exited before printing ${pattern}; output:\n${lines.join('\n')}`));
        }, 100),
      );
      check();
    });
  return {
    child,
    ports,
    postgresPort,
    lines,
    waitForLine,
    exited,
    lock: () => JSON.parse(fs.readFileSync(path.join(root, '.data', 'start.lock'), 'utf8')),
  };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * The repository's working tree (node_modules included, without .git and .data) inside a new mode-700 folder,
 * as hard links: a clone as a user would have it, in a second or two instead of an install.
 */
function privateCopy(): { home: string; root: string } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-private-home-'));
  fs.chmodSync(home, 0o700);
  const root = path.join(home, 'shop');
  fs.mkdirSync(root);
  const entries = fs.readdirSync(ROOT).filter((entry) => !['.git', '.data', 'coverage'].includes(entry));
  execFileSync('cp', ['-al', ...entries.map((entry) => path.join(ROOT, entry)), root]);
  return { home, root };
}

/** One statement on the shop's embedded PostgreSQL as `user`; the error's SQLSTATE when it is refused. */
async function asRole(port: number, user: string, password: string, database: string, text: string): Promise<{ rows?: any[]; refused?: string }> {
  const client = new pg.Client({ host: '127.0.0.1', port, user, password, database });
  client.on('error', () => {});
  try {
    await client.connect();
    return { rows: (await client.query(text)).rows };
  } catch (error) {
    return { refused: (error as { code?: string }).code ?? (error as Error).message };
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Issue 22 item 16: each service connects as its own role, which owns its database only, with a password generated
 * into .data/secrets.json; postgres:postgres no longer opens anything.
 */
async function expectServiceRoles(shop: StartedShop, root: string) {
  const secrets = JSON.parse(fs.readFileSync(path.join(root, '.data', 'secrets.json'), 'utf8')) as Record<string, string>;
  const port = shop.postgresPort;
  for (const name of NAMES) {
    const password = secrets[`${name.toUpperCase()}_DB_PASSWORD`]!;
    expect(password).toMatch(/^[\w-]{40,}$/);
    // What the service process was given: its own role, never the superuser.
    const environ = fs.readFileSync(`/proc/${shop.lock().services[name]}/environ`, 'utf8').split('\0');
    const databaseUrl = new URL(environ.find((entry) => entry.startsWith('DATABASE_URL='))!.slice('DATABASE_URL='.length));
    expect({ name, user: databaseUrl.username, database: databaseUrl.pathname }).toEqual({ name, user: name, database: `/${name}` });
    // The role logs in to its database, owns it and its tables, and is no superuser.
    const own = await asRole(
      port,
      name,
      password,
      name,
      `SELECT current_user AS role, r.rolsuper, r.rolcreatedb, r.rolcreaterole, pg_get_userbyid(d.datdba) AS owner,
              (SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public' AND tableowner <> current_user) AS others_tables
       FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database()`,
    );
    expect({ name, ...own }).toEqual({
      name,
      rows: [{ role: name, rolsuper: false, rolcreatedb: false, rolcreaterole: false, owner: name, others_tables: 0 }],
    });
    // …and cannot even connect to another service's database.
    for (const other of NAMES.filter((n) => n !== name)) {
      expect({ name, other, ...(await asRole(port, name, password, other, 'SELECT 1')) }).toEqual({ name, other, refused: '42501' });
    }
  }
  // The superuser's password is generated too: the well-known one is refused.
  expect(await asRole(port, 'postgres', 'postgres', 'postgres', 'SELECT 1')).toEqual({ refused: '28P01' });
  expect(await asRole(port, 'postgres', secrets.POSTGRES_PASSWORD!, 'postgres', 'SELECT 1 AS one')).toEqual({ rows: [{ one: 1 }] });
  // The services work as those roles: a registration writes through customers' functions and tables.
  const registered = await fetch(`http://127.0.0.1:${shop.ports.customers}/customers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: `role${process.pid}`,
      password: 'plum-orbit-canvas-7',
      firstName: 'Role',
      lastName: 'Check',
      age: 30,
      address: '1 Start Street',
      gender: 'other',
      maritalStatus: 'single',
    }),
  });
  expect(registered.status).toBe(201);
}

describe('development database roles', () => {
  it('take over a data folder from before them: postgres:postgres is changed, every object moves to its service role', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-legacy-pg-'));
    const server = await startEmbeddedPostgres({ dataDir, port: await freePort(), persistent: false, fsync: false });
    try {
      // As every `pnpm start` did before: databases and migrations as the superuser postgres:postgres.
      for (const name of NAMES) {
        await ensureDatabase(server.url(name));
        await applyMigrations(server.url(name), path.join(ROOT, 'prisma', name, 'migrations'));
      }
      const superuser = await adoptSuperuserPassword(server.url('postgres'), 'a-generated-superuser-password', 'postgres');
      expect(await asRole(Number(new URL(superuser).port), 'postgres', 'postgres', 'postgres', 'SELECT 1')).toEqual({ refused: '28P01' });
      for (const name of NAMES) {
        const url = await ensureServiceRole(superuser, name, `${name}-generated-password`);
        const port = Number(new URL(url).port);
        const owned = await asRole(
          port,
          name,
          `${name}-generated-password`,
          name,
          `SELECT (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S', 'v') AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user)) AS others,
                  (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r') AS tables`,
        );
        expect({ name, ...owned }).toEqual({ name, rows: [{ others: 0, tables: expect.any(Number) }] });
        expect(owned.rows![0].tables).toBeGreaterThan(3);
        // Its migrations run as the role from now on (nothing pending: the check only proves it may).
        expect(await applyMigrations(url, path.join(ROOT, 'prisma', name, 'migrations'))).toEqual([]);
      }
    } finally {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('pnpm start beyond loopback', () => {
  const refused = async (env: Record<string, string>) => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-exposed-'));
    try {
      const shop = await startShop(ROOT, { SHOP_DATA_DIR: data, ...env });
      const exit = await shop.exited;
      return { exit, output: shop.lines.join('\n'), started: fs.readdirSync(data) };
    } finally {
      fs.rmSync(data, { recursive: true, force: true });
    }
  };
  const base = { ADMIN_PASSWORD: '', WEBHOOK_ALLOW_PRIVATE_TARGETS: '', SHOP_ALLOW_EXPOSED_DEFAULTS: '' };

  it('refuses HOST=0.0.0.0 with the development defaults, naming each, before starting anything', async () => {
    const { exit, output, started } = await refused({ ...base, HOST: '0.0.0.0' });
    expect(exit).toEqual({ code: 1, signal: null });
    expect(output).toMatch(/HOST=0\.0\.0\.0 would serve the shop beyond this machine, with development defaults in force:/);
    expect(output).toMatch(/- the admin password is the public development default "admin-dev-password" \(set ADMIN_PASSWORD\)/);
    expect(output).toMatch(/- webhooks may target loopback and private addresses.*\(set WEBHOOK_ALLOW_PRIVATE_TARGETS=false\)/);
    expect(output).toMatch(/SHOP_ALLOW_EXPOSED_DEFAULTS=true/);
    expect(output).not.toMatch(/PostgreSQL 17 on/);
    expect(started).toEqual([]);
  }, 60_000);

  it('refuses a LAN address with only one default left: the development admin password given explicitly', async () => {
    const { exit, output } = await refused({ ...base, HOST: '192.168.1.20', ADMIN_PASSWORD: 'admin-dev-password', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' });
    expect(exit).toEqual({ code: 1, signal: null });
    expect(output).toMatch(/admin password is the public development default/);
    expect(output).not.toMatch(/webhooks may target/);
  }, 60_000);
});

describe('pnpm start', () => {
  let shop: StartedShop | undefined;
  let home: string | undefined;
  afterAll(async () => {
    if (shop && shop.child.exitCode === null && shop.child.signalCode === null) shop.child.kill('SIGTERM');
    await shop?.exited;
    if (home) fs.rmSync(home, { recursive: true, force: true });
    if (!shop) return;
    // As root in a private folder the data lives where the postgres user can reach it; the line says where.
    const relocated = shop.lines.map((line) => /data in (\/\S+) \(the postgres user cannot reach/.exec(line)?.[1]).find(Boolean);
    if (relocated) fs.rmSync(relocated, { recursive: true, force: true });
  });

  it('runs from a private folder, restarts a service killed with SIGKILL, shows readable logs, lets `pnpm audit:books` run with no setup, and stops as a whole when PostgreSQL dies', async () => {
    const copy = privateCopy();
    home = copy.home;
    shop = await startShop(copy.root);
    await shop.waitForLine(/^The shop is running:/);
    if (process.getuid?.() === 0) {
      // The postgres user cannot enter the private folder: PostgreSQL's data went where it can, and the line says so.
      await shop.waitForLine(
        /^\[start\] PostgreSQL 17 on .*, data in \/var\/tmp\/shop-embedded-postgres\/data\/postgres-\w+ \(the postgres user cannot reach \.data\/ here\)/,
      );
    }
    const inventory = `http://127.0.0.1:${shop.ports.inventory}`;

    // Readable logs: one line per event, prefixed with the service's name; no raw JSON.
    await fetch(`${inventory}/items`);
    await shop.waitForLine(/^inventory +\| \d\d:\d\d:\d\d\.\d{3} INFO +request completed GET \/items → 200 in \d+ ms requestId=/);
    expect(shop.lines.filter((line) => line.startsWith('{'))).toEqual([]);

    const killed = shop.lock().services.inventory;
    process.kill(killed, 'SIGKILL');
    await shop.waitForLine(/^\[start\] inventory died \(killed by SIGKILL\) after [\d.]+ s up; restarting in 1 s$/);
    await shop.waitForLine(/^\[start\] inventory is back \(pid \d+\) and ready at /);
    const res = await fetch(`${inventory}/items`);
    expect(res.status).toBe(200);
    expect(shop.lock().services.inventory).not.toBe(killed);

    await expectServiceRoles(shop, copy.root);

    // `pnpm audit:books` with nothing set but a PATH: sales' environment comes from the running start's own record.
    const recorded = path.join(copy.root, '.data', 'sales.env.json');
    expect(fs.statSync(recorded).mode & 0o777).toBe(0o600);
    const audit = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', 'scripts/audit-books.ts', '--json'],
        { cwd: copy.root, env: { PATH: process.env.PATH } },
        (error, stdout, stderr) => resolve({ status: error ? Number((error as { code?: unknown }).code ?? 2) : 0, stdout, stderr }),
      ),
    );
    // stdout is the report alone (the development warnings of sales' setup go to stderr, as every log line of the audit).
    expect({ code: audit.status, report: JSON.parse(audit.stdout) }).toMatchObject({ code: 0, report: { unrepaired: 0, counted: { sales: 0 } } });
    expect(audit.stderr).not.toMatch(/could not run|"level":50/);
    const packageScript = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts['audit:books'];
    expect(packageScript).toBe(`node ${HEAP_FLAGS.join(' ')} --import tsx scripts/audit-books.ts`);
    // The others were never touched.
    for (const name of NAMES.filter((n) => n !== 'inventory')) expect((await fetch(`http://127.0.0.1:${shop.ports[name]}/ready`)).status).toBe(200);

    // PostgreSQL dying stops everything, and says why.
    const { postgres, services } = shop.lock();
    process.kill(postgres!, 'SIGKILL');
    await shop.waitForLine(/^\[start\] PostgreSQL died \(killed by SIGKILL\)\. Every service needs it, so the shop stops\./);
    expect(await shop.exited).toEqual({ code: 1, signal: null });
    expect(Object.values(services).filter(alive)).toEqual([]);
    // A stopped shop leaves no record of its environment behind.
    expect(fs.existsSync(recorded)).toBe(false);
  }, 180_000);
});
