import fs from 'node:fs';
import path from 'node:path';

/**
 * The environment `pnpm start` gives its sales service, kept in its data folder while the shop runs (written once
 * every service is ready, removed when it stops), so that `pnpm audit:books` (scripts/audit-books.ts) runs with no
 * setup beside it. It holds what secrets.json holds (the database password, sales' credentials): mode 600 as well.
 */
export const SALES_ENV_FILE = 'sales.env.json';

export function recordSalesEnv(dataDir: string, env: Record<string, string>): void {
  const file = path.join(dataDir, SALES_ENV_FILE);
  fs.writeFileSync(file, JSON.stringify(env, null, 2), { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

export function forgetSalesEnv(dataDir: string): void {
  fs.rmSync(path.join(dataDir, SALES_ENV_FILE), { force: true });
}
