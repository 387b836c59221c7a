import { baseConfigSchema, parseConfig, retentionConfigSchema, serviceCredentialSchema, webhookConfigSchema, z } from '@shop/kit';

const schema = baseConfigSchema
  .extend(webhookConfigSchema.shape)
  .extend(retentionConfigSchema.shape)
  .extend({
    /** The port to listen on. */
    PORT: z.coerce.number().int().min(0).max(65535).default(5003),
    /** What we present on sales' /internal/ routes (the first of the list); inventory is read by its public routes only. */
    REVIEWS_TO_SALES_TOKEN: serviceCredentialSchema,
    /** What we present on customers' /internal/ routes (the first of the list). */
    REVIEWS_TO_CUSTOMERS_TOKEN: serviceCredentialSchema,
    /** Where customers publishes the keys that verify access tokens. */
    JWKS_URL: z.url().default('http://127.0.0.1:5000/.well-known/jwks.json'),
    /** Customers says when a reporter's account was opened (GET /internal/customers/:id/account). */
    CUSTOMERS_URL: z.url().default('http://127.0.0.1:5000'),
    /** Inventory says whether an item exists (GET /items/:id). */
    INVENTORY_URL: z.url().default('http://127.0.0.1:5001'),
    /** Sales says whether a customer bought an item (GET /internal/purchases). */
    SALES_URL: z.url().default('http://127.0.0.1:5002'),
    /** Per-attempt timeout of calls to inventory and sales; reads are retried a bounded number of times. */
    UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(50).max(30_000).default(2_000),
    /** How long a page read may use inventory's answer that an item exists (a deleted item's page turns 404 within it). */
    ITEM_EXISTS_MAX_AGE_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
    /** Reports since the last moderation decision that send an approved review back to the queue. */
    REVIEW_REPORT_THRESHOLD: z.coerce.number().int().min(1).max(1_000).default(3),
    /** Completed purchases net of refunds a reporter needs for their reports to count toward the threshold. */
    REPORT_MIN_SPEND_CENTS: z.coerce.number().int().min(0).max(100_000_000_000).default(500),
    /** How old a reporter's account must be, when reporting, for the report to count (0: any age, customers is not asked). */
    REPORT_MIN_ACCOUNT_AGE_HOURS: z.coerce.number().min(0).max(87_600).default(24),
    /** How often to read sales' refund feed (a refund recounts reports within 5 s); 0 stops reading it. */
    SALES_EVENTS_POLL_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
    /** How long a replica holds the feed after its last event: another takes over within this after it dies. */
    SALES_EVENTS_LEASE_MS: z.coerce.number().int().min(1_000).max(300_000).default(5_000),
    /** How long the ids of handled events are kept (their cursor has long passed them by then). */
    CONSUMED_EVENTS_RETENTION_DAYS: z.coerce.number().int().min(1).max(3_650).default(7),
    /** How often to ask sales again about reviews written while it was unreachable; 0 turns the sweep off. */
    PURCHASE_RECHECK_INTERVAL_MS: z.coerce.number().int().min(0).default(60_000),
  });

export type Config = z.output<typeof schema>;
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): Config => parseConfig(schema, env);
export { schema as configSchema };
