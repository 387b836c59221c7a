import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface Secrets {
  JWT_PRIVATE_KEY: string;
  SERVICE_TOKEN: string;
}

export function generateSecrets(): Secrets {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    JWT_PRIVATE_KEY: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    SERVICE_TOKEN: crypto.randomBytes(32).toString('base64url'),
  };
}

/** Secrets generated on first start and kept (mode 600) beside the data, so tokens survive restarts. */
export function loadOrCreateSecrets(file: string): Secrets {
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as Secrets;
  const secrets = generateSecrets();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
