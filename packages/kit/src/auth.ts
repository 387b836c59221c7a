import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { expiredToken } from './challenge';
import { Forbidden, Unauthorized } from './errors';
import type { KeyResolver } from './jwks';
import { TOKEN_AUDIENCE, TOKEN_CLOCK_SKEW_SECONDS, TOKEN_ISSUER } from './tokens';

export type { KeyResolver } from './jwks';

export type Role = 'customer' | 'admin';
export interface User {
  id: string;
  username: string;
  role: Role;
  /** The session the token was issued in: once it has ended, every service refuses the token (docs/sessions.md). */
  sessionId: string;
}

const claimsSchema = z.object({
  sub: z.uuid(),
  username: z.string(),
  role: z.enum(['customer', 'admin']),
  sid: z.uuid(),
  // jsonwebtoken accepts a token without `exp` as one that never expires: ours always carry one.
  exp: z.number(),
});

export const SIGNING_ALGORITHM = 'RS256';

/**
 * `isEnded`: the sessions known to have ended (the other services learn them from customers' feed; customers
 * asks its own table instead). A token of an ended session is refused like an invalid one.
 */
export function createTokenVerifier(resolveKey: KeyResolver, isEnded: (sessionId: string) => boolean = () => false) {
  // jsonwebtoken would parse the PEM on every request; the parsed key is kept per PEM (not per kid, so a
  // key published again under the same kid is parsed again). Bounded: JWKS holds a handful of keys.
  const parsed = new Map<string, crypto.KeyObject>();
  const keyObject = (pem: string | crypto.KeyObject) => {
    if (typeof pem !== 'string') return pem;
    let key = parsed.get(pem);
    if (!key) {
      if (parsed.size >= 16) parsed.clear();
      key = crypto.createPublicKey(pem);
      parsed.set(pem, key);
    }
    return key;
  };
  return async function verify(token: string): Promise<User> {
    const decoded = jwt.decode(token, { complete: true });
    const kid = decoded?.header.kid;
    // Only our asymmetric algorithm: `alg: none` and HMAC-with-the-public-key tricks end here.
    if (!decoded || decoded.header.alg !== SIGNING_ALGORITHM || typeof kid !== 'string') {
      throw new Unauthorized('The access token is malformed or uses an unsupported algorithm');
    }
    // Answered from the keys held in memory (jwks.ts): an unknown kid never waits for more than one shared fetch.
    const published = await resolveKey(kid).catch(() => undefined);
    if (!published) throw new Unauthorized('The access token was signed with an unknown key');
    let claims: z.output<typeof claimsSchema>;
    try {
      claims = claimsSchema.parse(
        jwt.verify(token, keyObject(published), {
          algorithms: [SIGNING_ALGORITHM],
          issuer: TOKEN_ISSUER,
          audience: TOKEN_AUDIENCE,
          clockTolerance: TOKEN_CLOCK_SKEW_SECONDS,
        }),
      );
    } catch (error) {
      if (error instanceof jwt.TokenExpiredError) throw expiredToken(error.expiredAt);
      throw new Unauthorized('The access token is invalid');
    }
    if (isEnded(claims.sid)) throw new Unauthorized('The session of this access token has ended');
    return { id: claims.sub, username: claims.username, role: claims.role, sessionId: claims.sid };
  };
}
export type TokenVerifier = ReturnType<typeof createTokenVerifier>;

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer ([^\s]+)$/i.exec(header ?? '');
  return match?.[1];
}

/** Constant-time comparison of the presented service token with ours. */
export function isServiceToken(presented: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(presented).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

/**
 * Self-or-admin rule used by every per-customer resource. "Self" is decided by id, never by the token's
 * username: a name can be deleted and registered again by someone else, and the old token must not follow it.
 * `accountId` is the id of the account behind the route's `:username` (undefined when there is none).
 */
export function requireSelfOrAdmin(user: User, accountId: string | undefined) {
  if (user.role !== 'admin' && (accountId === undefined || user.id !== accountId)) {
    throw new Forbidden('You may only act on your own account');
  }
}
