import client, { type Registry } from 'prom-client';
import type { Queryable } from '../database';
import type { Logger } from '../logging';
import type { RetentionConfig } from './config';
import { webhookPruneRules, type PruneRule } from './rules';

export { retentionConfigSchema, type RetentionConfig } from './config';
export { pruneRule, webhookPruneRules, type PruneRule } from './rules';

/** Batches one table may take in one pass: a backlog larger than this waits for the next pass (the gauge shows it). */
const MAX_BATCHES_PER_PASS = 100;
/**
 * The backlog gauge counts prunable rows up to this, by index: enough to see a purge falling behind, and cheap
 * (10,000 index entries: about 18 ms at a million rows).
 */
const BACKLOG_CAP = 10_000;

/**
 * A service's retention: on a timer, each rule deletes its old rows a batch at a time (each batch its own short
 * statement, SKIP LOCKED: safe on every replica at once), until a batch comes back short or the pass's batches
 * are used up. On /metrics: retention_rows_removed_total and retention_backlog_rows, by table. A failing rule is
 * logged and tried again at the next pass; the others go on.
 */
export function createRetention(options: { rules: PruneRule[]; intervalMs: number; batchSize: number; logger: Logger }) {
  const { rules, batchSize, logger } = options;
  const removed = new client.Counter({
    name: 'retention_rows_removed_total',
    help: 'Rows deleted by retention, by table (rows removed with them by ON DELETE CASCADE not counted)',
    labelNames: ['table'] as const,
    registers: [],
  });
  const backlog = new client.Gauge({
    name: 'retention_backlog_rows',
    help: `Rows past their retention still waiting to be deleted after the last pass, by table (counted up to ${BACKLOG_CAP})`,
    labelNames: ['table'] as const,
    registers: [],
  });
  for (const rule of rules) removed.inc({ table: rule.table }, 0);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  async function prune(rule: PruneRule): Promise<number> {
    let total = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_PASS && !stopped; batch++) {
      const deleted = await rule.prune(batchSize);
      removed.inc({ table: rule.table }, deleted);
      total += deleted;
      if (deleted < batchSize) break;
    }
    backlog.set({ table: rule.table }, await rule.backlog(BACKLOG_CAP));
    return total;
  }

  /** One pass over every rule; what each removed. */
  async function pass(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const rule of rules) {
      if (stopped) break;
      try {
        counts[rule.table] = await prune(rule);
      } catch (error) {
        logger.warn({ err: error, table: rule.table }, 'retention: pruning failed; trying again at the next pass');
      }
    }
    if (Object.values(counts).some((n) => n > 0)) logger.debug({ removed: counts }, 'retention: old rows pruned');
    return counts;
  }

  const tick = () => {
    running = pass()
      .then(() => {})
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(tick, options.intervalMs).unref();
      });
  };

  return {
    pass,
    /** Registers the two metrics (createServiceApp's `metrics`). */
    register: (registry: Registry) => {
      registry.registerMetric(removed);
      registry.registerMetric(backlog);
    },
    /** A pass now, then one every interval after the last ended. */
    start: () => {
      stopped = false;
      tick();
    },
    /** Stops the timer and lets the batch in flight finish. */
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
export type Retention = ReturnType<typeof createRetention>;

/**
 * A service's retention on its background connection: the outbox and webhook rules every service shares, then
 * the service's own. Start it after listening; stop it before the database closes.
 */
export function serviceRetention(options: { db: { background: Queryable }; config: RetentionConfig; logger: Logger; rules?: PruneRule[] }) {
  const { db, config } = options;
  return createRetention({
    rules: [...webhookPruneRules(db.background, config.EVENT_RETENTION_DAYS), ...(options.rules ?? [])],
    intervalMs: config.RETENTION_INTERVAL_MS,
    batchSize: config.RETENTION_BATCH_SIZE,
    logger: options.logger,
  });
}
