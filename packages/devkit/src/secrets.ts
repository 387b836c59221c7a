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
  REVIEWS_TO_INVENTORY_TOKEN: { from: 'reviews', to: 'inventory' },
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

export type Secrets = { JWT_PRIVATE_KEY: string } & Record<ServiceCredential, string>;

const newToken = () => crypto.randomBytes(32).toString('base64url');

export function generateSecrets(): Secrets {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    JWT_PRIVATE_KEY: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    ...(Object.fromEntries(Object.keys(SERVICE_CREDENTIALS).map((name) => [name, newToken()])) as Record<ServiceCredential, string>),
  };
}

/**
 * Secrets generated on first start and kept (mode 600) beside the data, so tokens survive restarts. A file from
 * an older version (one shared SERVICE_TOKEN) keeps its signing key and gets the per-pair credentials added.
 */
export function loadOrCreateSecrets(file: string): Secrets {
  const stored = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Secrets>) : {};
  const missing = Object.keys(SERVICE_CREDENTIALS).filter((name) => !stored[name as ServiceCredential]);
  if (stored.JWT_PRIVATE_KEY && !missing.length) return stored as Secrets;
  const fresh = generateSecrets();
  const secrets = { JWT_PRIVATE_KEY: stored.JWT_PRIVATE_KEY ?? fresh.JWT_PRIVATE_KEY } as Secrets;
  for (const name of Object.keys(SERVICE_CREDENTIALS) as ServiceCredential[]) secrets[name] = stored[name] ?? fresh[name];
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
