import { baseConfigSchema, parseConfig, retentionConfigSchema, serviceCredentialSchema, webhookConfigSchema, z } from '@shop/kit';

const schema = baseConfigSchema
  .extend(webhookConfigSchema.shape)
  .extend(retentionConfigSchema.shape)
  .extend({
    /** The port to listen on. */
    PORT: z.coerce.number().int().min(0).max(65535).default(5001),
    /** Sales's credential for our /internal/ routes (stock reservations). */
    SALES_TO_INVENTORY_TOKEN: serviceCredentialSchema,
    /** What we present on customers' /internal/ routes. */
    INVENTORY_TO_CUSTOMERS_TOKEN: serviceCredentialSchema,
    /** Where customers publishes the keys that verify access tokens. */
    JWKS_URL: z.url().default('http://127.0.0.1:5000/.well-known/jwks.json'),
    /**
     * Connections of their own, outside DATABASE_POOL_SIZE, for what a purchase asks of inventory: an item by id
     * (the price check), stock reservations, releases and returns. A burst of catalogue list reads that takes
     * every pooled connection never makes a purchase wait for one.
     */
    DATABASE_STOCK_POOL_SIZE: z.coerce.number().int().min(1).max(50).default(4),
    /**
     * How long a stock reservation (sale id → lines taken or released) is kept after its last change, in hours.
     * Sales may take, release or ask about a reservation only while its purchase, its retries and its recovery
     * sweep can run, all within its Idempotency-Key's lifetime: keep this above sales' IDEMPOTENCY_TTL_HOURS (24)
     * plus its SWEEP_AGE_MS. Past it, a late release of the reference would answer `voided`.
     */
    RESERVATION_RETENTION_HOURS: z.coerce.number().int().min(25).max(87_600).default(48),
  });

export type Config = z.output<typeof schema>;
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): Config => parseConfig(schema, env);
export { schema as configSchema };
