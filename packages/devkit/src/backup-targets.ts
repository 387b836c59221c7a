import fs from 'node:fs';
import path from 'node:path';
import { credentialsOf, databasePasswordOf, type Secrets } from './secrets';
import { SERVICES, type ServiceName } from './services';
import { StartError } from './start-lock';
import type { StartConfig } from './start-config';

const NAMES = Object.keys(SERVICES) as ServiceName[];
const upper = (name: ServiceName) => name.toUpperCase() as Uppercase<ServiceName>;

export interface BackupTargets {
  /** Each service's database. */
  urls: Record<ServiceName, string>;
  /** Where they are, for messages (no passwords). */
  where: string;
  /** The environment `pnpm audit:books` runs with after a restore (sales' own: its database, its peers, its credentials). */
  auditEnv: Record<string, string>;
}

/**
 * The databases `pnpm backup` and `pnpm restore` work on, found as `pnpm start` finds them: all four `*_DATABASE_URL`
 * when set; else the embedded PostgreSQL of `pnpm start` (127.0.0.1:POSTGRES_PORT, each service's own role, with the
 * passwords kept in SHOP_DATA_DIR/secrets.json). The audit after a restore reaches the services at `*_URL` (default:
 * the ports `pnpm start` uses), with sales' credentials from the environment or that secrets file.
 */
export function backupTargets(config: StartConfig, env: NodeJS.ProcessEnv, root: string): BackupTargets {
  const given = NAMES.filter((name) => config[`${upper(name)}_DATABASE_URL`]);
  const serviceUrl = (name: ServiceName) => config[`${upper(name)}_URL`] ?? `http://127.0.0.1:${config[`${upper(name)}_PORT`]}`;
  const peers = {
    CUSTOMERS_URL: serviceUrl('customers'),
    INVENTORY_URL: serviceUrl('inventory'),
    JWKS_URL: `${serviceUrl('customers')}/.well-known/jwks.json`,
  };
  const inherited = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  if (given.length === NAMES.length) {
    const urls = Object.fromEntries(NAMES.map((name) => [name, config[`${upper(name)}_DATABASE_URL`]!])) as Record<ServiceName, string>;
    return { urls, where: 'the configured databases (*_DATABASE_URL)', auditEnv: { ...peers, ...inherited, DATABASE_URL: urls.sales } };
  }
  if (given.length)
    throw new StartError(
      `set all four *_DATABASE_URL or none (none: the embedded PostgreSQL of pnpm start); missing: ${NAMES.filter((n) => !given.includes(n))
        .map((n) => `${upper(n)}_DATABASE_URL`)
        .join(', ')}`,
    );
  const secretsFile = path.join(path.resolve(root, config.SHOP_DATA_DIR), 'secrets.json');
  if (!fs.existsSync(secretsFile))
    throw new StartError(`${path.relative(root, secretsFile)} is missing: the shop never ran here (pnpm start), or set the four *_DATABASE_URL`);
  const secrets = JSON.parse(fs.readFileSync(secretsFile, 'utf8')) as Secrets;
  const urls = Object.fromEntries(
    NAMES.map((name) => [name, `postgresql://${name}:${encodeURIComponent(secrets[databasePasswordOf(name)])}@127.0.0.1:${config.POSTGRES_PORT}/${name}`]),
  ) as Record<ServiceName, string>;
  return {
    urls,
    where: `the embedded PostgreSQL of pnpm start (127.0.0.1:${config.POSTGRES_PORT})`,
    auditEnv: { ...peers, ...credentialsOf('sales', secrets), ...inherited, DATABASE_URL: urls.sales },
  };
}
