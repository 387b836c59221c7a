// `pnpm start` as a developer meets it, from a copy of the repository inside a private (mode 700) folder (as
// root, the usual /root of containers and cloud VMs, which the `postgres` user cannot enter): the whole shop on
// its own ports, readable logs, a service killed with SIGKILL restarted and answering again, and PostgreSQL
// dying stopping the shop with a message that says so.
import { execFileSync } from 'node:child_process';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, SERVICES, type ServiceName } from '@shop/devkit';

const ROOT = path.resolve(__dirname, '..');
const NAMES = Object.keys(SERVICES) as ServiceName[];

interface StartedShop {
  child: ChildProcess;
  ports: Record<ServiceName, number>;
  /** Everything it printed so far (stdout and stderr, as lines). */
  lines: string[];
  /** Waits until a printed line matches. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  lock(): { pid: number; postgres?: number; services: Record<ServiceName, number> };
}

/** `pnpm start`'s own command, run from `root` (its data in `root`/.data), on free ports. */
async function startShop(root: string): Promise<StartedShop> {
  const ports = Object.fromEntries(await Promise.all(NAMES.map(async (name) => [name, await freePort()]))) as Record<ServiceName, number>;
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    env: {
      ...process.env,
      ...Object.fromEntries(NAMES.map((name) => [`${name.toUpperCase()}_PORT`, String(ports[name])])),
      POSTGRES_PORT: String(await freePort()),
      LOG_LEVEL: 'info',
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

  it('runs from a private folder, restarts a service killed with SIGKILL, shows readable logs, and stops as a whole when PostgreSQL dies', async () => {
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
    // The others were never touched.
    for (const name of NAMES.filter((n) => n !== 'inventory')) expect((await fetch(`http://127.0.0.1:${shop.ports[name]}/ready`)).status).toBe(200);

    // PostgreSQL dying stops everything, and says why.
    const { postgres, services } = shop.lock();
    process.kill(postgres!, 'SIGKILL');
    await shop.waitForLine(/^\[start\] PostgreSQL died \(killed by SIGKILL\)\. Every service needs it, so the shop stops\./);
    expect(await shop.exited).toEqual({ code: 1, signal: null });
    expect(Object.values(services).filter(alive)).toEqual([]);
  }, 180_000);
});
