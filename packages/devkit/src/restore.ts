import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { appliedMigrations, DUMP_ORDER, MANIFEST, MANIFEST_FORMAT, runTool, sha256Of, splitPassword, type Manifest } from './backup';
import { withClient } from './pg-client';
import { applyMigrations } from './migrate';
import type { PgTools } from './pg-tools';
import { SERVICES, type ServiceName } from './services';

const entrySchema = z.object({
  file: z.string().regex(/^[a-z]+\.dump$/),
  database: z.string(),
  serverVersion: z.string(),
  migrations: z.array(z.string()),
  dumpedAt: z.string(),
  seconds: z.number(),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  startedAt: z.string(),
  finishedAt: z.string(),
  pgDump: z.object({ version: z.string(), source: z.string() }),
  order: z.array(z.enum(Object.keys(SERVICES) as [ServiceName, ...ServiceName[]])),
  databases: z.object(Object.fromEntries(Object.keys(SERVICES).map((name) => [name, entrySchema])) as Record<ServiceName, typeof entrySchema>),
});

/** A restore that must not go ahead; nothing was changed when it is thrown. */
export class RestoreRefused extends Error {}

/**
 * The manifest of `folder`, checked before anything is touched: its shape, each dump's size and sha256, and that every
 * applied migration it lists is one this code knows (prisma/<service>/migrations): a dump from newer code could hold
 * tables and columns this code does not understand.
 */
export async function verifyBackup(folder: string, migrationsRoot: string): Promise<Manifest> {
  const file = path.join(folder, MANIFEST);
  if (!fs.existsSync(file)) throw new RestoreRefused(`${file} is missing: not a backup, or one that did not finish`);
  const parsed = manifestSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success)
    throw new RestoreRefused(`${file} is not a backup manifest: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const manifest = parsed.data as Manifest;
  const problems: string[] = [];
  for (const service of DUMP_ORDER) {
    const entry = manifest.databases[service]!;
    const dump = path.join(folder, entry.file);
    if (!fs.existsSync(dump)) problems.push(`${entry.file} is missing`);
    else if (fs.statSync(dump).size !== entry.bytes) problems.push(`${entry.file} has ${fs.statSync(dump).size} bytes, the manifest says ${entry.bytes}`);
    else if ((await sha256Of(dump)) !== entry.sha256)
      problems.push(`${entry.file} fails its checksum (sha256 differs from the manifest's): the file is damaged`);
    const known = new Set(fs.readdirSync(path.join(migrationsRoot, service, 'migrations')));
    const unknown = entry.migrations.filter((name) => !known.has(name));
    if (unknown.length)
      problems.push(`${service}'s dump has migrations this code does not know (${unknown.join(', ')}): restore it with the code that wrote it`);
  }
  if (problems.length) throw new RestoreRefused(`the backup in ${folder} cannot be restored:\n  - ${problems.join('\n  - ')}`);
  return manifest;
}

/**
 * What makes a database "in use": a row of the shop's own data. Migrations seed bookkeeping rows (list versions, event
 * feeds) and customers makes its admin account at start, so those do not count: a database that only the migrations
 * and a start have touched is empty.
 */
const DATA: Record<ServiceName, { table: string; where: string }> = {
  customers: { table: 'customers', where: `role <> 'admin'` },
  inventory: { table: 'items', where: 'true' },
  sales: { table: 'sales', where: 'true' },
  reviews: { table: 'reviews', where: 'true' },
};

/** Whether the database holds data of its service (see DATA). */
async function inUse(service: ServiceName, url: string): Promise<boolean> {
  const { table, where } = DATA[service];
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ t: string | null }>(`SELECT to_regclass('public.${table}') AS t`);
    return rows[0]!.t !== null && Boolean((await client.query(`SELECT 1 FROM public.${table} WHERE ${where} LIMIT 1`)).rowCount);
  });
}

export interface RestoreResult {
  service: ServiceName;
  seconds: number;
  /** Migrations this code has that the dump did not (applied after the restore). */
  migrated: string[];
}

/**
 * `pnpm restore`: after verifyBackup, refuses (changing nothing) when any target database is in use (holds the shop's data, see DATA), unless `force`;
 * then, per database, empties the public schema and restores the dump into it in one transaction (all or nothing),
 * without the dump's owners and grants (the target's role owns what it restores), and applies the migrations this code
 * has beyond the dump's.
 */
export async function restore(
  urls: Record<ServiceName, string>,
  folder: string,
  tools: PgTools,
  options: { force: boolean; migrationsRoot: string; log?: (line: string) => void },
): Promise<{ manifest: Manifest; restored: RestoreResult[] }> {
  const log = options.log ?? (() => {});
  const manifest = await verifyBackup(folder, options.migrationsRoot);
  if (!options.force) {
    const used = (await Promise.all(DUMP_ORDER.map(async (service) => ((await inUse(service, urls[service])) ? service : undefined)))).filter(Boolean);
    if (used.length)
      throw new RestoreRefused(
        `refusing to restore over data (--force replaces it): ${used.map((service) => `${service} (rows in ${DATA[service!].table})`).join(', ')}`,
      );
  }
  const restored: RestoreResult[] = [];
  for (const service of DUMP_ORDER) {
    const entry = manifest.databases[service]!;
    const started = performance.now();
    await withClient(urls[service], async (client) => {
      // Everything in public goes (tables, functions, the pg_trgm extension the dump brings back), and public is
      // made again owned by the role restoring, as a new database's is.
      await client.query('DROP SCHEMA IF EXISTS public CASCADE');
      await client.query('CREATE SCHEMA public');
    });
    const { url, password } = splitPassword(urls[service]);
    await runTool(
      tools.pgRestore,
      ['--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error', '--no-password', '--dbname', url, path.join(folder, entry.file)],
      password,
    ).catch((error: Error) => {
      throw new Error(`${service}: ${error.message}`, { cause: error });
    });
    const migrated = await applyMigrations(urls[service], path.join(options.migrationsRoot, service, 'migrations'));
    const applied = await withClient(urls[service], appliedMigrations);
    const seconds = (performance.now() - started) / 1000;
    restored.push({ service, seconds, migrated });
    log(
      `${service}: ${entry.file} → ${splitPassword(urls[service]).url.replace(/\/\/[^@]*@/, '//')} (${seconds.toFixed(1)} s, ${applied.length} migrations${migrated.length ? `, ${migrated.length} applied after` : ''})`,
    );
  }
  return { manifest, restored };
}
