import type { PageQuery } from '@shop/kit/pagination';
import crypto from 'node:crypto';
import type { User } from '@shop/kit/auth';
import { InvalidCredentials, NotFound, Unauthorized } from '@shop/kit/errors';
import type { Signer } from '../keys';
import type { CustomersDomain } from './customers';
import type { SessionOwner, SessionsRepo } from './model';

/** Refresh tokens are 256 random bits: a fast hash is enough to store them (nothing to brute-force). */
const hash = (token: string) => crypto.createHash('sha256').update(token).digest('hex');
const newRefreshToken = () => crypto.randomBytes(32).toString('base64url');

/**
 * Sessions: a login opens one, held by an opaque refresh token that is exchanged for a new one on every
 * refresh. Access tokens are short-lived and name their session (`sid`); customers refuses those of an ended
 * session at once, the other services within seconds, from the feed of ended sessions (see docs/sessions.md).
 */
export function sessionsDomain(deps: { sessions: SessionsRepo; signer: Signer; refreshTtlDays: number; maxSessions: number }) {
  const { sessions, signer, refreshTtlDays, maxSessions } = deps;
  const answer = (owner: SessionOwner, refreshToken: string) => ({
    accessToken: signer.sign(owner),
    tokenType: 'Bearer' as const,
    expiresIn: signer.ttlSeconds,
    refreshToken,
    refreshExpiresIn: refreshTtlDays * 86_400,
  });

  return {
    /** After the password was checked against `passwordHash`. */
    async open(customer: Omit<SessionOwner, 'sessionId'> & { passwordHash: string }, userAgent: string | undefined) {
      const refreshToken = newRefreshToken();
      const sessionId = await sessions.open({
        customerId: customer.id,
        passwordHash: customer.passwordHash,
        tokenHash: hash(refreshToken),
        ttlDays: refreshTtlDays,
        userAgent: userAgent?.slice(0, 200) ?? null,
        maxSessions,
      });
      // The password changed (or the account went) between the check and now.
      if (!sessionId) throw new InvalidCredentials('Wrong username or password');
      return answer({ sessionId, id: customer.id, username: customer.username, role: customer.role }, refreshToken);
    },

    async refresh(refreshToken: string) {
      const next = newRefreshToken();
      const owner = await sessions.rotate(hash(refreshToken), hash(next), refreshTtlDays);
      if (owner === 'reused') throw new Unauthorized('This refresh token was already used; its session has ended');
      if (!owner) throw new Unauthorized('The refresh token is unknown, expired or its session has ended');
      return answer(owner, next);
    },

    logout: (refreshToken: string) => sessions.endByToken(hash(refreshToken)),

    /** Is the token's session still open? (customers asks on every request; password changes and deletions end sessions) */
    isActive: (user: User) => sessions.isActive(user.sessionId, user.id),

    endAll: (customerId: string) => sessions.endAll(customerId),
  };
}
export type SessionsDomain = ReturnType<typeof sessionsDomain>;

/** A customer's own sessions (self or admin), as the account routes show and end them. */
export function accountSessions(deps: { sessions: SessionsRepo; customers: CustomersDomain }) {
  const { sessions, customers } = deps;
  return {
    async list(actor: User, username: string, page: PageQuery) {
      return sessions.list((await customers.load(actor, username)).id, page);
    },
    async end(actor: User, username: string, sessionId: string) {
      if (!(await sessions.end((await customers.load(actor, username)).id, sessionId))) throw new NotFound('No such session');
    },
    async endAll(actor: User, username: string) {
      await sessions.endAll((await customers.load(actor, username)).id);
    },
  };
}
export type AccountSessions = ReturnType<typeof accountSessions>;
