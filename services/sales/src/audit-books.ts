// `pnpm audit:books [--repair] [--json]`: the books audit, run once with sales' own configuration (the same
// environment the sales service runs with: its DATABASE_URL, CUSTOMERS_URL, INVENTORY_URL and its credentials for
// them). Prints a summary and each discrepancy with its ids; exits 1 on drift left unrepaired, 2 when it could not
// run. Compiled: `node dist/audit-books.js` in the sales image (docs/operations.md, "Books audit").
import { createLogger } from '@shop/kit';
import { createApp } from './app';
import { formatReport } from './books-format';
import { loadConfig } from './config';
import { connectDatabase } from './data/db';

const USAGE = 'usage: audit:books [--repair] [--json]';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const unknown = args.filter((arg) => !['--repair', '--json'].includes(arg));
  if (unknown.length) {
    process.stderr.write(`unknown argument ${unknown.join(' ')}\n${USAGE}\n`);
    return 2;
  }
  const config = loadConfig();
  // Only warnings and errors of the audit's own process (its repairs' saga steps log as the sweep does), on stderr:
  // stdout is the report (one JSON object with --json).
  const logger = createLogger('sales-audit', config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL, 'stderr');
  const db = connectDatabase(config, (err) => logger.warn({ err }, 'idle database connection failed'));
  const { books } = createApp({ config, db, logger, isReady: () => Promise.resolve(true) });
  const started = performance.now();
  const report = await books.audit.run({ repair: args.includes('--repair') });
  const seconds = (performance.now() - started) / 1000;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify({ ...report, seconds, peakRssMb })}\n`);
  else process.stdout.write(formatReport(report, { seconds, peakRssMb }));
  return report.unrepaired > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`the books audit could not run: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
