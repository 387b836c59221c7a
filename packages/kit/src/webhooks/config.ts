import { z } from 'zod';

const delays = z
  .string()
  .regex(/^\d+(,\d+)*$/, 'must be a comma-separated list of milliseconds')
  .transform((list) => list.split(',').map(Number))
  .refine((list) => list.every((ms) => ms >= 1), 'every delay must be at least 1 ms');

/** Webhook delivery settings every service reads (merged into its config schema). */
export const webhookConfigSchema = z.object({
  /**
   * Lets subscriptions target loopback, private and link-local addresses: for development (`pnpm start`) and
   * the tests, whose receivers listen on 127.0.0.1. Never in production: it opens the door to SSRF.
   */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  /** The wait after each failed attempt (the last one repeats): about 5 s, 30 s, 2 min, 10 min, 1 h, then every 3 h. */
  WEBHOOK_RETRY_DELAYS_MS: delays.default([5_000, 30_000, 120_000, 600_000, 3_600_000, 10_800_000]),
  /** A delivery not made within this long after its event is `failed` (24 h). */
  WEBHOOK_GIVE_UP_AFTER_MS: z.coerce.number().int().min(1).default(86_400_000),
  /** One attempt: connect, send, and the receiver's answer (5 s). */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** How often the worker looks for new events and due deliveries when nothing woke it. */
  WEBHOOK_POLL_INTERVAL_MS: z.coerce.number().int().min(10).default(1_000),
  /** Deliveries in flight at once, per process. */
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(8),
});
export type WebhookConfig = z.output<typeof webhookConfigSchema>;
