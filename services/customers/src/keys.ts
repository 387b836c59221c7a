import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { SIGNING_ALGORITHM, TOKEN_AUDIENCE, TOKEN_ISSUER, type Role } from '@shop/kit';

/** A published verification key; `kid` is its RFC 7638 thumbprint. */
function publishedKey(publicKey: crypto.KeyObject) {
  const jwk = publicKey.export({ format: 'jwk' });
  const kid = crypto
    .createHash('sha256')
    .update(JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n }))
    .digest('base64url');
  return { kid, publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(), jwk: { ...jwk, kid, use: 'sig', alg: SIGNING_ALGORITHM } };
}

/** Every PEM block in a string (several keys may share one environment variable). */
const pemBlocks = (text: string | undefined) => text?.match(/-----BEGIN [A-Z ]+-----[^-]+-----END [A-Z ]+-----/g) ?? [];

/**
 * Signs access tokens with the current key, and publishes it together with the previous keys
 * (JWT_PREVIOUS_PUBLIC_KEYS), so that tokens signed before a key rotation keep verifying until they expire.
 */
export function createSigner(config: { JWT_PRIVATE_KEY: string; JWT_PREVIOUS_PUBLIC_KEYS?: string; ACCESS_TOKEN_TTL_SECONDS: number }) {
  const privateKey = crypto.createPrivateKey(config.JWT_PRIVATE_KEY);
  const current = publishedKey(crypto.createPublicKey(privateKey));
  const previous = pemBlocks(config.JWT_PREVIOUS_PUBLIC_KEYS).map((pem) => publishedKey(crypto.createPublicKey(pem)));
  const keys = [current, ...previous.filter((key) => key.kid !== current.kid)];
  const ttlSeconds = config.ACCESS_TOKEN_TTL_SECONDS;
  return {
    kid: current.kid,
    jwks: { keys: keys.map((key) => key.jwk) },
    /** The PEM of a published key, by kid. */
    publicPem: (kid: string) => keys.find((key) => key.kid === kid)?.publicPem,
    ttlSeconds,
    sign(claims: { id: string; username: string; role: Role; sessionId: string }): string {
      return jwt.sign({ username: claims.username, role: claims.role, sid: claims.sessionId }, privateKey, {
        algorithm: SIGNING_ALGORITHM,
        keyid: current.kid,
        subject: claims.id,
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        expiresIn: ttlSeconds,
      });
    },
  };
}
export type Signer = ReturnType<typeof createSigner>;
