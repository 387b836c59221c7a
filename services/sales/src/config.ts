import { baseConfigSchema, parseConfig, retentionConfigSchema, serviceCredentialSchema, webhookConfigSchema, z } from '@shop/kit';

const ms = (fallback: number, min = 1) => z.coerce.number().int().min(min).default(fallback);

const schema = baseConfigSchema
  .extend(webhookConfigSchema.shape)
  .extend(retentionConfigSchema.shape)
  .extend({
    /** The port to listen on. */
    PORT: z.coerce.number().int().min(0).max(65535).default(5002),
    /** What we present on customers' /internal/ routes (the first of the list; any is accepted from customers' side). */
    SALES_TO_CUSTOMERS_TOKEN: serviceCredentialSchema,
    /** What we present on inventory's /internal/ routes (the first of the list). */
    SALES_TO_INVENTORY_TOKEN: serviceCredentialSchema,
    /** Reviews's credential for our /internal/ route (did a customer buy something). */
    REVIEWS_TO_SALES_TOKEN: serviceCredentialSchema,
    /** Where customers publishes the keys that verify access tokens. */
    JWKS_URL: z.url().default('http://127.0.0.1:5000/.well-known/jwks.json'),
    /** Where customers answers (the purchase's balance check and debit, refunds' credits). */
    CUSTOMERS_URL: z.url().default('http://127.0.0.1:5000'),
    /** Where inventory answers (reservations, the catalogue read through `GET /goods`). */
    INVENTORY_URL: z.url().default('http://127.0.0.1:5001'),
    /** Timeout of one attempt of a call to customers or inventory. */
    SERVICE_TIMEOUT_MS: ms(2_000, 10),
    /** Attempts per call whose outcome is unknown (timeout, network error, 5xx), the first included. */
    SERVICE_RETRY_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
    /** How often the recovery sweep looks for abandoned pending sales. */
    SWEEP_INTERVAL_MS: ms(10_000, 50),
    /** A pending sale older than this is abandoned (its process died): the sweep undoes it. */
    SWEEP_AGE_MS: ms(120_000, 100),
    /**
     * The sweep's statement and lock timeouts (its transaction raises the request paths' DATABASE_* limits to
     * these): it runs in the background, so it may wait out a short lock rather than fail and retry.
     */
    SWEEP_STATEMENT_TIMEOUT_MS: ms(15_000),
    /**
     * How long a goods answer read from inventory may be served from this process's memory before it is
     * revalidated with inventory (by ETag). 0 revalidates on every read. The purchase always checks live stock.
     */
    GOODS_MAX_AGE_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
    /**
     * How much longer than GOODS_MAX_AGE_MS an old goods answer is still served while one refresh with inventory
     * runs in the background (stale-while-revalidate): readers never wait behind a slow catalogue read. An answer
     * older than both is loaded again before it is served. Unused when GOODS_MAX_AGE_MS is 0.
     */
    GOODS_STALE_WHILE_REVALIDATE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
    /** How long an Idempotency-Key is remembered (the contract promises at least 24 h). */
    IDEMPOTENCY_TTL_HOURS: z.coerce.number().min(24).default(24),
    /** Purchase attempts one customer may make per minute (POST /sales, refused ones included); past it, 429. */
    PURCHASES_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000_000).default(60),
    /** How often each sales replica runs the books audit (read-only; sets books_drift). 0 turns the timer off. */
    BOOKS_AUDIT_INTERVAL_MS: z.coerce.number().int().min(0).default(3_600_000),
    /** How long after a sale its owner may refund it (admins may at any time). */
    REFUND_WINDOW_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  })
  .refine((config) => config.SWEEP_AGE_MS > longestPurchaseMs(config), {
    path: ['SWEEP_AGE_MS'],
    message: 'must exceed the longest a live purchase can take (4 calls × (SERVICE_RETRY_ATTEMPTS × SERVICE_TIMEOUT_MS + backoff) + 1 s)',
  });

/**
 * The longest a live purchase can run: reservation, debit, release and refund, each retried to its limit,
 * plus the client's backoff (at most 500 ms between attempts) and a second for the database.
 */
export function longestPurchaseMs(config: { SERVICE_TIMEOUT_MS: number; SERVICE_RETRY_ATTEMPTS: number }) {
  const perCall = config.SERVICE_RETRY_ATTEMPTS * config.SERVICE_TIMEOUT_MS + (config.SERVICE_RETRY_ATTEMPTS - 1) * 500;
  return 4 * perCall + 1_000;
}

export type Config = z.output<typeof schema>;
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): Config => parseConfig(schema, env);
export { schema as configSchema };
