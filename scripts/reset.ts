// `pnpm reset`: empties `pnpm start`'s data folder (.data/, or SHOP_DATA_DIR): every account, item, sale and review
// in the embedded PostgreSQL, its log and the generated secrets. It asks first (`--yes` for scripts) and refuses
// while the shop runs on that folder.
// `pnpm reset --limits`: clears only the login and registration limits (customers' rate_limit_hits), in the
// running development database (the embedded one, or CUSTOMERS_DATABASE_URL's). docs/development.md.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline/promises';
import pg from 'pg';
import { parseStartConfig, processCmdline, relocatedDataDirOf, type Secrets } from '@shop/devkit';

const ROOT = path.resolve(__dirname, '..');
const config = parseStartConfig(process.env);
const DATA_DIR = path.resolve(ROOT, config.SHOP_DATA_DIR);
const where = path.relative(ROOT, DATA_DIR) || DATA_DIR;
const args = process.argv.slice(2);

async function clearLimits() {
  let url = config.CUSTOMERS_DATABASE_URL;
  if (!url) {
    const file = path.join(DATA_DIR, 'secrets.json');
    if (!fs.existsSync(file)) throw new Error(`no ${where}/secrets.json: nothing has started here, so there are no limits to clear`);
    const secrets = JSON.parse(fs.readFileSync(file, 'utf8')) as Secrets;
    url = `postgresql://postgres:${encodeURIComponent(secrets.POSTGRES_PASSWORD)}@127.0.0.1:${config.POSTGRES_PORT}/customers`;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect().catch((error: Error) => {
    throw new Error(`cannot reach customers' database (${error.message}): the limits live there, so start the shop first (pnpm start)`);
  });
  try {
    const { rowCount } = await client.query('DELETE FROM rate_limit_hits');
    console.log(`[reset] cleared the login and registration limits (${rowCount ?? 0} counters)`);
  } finally {
    await client.end();
  }
}

/** The pid of a `pnpm start` still running on this folder, if any. */
function runningStart(): number | undefined {
  try {
    const { pid } = JSON.parse(fs.readFileSync(path.join(DATA_DIR, 'start.lock'), 'utf8')) as { pid: number };
    return processCmdline(pid)?.includes('start') ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function confirmed(): Promise<boolean> {
  if (args.includes('--yes')) return true;
  if (!process.stdin.isTTY) {
    console.error(`[reset] this deletes ${where}/ and everything in it; run \`pnpm reset --yes\` to do it without asking`);
    return false;
  }
  const prompt = readline.createInterface({ input: process.stdin, output: process.stdout });
  const answer = await prompt.question(`Delete ${where}/ (every account, item, sale and review, and the generated secrets)? Type yes: `);
  prompt.close();
  return answer.trim().toLowerCase() === 'yes';
}

async function main() {
  if (args.includes('--limits')) return clearLimits();
  const pid = runningStart();
  if (pid) throw new Error(`\`pnpm start\` (pid ${pid}) is running on ${where}/: stop it first (Ctrl-C there)`);
  if (!fs.existsSync(DATA_DIR)) {
    console.log(`[reset] ${where}/ does not exist: nothing to delete`);
    return;
  }
  if (!(await confirmed())) {
    process.exitCode = 1;
    return;
  }
  // As root, the embedded PostgreSQL may keep its files where its own user can reach them (docs/running.md).
  fs.rmSync(relocatedDataDirOf(path.join(DATA_DIR, 'postgres')), { recursive: true, force: true });
  fs.rmSync(DATA_DIR, { recursive: true, force: true });
  console.log(`[reset] deleted ${where}/; the next \`pnpm start\` begins from nothing`);
}

main().catch((error: Error) => {
  console.error(`[reset] ${error.message}`);
  process.exit(1);
});
