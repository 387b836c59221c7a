import crypto from 'node:crypto';

/** A new signing secret in the Standard Webhooks form: `whsec_` + base64 of 24 random bytes. */
export const newSecret = () => `whsec_${crypto.randomBytes(24).toString('base64')}`;

/**
 * The Standard Webhooks signature (https://www.standardwebhooks.com): `v1,` + base64 HMAC-SHA256, keyed with
 * the secret's decoded bytes, over `{webhook-id}.{webhook-timestamp}.{body}`.
 */
export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return `v1,${crypto.createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}
