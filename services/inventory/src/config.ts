import { baseConfigSchema, parseConfig, serviceCredentialSchema, webhookConfigSchema, z } from '@shop/kit';

const schema = baseConfigSchema.extend(webhookConfigSchema.shape).extend({
  /** The port to listen on. */
  PORT: z.coerce.number().int().min(0).max(65535).default(5001),
  /** Sales's credential for our /internal/ routes (stock reservations). */
  SALES_TO_INVENTORY_TOKEN: serviceCredentialSchema,
  /** What we present on customers' /internal/ routes. */
  INVENTORY_TO_CUSTOMERS_TOKEN: serviceCredentialSchema,
  /** Where customers publishes the keys that verify access tokens. */
  JWKS_URL: z.url().default('http://127.0.0.1:5000/.well-known/jwks.json'),
});

export type Config = z.output<typeof schema>;
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): Config => parseConfig(schema, env);
export { schema as configSchema };
