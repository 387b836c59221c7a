// The chaos soak's database target (scripts/chaos.ts): PostgreSQL itself stopped (fast shutdown) and started
// again, and a long ACCESS EXCLUSIVE lock on a table a purchase needs, on a fixed schedule so that even CI's
// short run has one of each: in every 20 s of load, a stop at 4 s (down for 1.5–3 s) and a lock at 11 s
// (held 3–5 s, longer than the services' 1 s lock timeout). The services must answer 503 meanwhile, never
// 500, and the books must balance afterwards.
import pg from 'pg';
import type { ServiceName } from '@shop/devkit';

const BLOCK_MS = 20_000;
/** Tables whose lock stops a purchase: its stock, its wallet, its own record. */
const LOCKS: Array<{ service: ServiceName; tables: string }> = [
  { service: 'inventory', tables: 'items' },
  { service: 'customers', tables: 'customers, ledger_entries' },
  { service: 'sales', tables: 'sales' },
];

export function databaseChaos(options: {
  postgres: { stop(): Promise<void>; start(): Promise<void> };
  databaseUrls: Record<ServiceName, string>;
  /** When the load ends (ms since the epoch); no fault is left running past it. */
  deadline: number;
  random: () => number;
  log: (...parts: unknown[]) => void;
}) {
  const events: string[] = [];
  const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

  async function stopAndStart(downMs: number) {
    const started = Date.now();
    await options.postgres.stop();
    options.log(`PostgreSQL stopped (fast shutdown) for ${Math.round(downMs)} ms`);
    await sleepUntil(started + downMs);
    await options.postgres.start();
    options.log('PostgreSQL started again');
    events.push(`postgres stop ${(downMs / 1000).toFixed(1)} s`);
  }

  async function lock(holdMs: number) {
    const target = LOCKS[Math.floor(options.random() * LOCKS.length)]!;
    const client = new pg.Client({ connectionString: options.databaseUrls[target.service] });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query(`LOCK TABLE ${target.tables} IN ACCESS EXCLUSIVE MODE`);
      options.log(`ACCESS EXCLUSIVE lock on ${target.service}.${target.tables} for ${Math.round(holdMs)} ms`);
      await new Promise((resolve) => setTimeout(resolve, holdMs));
      await client.query('ROLLBACK');
      events.push(`lock ${target.service}.${target.tables} ${(holdMs / 1000).toFixed(1)} s`);
    } finally {
      await client.end();
    }
  }

  return {
    events,
    async run() {
      for (let block = Date.now(); ; block += BLOCK_MS) {
        const downMs = 1_500 + options.random() * 1_500;
        const holdMs = 3_000 + options.random() * 2_000;
        if (block + 4_000 + downMs > options.deadline - 1_000) return;
        await sleepUntil(block + 4_000);
        await stopAndStart(downMs);
        if (block + 11_000 + holdMs > options.deadline - 1_000) return;
        await sleepUntil(block + 11_000);
        await lock(holdMs);
      }
    },
  };
}
