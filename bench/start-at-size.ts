// Issue 23: sales' start-up time on a small database and on one holding a million sales. Measured by hand:
//
//   LARGE_SALES_DATABASE_URL=postgresql://…/sales_at_size npx tsx bench/start-at-size.ts   # BENCH_RUNS=3
//
// Starts the shop as the tests do (its sales database is the small one: migrated, a few rows), then starts sales
// alone BENCH_RUNS times on each database, alternating, and times spawn → first /ready 200 (through tsx with a warm
// cache, as `pnpm start`). The large database must have sales' migrations applied and hold what is being measured
// (e.g. the rows bench/scale-load.ts writes for sales); it is only read.
import { freePort, startService } from '@shop/devkit';
import { startTestSystem } from '@shop/testkit/src/system';
import { loadAverage } from './proc';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const large = process.env.LARGE_SALES_DATABASE_URL;
if (!large) throw new Error('set LARGE_SALES_DATABASE_URL to a migrated sales database holding a million sales');

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main() {
  const system = await startTestSystem({ stdio: 'ignore', nodeEnv: 'production', databaseLimits: 'relaxed', readyTimeoutMs: 240_000 });
  const env = system.context.env.sales;
  const times: Record<'small' | 'large', number[]> = { small: [], large: [] };
  try {
    await system.processes.find((p) => p.name === 'sales')?.stop();
    for (let run = 0; run <= RUNS; run++) {
      for (const size of ['small', 'large'] as const) {
        const started = performance.now();
        const sales = await startService(
          'sales',
          { ...env, PORT: String(await freePort()), ...(size === 'large' && { DATABASE_URL: large }) },
          { stdio: 'ignore', readyTimeoutMs: 240_000 },
        );
        const ms = performance.now() - started;
        await sales.stop();
        if (run > 0) times[size].push(ms); // the first round warms tsx's cache
      }
    }
  } finally {
    await system.stop();
  }
  console.log(`load average after: ${loadAverage()}`);
  for (const size of ['small', 'large'] as const)
    console.log(
      `sales start-up, ${size}: median ${(median(times[size]) / 1000).toFixed(2)} s of ${times[size].map((ms) => (ms / 1000).toFixed(2)).join(', ')}`,
    );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
