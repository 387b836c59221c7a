import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Where `pnpm backup` and `pnpm restore` find pg_dump and pg_restore of a major version at least the server's (pg_dump
 * refuses a newer server). The embedded PostgreSQL's npm package ships only the server, and Debian bookworm's client
 * is 15, so, in this order:
 *   1. `PG_BIN_DIR`, when set (a folder holding pg_dump and pg_restore; used as it is);
 *   2. pg_dump/pg_restore on PATH, or in Debian's /usr/lib/postgresql/<major>/bin, whose major is ≥ the server's;
 *   3. on a Debian machine with apt: Debian trixie's postgresql-client-<major> and its library closure, downloaded once
 *      (apt-get as an unprivileged user, into a private state folder; nothing is installed on the system) into
 *      `<cache>/pg-client-<major>` (SHOP_CACHE_DIR, else $XDG_CACHE_HOME/shop, else ~/.cache/shop), and run through
 *      that closure's own loader (trixie's libc is newer than bookworm's, so the system loader cannot run it);
 *   4. otherwise an error that says how to provide the client tools.
 */
export interface PgTools {
  /** The command line (program and leading arguments) that runs each tool. */
  pgDump: string[];
  pgRestore: string[];
  /** `pg_dump (PostgreSQL) 17.12` */
  version: string;
  major: number;
  /** Where they came from, for the manifest and messages. */
  source: string;
}

const TOOLS = ['pg_dump', 'pg_restore'] as const;

/** The major version of a `--version` line (`pg_dump (PostgreSQL) 17.12 (Debian 17.12-1)` → 17). */
export function majorOf(versionLine: string): number {
  const match = /\(PostgreSQL\)\s+(\d+)/.exec(versionLine);
  return match ? Number(match[1]) : 0;
}

function versionOf(command: string[]): string | undefined {
  const result = spawnSync(command[0]!, [...command.slice(1), '--version'], { encoding: 'utf8', timeout: 20_000 });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** Both tools from `dir` when they run and are at least `major`. */
function fromDir(dir: string, major: number, source: string, wrap: (bin: string) => string[] = (bin) => [bin]): PgTools | undefined {
  const [pgDump, pgRestore] = TOOLS.map((tool) => wrap(path.join(dir, tool)));
  if (!TOOLS.every((tool) => fs.existsSync(path.join(dir, tool)))) return undefined;
  const version = versionOf(pgDump!);
  if (!version || majorOf(version) < major || !versionOf(pgRestore!)) return undefined;
  return { pgDump: pgDump!, pgRestore: pgRestore!, version, major: majorOf(version), source };
}

function onPath(major: number): PgTools | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const found = fromDir(dir, major, `PATH (${dir})`);
    if (found) return found;
  }
  const debian = '/usr/lib/postgresql';
  const installed = fs.existsSync(debian) ? fs.readdirSync(debian).filter((name) => Number(name) >= major) : [];
  for (const version of installed.sort((a, b) => Number(b) - Number(a))) {
    const found = fromDir(path.join(debian, version, 'bin'), major, `${debian}/${version}/bin`);
    if (found) return found;
  }
  return undefined;
}

/** Where the downloaded client is kept: `SHOP_CACHE_DIR`, else $XDG_CACHE_HOME/shop, else ~/.cache/shop. */
export function cacheDir(env: { SHOP_CACHE_DIR?: string; XDG_CACHE_HOME?: string }): string {
  if (env.SHOP_CACHE_DIR) return path.resolve(env.SHOP_CACHE_DIR);
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'shop');
}

/** The trixie client closure in `root`, run through its own loader (see above). */
function fromClosure(root: string, major: number): PgTools | undefined {
  const lib = path.join(root, 'usr/lib/x86_64-linux-gnu');
  const loader = path.join(lib, 'ld-linux-x86-64.so.2');
  if (!fs.existsSync(loader)) return undefined;
  return fromDir(path.join(root, 'usr/lib/postgresql', String(major), 'bin'), major, `Debian trixie's postgresql-client-${major} in ${root}`, (bin) => [
    loader,
    '--library-path',
    lib,
    bin,
  ]);
}

/** Downloads trixie's postgresql-client-<major> and what it needs into `folder` (apt-get without root, no install). */
function fetchClosure(folder: string, major: number, log: (line: string) => void) {
  const partial = `${folder}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  for (const dir of ['etc', 'lists/partial', 'cache/archives/partial', 'root']) fs.mkdirSync(path.join(partial, dir), { recursive: true });
  fs.writeFileSync(path.join(partial, 'status'), '');
  fs.writeFileSync(
    path.join(partial, 'etc/sources.list'),
    'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main\n',
  );
  const options = [
    `Dir::Etc::sourcelist=${partial}/etc/sources.list`,
    `Dir::Etc::sourceparts=${partial}/etc`,
    `Dir::State::Lists=${partial}/lists`,
    `Dir::Cache=${partial}/cache`,
    `Dir::State::status=${partial}/status`,
    'APT::Architecture=amd64',
    'Debug::NoLocking=1',
  ].flatMap((option) => ['-o', option]);
  log(`fetching Debian trixie's postgresql-client-${major} into ${folder} (once; about 20 MB)`);
  const run = (args: string[]) => execFileSync('apt-get', [...options, ...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
  run(['update', '-qq']);
  run(['install', '-d', '-y', '-qq', '--no-install-recommends', `postgresql-client-${major}`]);
  const archives = path.join(partial, 'cache/archives');
  for (const deb of fs.readdirSync(archives).filter((name) => name.endsWith('.deb')))
    execFileSync('dpkg-deb', ['-x', path.join(archives, deb), path.join(partial, 'root')]);
  fs.rmSync(path.join(partial, 'cache'), { recursive: true, force: true });
  fs.rmSync(path.join(partial, 'lists'), { recursive: true, force: true });
  fs.rmSync(folder, { recursive: true, force: true });
  fs.renameSync(partial, folder);
}

const isDebianWithApt = () => fs.existsSync('/etc/debian_version') && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * pg_dump and pg_restore for a server of major version `serverMajor` (see the comment at the top). The client is at
 * least 17 (the embedded server's), so one cached client serves every server up to it.
 */
export function resolvePgTools(
  serverMajor: number,
  env: { PG_BIN_DIR?: string; SHOP_CACHE_DIR?: string; XDG_CACHE_HOME?: string },
  log: (line: string) => void = () => {},
): PgTools {
  const major = Math.max(serverMajor, 17);
  if (env.PG_BIN_DIR) {
    const dir = path.resolve(env.PG_BIN_DIR);
    const found = fromDir(dir, serverMajor, `PG_BIN_DIR (${dir})`);
    if (!found) throw new Error(`PG_BIN_DIR=${dir} holds no working pg_dump and pg_restore of PostgreSQL ${serverMajor} or newer`);
    return found;
  }
  const local = onPath(serverMajor);
  if (local) return local;
  const folder = path.join(cacheDir(env), `pg-client-${major}`);
  const cached = fromClosure(path.join(folder, 'root'), major);
  if (cached) return cached;
  if (process.arch === 'x64' && isDebianWithApt()) {
    try {
      fetchClosure(folder, major, log);
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
      throw new Error(`could not fetch postgresql-client-${major} from Debian trixie: ${stderr || (error as Error).message}`, { cause: error });
    }
    const fetched = fromClosure(path.join(folder, 'root'), major);
    if (fetched) return fetched;
  }
  throw new Error(
    `no pg_dump/pg_restore of PostgreSQL ${serverMajor} or newer found (pg_dump refuses a newer server). ` +
      `Install PostgreSQL ${major}'s client tools (Debian/Ubuntu: postgresql-client-${major} from apt.postgresql.org or trixie; ` +
      `macOS: brew install postgresql@${major}) and put them on PATH, or set PG_BIN_DIR to the folder holding them.`,
  );
}
