// `pnpm backup [folder]`: a custom-format pg_dump of each service's database (each one snapshot, sales last) and a
// manifest.json (time, pg_dump's and the server's versions, each database's applied migrations, sizes, sha256) into
// `folder` (default backups/<UTC time>), which must be new or empty.
//
// The databases are found as `pnpm start` finds them: the four *_DATABASE_URL, else the embedded PostgreSQL of a
// running `pnpm start`. pg_dump 17 or newer comes from PG_BIN_DIR, PATH, or a one-time download of Debian trixie's
// client (packages/devkit/src/pg-tools.ts). Exit 0 written, 1 failed. docs/operations.md, "Backups".
import path from 'node:path';
import { backup, backupTargets, parseStartConfig, resolvePgTools, serverMajor } from '@shop/devkit';

const ROOT = path.resolve(__dirname, '..');

async function main() {
  const args = process.argv.slice(2);
  const config = parseStartConfig(process.env);
  if (args.length === 1 && args[0] === '--tools') {
    // Only find (or fetch once) the client tools: CI prefetches them so the tests do not wait for the download.
    const tools = resolvePgTools(17, config, (line) => console.error(`[backup] ${line}`));
    console.log(`${tools.version} from ${tools.source}`);
    return;
  }
  if (args.length > 1 || args.some((arg) => arg.startsWith('-'))) {
    console.error('usage: pnpm backup [folder] | pnpm backup --tools');
    process.exit(2);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const folder = path.resolve(process.env.INIT_CWD ?? process.cwd(), args[0] ?? path.join(ROOT, 'backups', stamp));
  const targets = backupTargets(config, process.env, ROOT);
  const major = await serverMajor(targets.urls.customers).catch((error: Error) => {
    throw new Error(`cannot reach ${targets.where}: ${error.message}${targets.where.includes('embedded') ? ' (is pnpm start running?)' : ''}`);
  });
  const tools = resolvePgTools(major, config, (line) => console.error(`[backup] ${line}`));
  console.error(`[backup] ${targets.where} (PostgreSQL ${major}) with ${tools.version}`);
  const started = performance.now();
  const manifest = await backup(targets.urls, folder, tools, (line) => console.error(`[backup] ${line}`));
  const bytes = Object.values(manifest.databases).reduce((sum, entry) => sum + entry.bytes, 0);
  console.error(`[backup] done in ${((performance.now() - started) / 1000).toFixed(1)} s, ${(bytes / 1024 / 1024).toFixed(1)} MiB`);
  console.log(folder);
}

main().catch((error: Error) => {
  console.error(`[backup] failed: ${error.message}`);
  process.exit(1);
});
