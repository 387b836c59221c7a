import { z } from 'zod';

/** Retention settings every service reads (merged into its config schema, like the webhooks'). */
export const retentionConfigSchema = z.object({
  /**
   * How long delivered and finally failed webhook deliveries, and dispatched outbox events, are kept (days). An
   * event with a delivery still pending is kept whatever its age. Sales' event feed (GET /internal/events) reads
   * the same outbox: a consumer must not fall further behind than this.
   */
  EVENT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3_650).default(7),
  /** How often each process prunes its operational tables (expired and old rows, in batches; docs/operations.md, Retention). */
  RETENTION_INTERVAL_MS: z.coerce.number().int().min(100).max(86_400_000).default(10_000),
  /** Rows one prune statement deletes at most: each batch is its own short statement, its row locks held only for it. */
  RETENTION_BATCH_SIZE: z.coerce.number().int().min(10).max(50_000).default(2_000),
});
export type RetentionConfig = z.output<typeof retentionConfigSchema>;
