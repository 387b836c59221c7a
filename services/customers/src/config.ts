import {
  baseConfigSchema,
  EVEN_WITH_OTHER_PROBLEMS,
  parseConfig,
  refuseInProduction,
  retentionConfigSchema,
  serviceCredentialSchema,
  webhookConfigSchema,
  z,
  type ProductionRule,
} from '@shop/kit';
import { DEVELOPMENT_ADMIN_PASSWORD } from './development';

/** Customers' own refusals in production, besides the kit's (docs/configuration.md lists them). */
export const productionRules: ProductionRule[] = [
  {
    key: 'ADMIN_PASSWORD',
    refused: (config) => config.ADMIN_PASSWORD === DEVELOPMENT_ADMIN_PASSWORD,
    message: 'is the development default, which is public (pnpm start prints it): set a secret of your own',
  },
  {
    key: 'BCRYPT_ROUNDS',
    refused: (config) => Number(config.BCRYPT_ROUNDS) < 10,
    message: 'must be at least 10: fewer rounds (the tests use 4) make stolen password hashes cheap to guess',
  },
];

const schema = baseConfigSchema
  .extend(webhookConfigSchema.shape)
  .extend(retentionConfigSchema.shape)
  .extend({
    /** The port to listen on. */
    PORT: z.coerce.number().int().min(0).max(65535).default(5000),
    /** Sales's credential for our /internal/ routes (the wallet). */
    SALES_TO_CUSTOMERS_TOKEN: serviceCredentialSchema,
    /** Inventory's credential for our /internal/ routes (the feed of ended sessions). */
    INVENTORY_TO_CUSTOMERS_TOKEN: serviceCredentialSchema,
    /** Reviews' credential for our /internal/ routes (ended sessions, a reporter's account age). */
    REVIEWS_TO_CUSTOMERS_TOKEN: serviceCredentialSchema,
    /** PEM (PKCS#8) RSA private key that signs access tokens; `pnpm start` generates one and keeps it. */
    JWT_PRIVATE_KEY: z.string().includes('PRIVATE KEY', { message: 'must be a PEM private key' }),
    /** PEM public keys signed with before the current one (any number, one after another): published until their tokens expired. */
    JWT_PREVIOUS_PUBLIC_KEYS: z.string().includes('PUBLIC KEY', { message: 'must hold PEM public keys' }).optional(),
    /** How long an access token lives. */
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
    /** How long a refresh token lives (each refresh issues a new one). */
    REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
    /**
     * How long a voided reference (a refund that found no debit: a late debit with that sale id is refused) is kept,
     * in hours. Sales debits a sale only within its purchase, its retries and its recovery sweep, all within its
     * Idempotency-Key's lifetime: keep this above sales' IDEMPOTENCY_TTL_HOURS (24) plus its SWEEP_AGE_MS.
     */
    VOIDED_REFERENCE_RETENTION_HOURS: z.coerce.number().int().min(25).max(87_600).default(48),
    /** The admin account created at start; an existing customer of that name is never promoted (start-up refuses). */
    ADMIN_USERNAME: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{3,32}$/)
      .default('admin'),
    /** The admin's password; in development the public default that `pnpm start` prints. */
    ADMIN_PASSWORD: z.string().min(8).max(72).optional(),
    /** The cost of password hashing. */
    BCRYPT_ROUNDS: z.coerce.number().int().min(4).max(15).default(12),
    /** Failed logins allowed per (username, client address) in each window (429 past it). */
    LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS: z.coerce.number().int().min(1).default(5),
    /** Failed logins allowed per client address (an IPv6 /64 counts as one) in each window. */
    LOGIN_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).default(50),
    /** The window of the failed-login limits. */
    LOGIN_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
    /** Successful logins allowed per (username, client address) in each minute. */
    LOGINS_PER_MINUTE: z.coerce.number().int().min(1).default(10),
    /** Open sessions per customer: a login past it ends the customer's oldest session. */
    SESSIONS_PER_CUSTOMER: z.coerce.number().int().min(1).max(1_000_000).default(20),
    /** Registrations allowed per client address in each hour. */
    REGISTRATIONS_PER_HOUR: z.coerce.number().int().min(1).default(20),
    /** The most one wallet may receive in deposits over any rolling 24 hours (admins' adjustments are not counted). */
    DEPOSIT_LIMIT_CENTS_PER_DAY: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(100_000),
    /** Hops of reverse proxies to trust for the client address (express `trust proxy`). */
    TRUST_PROXY_HOPS: z.coerce.number().int().min(0).default(0),
  })
  .refine((config) => config.NODE_ENV !== 'production' || config.ADMIN_PASSWORD, {
    path: ['ADMIN_PASSWORD'],
    message: 'is required in production',
  })
  .superRefine(refuseInProduction(productionRules), EVEN_WITH_OTHER_PROBLEMS);

export { DEVELOPMENT_ADMIN_PASSWORD };

export type Config = z.output<typeof schema>;
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): Config => parseConfig(schema, env);
export { schema as configSchema };
