// `pnpm audit:books [--repair] [--json]`: sales' books audit (services/sales/src/audit-books.ts) with sales'
// environment. Given explicitly (DATABASE_URL set: docker-compose, Kubernetes, CI, a shell in sales' environment),
// it is used as it is. Without it, the environment `pnpm start` gave its sales service is read from the file it
// keeps beside its data while the shop runs (<SHOP_DATA_DIR>/sales.env.json, mode 600, like secrets.json), so the
// audit needs no setup beside a running `pnpm start`. Variables set here win over the file's.
import fs from 'node:fs';
import path from 'node:path';
import { parseStartConfig, SALES_ENV_FILE } from '@shop/devkit';

const ROOT = path.resolve(__dirname, '..');

function startEnvironment(): Record<string, string> | undefined {
  if (process.env.DATABASE_URL) return undefined;
  const file = path.resolve(ROOT, parseStartConfig(process.env).SHOP_DATA_DIR, SALES_ENV_FILE);
  if (!fs.existsSync(file)) {
    process.stderr.write(
      `audit:books: no sales environment: DATABASE_URL is not set, and ${path.relative(ROOT, file)} (written by a running \`pnpm start\`) is not there.\n` +
        'Start the shop with `pnpm start`, or run with sales\' variables (docs/operations.md, "Books audit").\n',
    );
    process.exit(2);
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
}

const recorded = startEnvironment();
if (recorded) for (const [key, value] of Object.entries(recorded)) process.env[key] ??= value;
// Runs the audit and exits with its code (0 balanced, 1 drift left, 2 could not run).
const audit = '../services/sales/src/audit-books';
void import(audit);
