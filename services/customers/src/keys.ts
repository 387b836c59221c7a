import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { SIGNING_ALGORITHM, type User } from '@shop/kit';

/** The signing key and the public JWKS other services verify with; `kid` is the RFC 7638 thumbprint. */
export function createSigner(privateKeyPem: string, ttlSeconds: number) {
  const privateKey = crypto.createPrivateKey(privateKeyPem);
  const publicJwk = crypto.createPublicKey(privateKey).export({ format: 'jwk' });
  const thumbprintInput = JSON.stringify({ e: publicJwk.e, kty: publicJwk.kty, n: publicJwk.n });
  const kid = crypto.createHash('sha256').update(thumbprintInput).digest('base64url');
  const publicPem = crypto.createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }).toString();
  return {
    kid,
    publicPem,
    jwks: { keys: [{ ...publicJwk, kid, use: 'sig', alg: SIGNING_ALGORITHM }] },
    ttlSeconds,
    sign(user: User): string {
      return jwt.sign({ username: user.username, role: user.role }, privateKey, {
        algorithm: SIGNING_ALGORITHM,
        keyid: kid,
        subject: user.id,
        expiresIn: ttlSeconds,
      });
    },
  };
}
export type Signer = ReturnType<typeof createSigner>;
