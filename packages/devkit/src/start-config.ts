import { z } from 'zod';
import { EXPOSURE_OPT_OUT } from './exposure';
import { SERVICES, type ServiceName } from './services';
import { StartError } from './start-lock';

const NAMES = Object.keys(SERVICES) as ServiceName[];
const upper = (name: ServiceName) => name.toUpperCase();
const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

/**
 * What `pnpm start` itself reads (scripts/start.ts), the single source of docs/configuration.md's `pnpm start`
 * section. Every other variable in its environment reaches the four services as it is (their own schemas).
 */
export const startConfigSchema = z.object({
  /** Where `pnpm start` keeps its data: the embedded PostgreSQL's files and log, the generated secrets, the lock file. */
  SHOP_DATA_DIR: z.string().min(1).default('.data'),
  /** The interface the services listen on; beyond loopback only with the development defaults replaced (docs/running.md). */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** The embedded PostgreSQL's port (127.0.0.1 only). */
  POSTGRES_PORT: port(5440),
  /** `json` shows the services' raw JSON log lines instead of one readable line per event. */
  LOG_FORMAT: z.enum(['pretty', 'json']).default('pretty'),
  [EXPOSURE_OPT_OUT]: z
    .string()
    .default('false')
    .describe('`true` lets `HOST` go beyond loopback while the development defaults are in force (only on a network you trust).'),
  /** `pnpm start` passes `true` to the services unless set (their own default is `false`): local receivers are on 127.0.0.1. */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: z.string().default('true'),
  /** `pnpm backup`/`pnpm restore`: a folder holding pg_dump and pg_restore (PostgreSQL 17 or newer); unset: found as docs/operations.md ("Backups") says. */
  PG_BIN_DIR: z.string().min(1).optional(),
  /** `pnpm backup`/`pnpm restore`: where a downloaded PostgreSQL client is kept (default: $XDG_CACHE_HOME/shop, else ~/.cache/shop). */
  SHOP_CACHE_DIR: z.string().min(1).optional(),
  ...Object.fromEntries(
    NAMES.flatMap((name) => [
      [`${upper(name)}_PORT`, port(SERVICES[name]).describe(`The port ${name} listens on.`)],
      [
        `${upper(name)}_DATABASE_URL`,
        z
          .url({ protocol: /^postgres(ql)?$/ })
          .optional()
          .describe(`${name}'s database on a PostgreSQL of your own: set all four *_DATABASE_URL or none (none starts the embedded PostgreSQL).`),
      ],
      [
        `${upper(name)}_URL`,
        z
          .url()
          .optional()
          .describe(`Where the other services reach ${name} (default: http://<HOST, or 127.0.0.1 for 0.0.0.0>:<${upper(name)}_PORT>).`),
      ],
    ]),
  ),
} as Record<string, z.ZodType>);

export type StartConfig = {
  SHOP_DATA_DIR: string;
  HOST: string;
  POSTGRES_PORT: number;
  LOG_FORMAT: 'pretty' | 'json';
  WEBHOOK_ALLOW_PRIVATE_TARGETS: string;
  PG_BIN_DIR?: string;
  SHOP_CACHE_DIR?: string;
} & Record<`${Uppercase<ServiceName>}_PORT`, number> &
  Partial<Record<`${Uppercase<ServiceName>}_DATABASE_URL` | `${Uppercase<ServiceName>}_URL`, string>>;

/** `pnpm start`'s settings from `env`, every problem listed at once. */
export function parseStartConfig(env: NodeJS.ProcessEnv): StartConfig {
  const result = startConfigSchema.safeParse(env);
  if (result.success) return result.data as StartConfig;
  throw new StartError(`invalid configuration:\n${result.error.issues.map((issue) => `  - ${issue.path.join('.')}: ${issue.message}`).join('\n')}`);
}
