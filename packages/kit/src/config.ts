import { z } from 'zod';

export class ConfigError extends Error {}

// The lists' count limits (lists.ts reads them) are defined here, not in lists.ts: tracing loads this file before the
// SDK starts, and lists.ts loads the pg driver, which the SDK must load first to instrument it (no SQL spans otherwise).
/** The setting every service reads (baseConfigSchema). */
export const countExactLimitSetting = z.coerce
  .number()
  .int()
  .min(0)
  .max(1_000_000)
  .default(10_000)
  .describe('Lists count their total exactly up to this many matching rows; above it the total is the planner’s estimate (`totalIsEstimate: true`)');

/**
 * A text search's total (`q`) is exact whenever its matches are counted (up to SEARCH_PROBE_LIMIT). On /items a
 * word met more than this many times in a short walk of the sort's index is common: its page comes from that walk,
 * which counts nothing, so its total is estimated from the walk's density (search-page.ts). Counting a common word
 * would cost a trigram bitmap of every match on every page.
 */
export const searchCountExactLimitSetting = z.coerce
  .number()
  .int()
  .min(0)
  .max(1_000_000)
  .default(20)
  .describe(
    'A text search (`q`) answers an exact total up to this many matching rows (or COUNT_EXACT_LIMIT, if lower). Above it, a word met this many times within a short walk of the sort order is a common word, and its total is estimated from that walk (`totalIsEstimate: true`); any other is counted, up to SEARCH_PROBE_LIMIT',
  );

/**
 * How many matches of a text search are read through its trigram index, whose every match PostgreSQL rechecks in
 * the table (about one page each): up to this many, their count is the exact total (and /items sorts its page from
 * them); above it, the total is an estimate.
 */
export const searchProbeLimitSetting = z.coerce
  .number()
  .int()
  .min(0)
  .max(100_000)
  .default(1_000)
  .describe(
    'A text search (`q`) counts at most this many matches (and at most COUNT_EXACT_LIMIT), exactly; above it the total is an estimate. On /items, a word that does not fill its page within a short walk of the sort order is probed for this many matches: no more, and its page is sorted from them',
  );

/** Settings every service reads. Each service extends this with its own. */
export const baseConfigSchema = z.object({
  /** `production` requires the production settings (below) and refuses the development ones, and skips the response checks. */
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** The interface to listen on (`0.0.0.0` in containers). */
  HOST: z.string().default('127.0.0.1'),
  /** pino's level (`silent` in the tests). */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** The service's own PostgreSQL database, as its own role. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  /** Database connections per process. */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  /**
   * How long a request waits for a pooled connection, for a statement and for a lock before it is answered
   * 503 (docs/operations.md). Low seconds: a request path's statements take milliseconds, and a client is
   * better served by a quick 503 and Retry-After than by a request queued behind a lock.
   */
  DATABASE_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().min(1).max(60_000).default(1_000),
  /** `statement_timeout` of every connection: a statement running longer is cancelled and answered 503. */
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(2_000),
  /** `lock_timeout` of every connection: a request never queues behind a lock for longer (503 with Retry-After). */
  DATABASE_LOCK_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(1_000),
  /** /ready's deadline for `SELECT 1` on its own connection. */
  DATABASE_READY_TIMEOUT_MS: z.coerce.number().int().min(1).max(60_000).default(1_000),
  /**
   * After SIGTERM, how long the requests in flight, the webhook worker and the sweep may take to finish once the
   * server stops accepting; past it the process exits 1 anyway. Kubernetes' terminationGracePeriodSeconds must
   * exceed preStop + SHUTDOWN_DELAY_MS + this (docs/operations.md, Deploys).
   */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /**
   * After SIGTERM, how long the server still accepts connections (answering /ready 503 and `Connection: close`)
   * before it stops, so a load balancer that polls /ready takes it out first. 0 under Kubernetes (its preStop
   * sleep waits while the endpoint is removed); a few seconds behind a proxy that polls /ready (compose).
   */
  SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  COUNT_EXACT_LIMIT: countExactLimitSetting,
  SEARCH_COUNT_EXACT_LIMIT: searchCountExactLimitSetting,
  SEARCH_PROBE_LIMIT: searchProbeLimitSetting,
  /** When set, `GET /metrics` needs `Authorization: Bearer <METRICS_TOKEN>` (docs/operations.md). Empty is unset. */
  METRICS_TOKEN: z.preprocess((value) => (value === '' ? undefined : value), z.string().min(32, 'must be at least 32 characters').optional()),
});

/** A setting that development and the tests use and production must not (item 14 of issue 22). */
export interface ProductionRule {
  key: string;
  refused: (config: Record<string, unknown>) => boolean;
  message: string;
}

/** A refinement's option: run even when a setting failed to parse, so that every problem is listed at once. */
export const EVEN_WITH_OTHER_PROBLEMS = { when: () => true };

/** Refused in every service's production configuration (parseConfig applies them). */
export const PRODUCTION_RULES: ProductionRule[] = [
  {
    key: 'LOG_LEVEL',
    refused: (config) => config.LOG_LEVEL === 'trace',
    message: 'trace is refused: it is for debugging and logs more than production should keep (debug at most)',
  },
  {
    key: 'WEBHOOK_ALLOW_PRIVATE_TARGETS',
    refused: (config) => config.WEBHOOK_ALLOW_PRIVATE_TARGETS === true,
    message: 'must not be true in production: it lets webhooks reach loopback, private and cloud metadata addresses (SSRF)',
  },
];

/**
 * A zod superRefine that lists every rule the configuration breaks, when NODE_ENV is production. Pass
 * EVEN_WITH_OTHER_PROBLEMS as its second argument, so these are listed with a setting of the wrong type too (the
 * rules then see what parsed, and compare only).
 */
export const refuseInProduction =
  (rules: ProductionRule[]) =>
  (config: { NODE_ENV: string }, ctx: z.RefinementCtx): void => {
    if (typeof config !== 'object' || config === null || config.NODE_ENV !== 'production') return;
    for (const rule of rules) {
      if (rule.refused(config)) ctx.addIssue({ code: 'custom', path: [rule.key], message: `${rule.message} (NODE_ENV=production)` });
    }
  };

/**
 * A credential between two services (`SALES_TO_CUSTOMERS_TOKEN`…): one secret, or a comma-separated list during
 * a rotation. The caller sends the first; the callee accepts any. Each long enough to be unguessable.
 */
export const serviceCredentialSchema = z
  .string()
  .transform((value) => value.split(',').map((token) => token.trim()))
  .pipe(z.array(z.string().min(32, 'each token must be at least 32 characters')).min(1));

/**
 * Parses `env` with `schema` and fails fast with every problem listed, not just the first; in production it also
 * refuses the development settings of PRODUCTION_RULES (a service adds its own with refuseInProduction, listed
 * together with these). Nothing else in a service reads process.env.
 */
export function parseConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const checked = schema.superRefine((config, ctx) => refuseInProduction(PRODUCTION_RULES)(config as { NODE_ENV: string }, ctx), EVEN_WITH_OTHER_PROBLEMS);
  const result = checked.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  - ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}
