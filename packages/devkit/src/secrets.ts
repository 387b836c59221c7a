import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * One credential per caller→callee pair of /internal/ calls (least privilege: a compromised reviews holds
 * nothing that opens the wallet). `<CALLER>_TO_<CALLEE>_TOKEN`: both ends of the pair get it, nobody else.
 */
export const SERVICE_CREDENTIALS = {
  SALES_TO_CUSTOMERS_TOKEN: { from: 'sales', to: 'customers' },
  SALES_TO_INVENTORY_TOKEN: { from: 'sales', to: 'inventory' },
  REVIEWS_TO_SALES_TOKEN: { from: 'reviews', to: 'sales' },
  INVENTORY_TO_CUSTOMERS_TOKEN: { from: 'inventory', to: 'customers' },
  REVIEWS_TO_CUSTOMERS_TOKEN: { from: 'reviews', to: 'customers' },
} as const;
export type ServiceCredential = keyof typeof SERVICE_CREDENTIALS;

/** The credentials a service's environment holds: those of the pairs it is an end of. */
export function credentialsOf(service: string, secrets: Record<ServiceCredential, string>): Record<string, string> {
  const names = (Object.keys(SERVICE_CREDENTIALS) as ServiceCredential[]).filter((name) => {
    const { from, to } = SERVICE_CREDENTIALS[name];
    return from === service || to === service;
  });
  return Object.fromEntries(names.map((name) => [name, secrets[name]]));
}

/**
 * Passwords of the development PostgreSQL (`pnpm start`'s embedded server): the superuser's, and one login role per
 * service that owns only its database (the names docker-compose and the Kubernetes dev overlay use).
 */
export const DATABASE_PASSWORDS = ['POSTGRES_PASSWORD', 'CUSTOMERS_DB_PASSWORD', 'INVENTORY_DB_PASSWORD', 'SALES_DB_PASSWORD', 'REVIEWS_DB_PASSWORD'] as const;
export type DatabasePassword = (typeof DATABASE_PASSWORDS)[number];
/** The secrets key of a service's database password (`sales` → SALES_DB_PASSWORD). */
export const databasePasswordOf = (service: string) => `${service.toUpperCase()}_DB_PASSWORD` as DatabasePassword;

export type Secrets = { JWT_PRIVATE_KEY: string } & Record<ServiceCredential | DatabasePassword, string>;
type Generated = Exclude<keyof Secrets, 'JWT_PRIVATE_KEY'>;
const GENERATED = [...Object.keys(SERVICE_CREDENTIALS), ...DATABASE_PASSWORDS] as Generated[];

const newToken = () => crypto.randomBytes(32).toString('base64url');

export function generateSecrets(): Secrets {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    JWT_PRIVATE_KEY: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    ...(Object.fromEntries(GENERATED.map((name) => [name, newToken()])) as Record<Generated, string>),
  };
}

/**
 * Secrets generated on first start and kept (mode 600) beside the data, so tokens survive restarts. A file from
 * an older version (one shared SERVICE_TOKEN, no database passwords) keeps what it has and gets the rest added.
 */
export function loadOrCreateSecrets(file: string): Secrets {
  const stored = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Secrets>) : {};
  const missing = GENERATED.filter((name) => !stored[name]);
  if (stored.JWT_PRIVATE_KEY && !missing.length) return stored as Secrets;
  const fresh = generateSecrets();
  const secrets = { JWT_PRIVATE_KEY: stored.JWT_PRIVATE_KEY ?? fresh.JWT_PRIVATE_KEY } as Secrets;
  for (const name of GENERATED) secrets[name] = stored[name] ?? fresh[name];
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
