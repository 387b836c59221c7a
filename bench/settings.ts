// The benchmark's settings (environment variables with defaults) and a one-off query helper.
import path from 'node:path';
import pg from 'pg';

export const DURATION = Number(process.env.BENCH_DURATION ?? 5);
/** Each scenario is measured in this many rounds of DURATION seconds, taking turns with its ceiling. */
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
export const ITEMS = Number(process.env.BENCH_ITEMS ?? 400);
export const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 2000);
export const REVIEWS_PER_ITEM = Number(process.env.BENCH_REVIEWS_PER_ITEM ?? 10);
export const BCRYPT_ROUNDS = Number(process.env.BENCH_BCRYPT_ROUNDS ?? 10);
export const INITIAL_STOCK = 1_000_000;
export const STARTING_BALANCE = 100_000_000;
/** Sales bought before the refund scenario, and the units of each: enough for every refund request of a run. */
export const REFUND_SALES = Number(process.env.BENCH_REFUND_SALES ?? 1000);
export const REFUND_UNITS = 30;
export const RESULTS = path.join(__dirname, 'results');
/** BENCH_ONLY=purchase,items runs the scenarios whose name contains one of the words (case-insensitive). */
export const ONLY = process.env.BENCH_ONLY?.toLowerCase().split(',');
/**
 * BENCH_SOAK=<seconds> runs, instead of the scenarios, one mixed load (every read and purchases) for that long,
 * sampling each service's RSS every 5 s, to show memory stays flat (bench/results/soak.md).
 */
export const SOAK_SECONDS = Number(process.env.BENCH_SOAK ?? 0);
/** BENCH_PROFILE=<dir> makes every service write a V8 CPU profile there when it stops. */
export const PROFILE_DIR = process.env.BENCH_PROFILE;
/**
 * After its closed-loop rounds, each scenario (but login, which bcrypt keeps far above it) is offered a fixed
 * rate (open loop) at falling fractions of the rate it reached, until one keeps p99 within P99_TARGET_MS: the
 * rate at that tail, reported beside the closed-loop figure. BENCH_P99_TARGET_MS=0 skips it.
 */
export const P99_TARGET_MS = Number(process.env.BENCH_P99_TARGET_MS ?? 100);
export const OPEN_LOOP_FRACTIONS = [0.9, 0.75, 0.6, 0.45, 0.3, 0.15];
/** BENCH_PG_SETTINGS=commit_delay=1000,commit_siblings=5 sets PostgreSQL settings (ALTER SYSTEM) for an experiment. */
export const PG_SETTINGS = (process.env.BENCH_PG_SETTINGS ?? '')
  .split(',')
  .filter(Boolean)
  .map((pair) => pair.split('=') as [string, string]);
// BENCH_POOL_SIZE=<n> overrides every service's DATABASE_POOL_SIZE (default 10) for an experiment.

/** One statement on its own connection (the bench's seeding and checks; never on a measured path). */
export const query = async (url: string, text: string, params: unknown[] = []) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
};
