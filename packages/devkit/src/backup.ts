import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { withClient } from './pg-client';
import type { PgTools } from './pg-tools';
import type { ServiceName } from './services';

/**
 * The order of the dumps (`pnpm backup`): each is one snapshot of its own database, but the four are taken one after
 * another, so a later dump can hold what happened after an earlier one. Sales goes last: every step of a saga is
 * recorded first by sales (pending), then at customers and inventory, then completed by sales; with sales last, what
 * the others' dumps miss is always a step that sales' dump says was taken, which the books audit's --repair records
 * forward with the sagas' own idempotent steps (docs/operations.md, "Backups").
 */
export const DUMP_ORDER: ServiceName[] = ['customers', 'inventory', 'reviews', 'sales'];
export const MANIFEST = 'manifest.json';
export const MANIFEST_FORMAT = 'shop-backup/1';

export interface DumpEntry {
  file: string;
  database: string;
  serverVersion: string;
  /** Applied migrations (their folder names under prisma/<service>/migrations), in order. */
  migrations: string[];
  /** When its snapshot was taken (pg_dump's start), and how long the dump took. */
  dumpedAt: string;
  seconds: number;
  bytes: number;
  sha256: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  startedAt: string;
  finishedAt: string;
  pgDump: { version: string; source: string };
  order: ServiceName[];
  databases: Partial<Record<ServiceName, DumpEntry>>;
}

/** A URL without its password, and the password apart: the tools get it through PGPASSWORD, never a command line. */
export function splitPassword(url: string): { url: string; password: string } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return { url: parsed.toString(), password };
}

export async function serverMajor(url: string): Promise<number> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ v: number }>(`SELECT current_setting('server_version_num')::int AS v`);
    return Math.floor(rows[0]!.v / 10_000);
  });
}

/** The applied migrations of the database `client` is connected to (none when it has no migrations table). */
export async function appliedMigrations(client: pg.Client): Promise<string[]> {
  const { rows: table } = await client.query<{ t: string | null }>(`SELECT to_regclass('public._prisma_migrations') AS t`);
  if (!table[0]!.t) return [];
  const { rows } = await client.query<{ name: string }>(
    `SELECT migration_name AS name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`,
  );
  return rows.map((row) => row.name);
}

export function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = crypto.createHash('sha256');
    fs.createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Runs one of the tools with the password in its environment; rejects with its stderr on failure. */
export function runTool(command: string[], args: string[], password: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, [...command.slice(1), ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PGPASSWORD: password, PGAPPNAME: 'shop-backup', LC_MESSAGES: 'C' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(command.at(-1)!)} exited with ${code}: ${stderr.trim()}`))));
  });
}

/**
 * `pnpm backup`: a custom-format pg_dump of each database (one consistent snapshot each, in DUMP_ORDER) into `folder`,
 * then manifest.json, written last (a folder without one is an unfinished backup).
 */
export async function backup(urls: Record<ServiceName, string>, folder: string, tools: PgTools, log: (line: string) => void = () => {}): Promise<Manifest> {
  if (fs.existsSync(folder) && fs.readdirSync(folder).length) throw new Error(`${folder} is not empty: a backup goes into a new folder`);
  fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
  const startedAt = new Date().toISOString();
  const databases: Manifest['databases'] = {};
  for (const service of DUMP_ORDER) {
    const { url, password } = splitPassword(urls[service]);
    const { serverVersion, migrations, database } = await withClient(urls[service], async (client) => ({
      serverVersion: (await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]!.v,
      migrations: await appliedMigrations(client),
      database: (await client.query<{ d: string }>('SELECT current_database() AS d')).rows[0]!.d,
    }));
    const file = `${service}.dump`;
    const dumpedAt = new Date().toISOString();
    const started = performance.now();
    await runTool(tools.pgDump, ['--format=custom', '--compress=6', '--no-password', '--file', path.join(folder, file), '--dbname', url], password);
    const seconds = (performance.now() - started) / 1000;
    const bytes = fs.statSync(path.join(folder, file)).size;
    databases[service] = { file, database, serverVersion, migrations, dumpedAt, seconds, bytes, sha256: await sha256Of(path.join(folder, file)) };
    log(`${service}: ${database} → ${file} (${(bytes / 1024).toFixed(0)} KiB, ${seconds.toFixed(1)} s, ${migrations.length} migrations)`);
  }
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    startedAt,
    finishedAt: new Date().toISOString(),
    pgDump: { version: tools.version, source: tools.source },
    order: DUMP_ORDER,
    databases,
  };
  fs.writeFileSync(path.join(folder, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  return manifest;
}
