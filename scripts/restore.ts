// `pnpm restore <folder> [--force] [--repair]`: checks the backup's manifest (each dump's size and sha256, and that
// its migrations are ones this code knows), refuses databases that hold rows unless --force, restores each dump in
// one transaction, applies this code's newer migrations, then runs the books audit (`pnpm audit:books`, with
// --repair when given) against the running services and prints it. --no-audit: restore only (into databases whose
// services are not started yet, as in production: start them, then run pnpm audit:books --repair).
//
// Exit 0: restored and the books balance (or were repaired); 1: restored, drift left (listed); 2: refused or failed
// before anything changed, or the audit could not run (the services are not up: start them, then pnpm audit:books).
// The databases are found as `pnpm backup` finds them. docs/operations.md, "Backups".
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { backupTargets, HEAP_FLAGS, parseStartConfig, resolvePgTools, restore, RestoreRefused, serverMajor, verifyBackup } from '@shop/devkit';

const ROOT = path.resolve(__dirname, '..');
const USAGE = 'usage: pnpm restore <folder> [--force] [--repair | --no-audit]';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const flags = new Set(args.filter((arg) => arg.startsWith('-')));
  const positional = args.filter((arg) => !arg.startsWith('-'));
  const unknown = [...flags].filter((flag) => !['--force', '--repair', '--no-audit'].includes(flag));
  if (positional.length !== 1 || unknown.length) {
    console.error(unknown.length ? `unknown option ${unknown.join(' ')}\n${USAGE}` : USAGE);
    return 2;
  }
  const folder = path.resolve(process.env.INIT_CWD ?? process.cwd(), positional[0]!);
  const config = parseStartConfig(process.env);
  const migrationsRoot = path.join(ROOT, 'prisma');
  await verifyBackup(folder, migrationsRoot); // before reaching for a server or tools: a damaged backup says so at once
  const targets = backupTargets(config, process.env, ROOT);
  const major = await serverMajor(targets.urls.customers).catch((error: Error) => {
    throw new RestoreRefused(`cannot reach ${targets.where}: ${error.message}${targets.where.includes('embedded') ? ' (is pnpm start running?)' : ''}`);
  });
  const tools = resolvePgTools(major, config, (line) => console.error(`[restore] ${line}`));
  const log = (line: string) => console.error(`[restore] ${line}`);
  log(`${folder} → ${targets.where} with ${tools.version.replace('pg_dump', 'pg_restore')}`);
  const started = performance.now();
  const { manifest } = await restore(targets.urls, folder, tools, { force: flags.has('--force'), migrationsRoot, log });
  const took = `restored the backup of ${manifest.startedAt} in ${((performance.now() - started) / 1000).toFixed(1)} s`;
  if (flags.has('--no-audit')) {
    log(`${took}. Start the services on these databases, then run pnpm audit:books --repair`);
    return 0;
  }
  log(`${took}; the books audit follows`);

  const audit = spawnSync(
    process.execPath,
    [...HEAP_FLAGS, '--import', 'tsx', path.join(ROOT, 'services/sales/src/audit-books.ts'), ...(flags.has('--repair') ? ['--repair'] : [])],
    { cwd: ROOT, env: targets.auditEnv, stdio: 'inherit' },
  );
  if (audit.status === 2)
    log('the books audit could not run (it reaches customers and inventory through their APIs): start the services, then pnpm audit:books --repair');
  return audit.status ?? 2;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`[restore] ${error instanceof RestoreRefused ? 'refused' : 'failed'}: ${error.message}`);
    process.exit(2);
  },
);
