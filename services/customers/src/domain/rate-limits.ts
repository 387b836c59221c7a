import { RateLimited } from '@shop/kit/errors';
import type { Limit, RateLimitsRepo } from './model';

export type { Limit } from './model';

/**
 * Keys hold the username as sent, and PostgreSQL stores text as UTF-8, which has no lone UTF-16 surrogates (a
 * username `"a\ud800b"` would be stored as `"a\ufffdb"`): the key is made well-formed here, once, so what is
 * counted is exactly what was asked for.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const keyOf = (kind: string, ...parts: string[]) => `${kind}:${parts.join('@')}`.replace(LONE_SURROGATE, '\ufffd');

/** `hint`: said after every refusal (in development: how to clear the limits). */
function limiter(counters: RateLimitsRepo, hint?: string) {
  /**
   * Counts the attempt on every `count` limit and refuses it when any limit is past, in one atomic statement:
   * concurrent attempts cannot overshoot. An attempt refused because a limit was already full writes nothing;
   * `check` limits are only looked at (another kind of attempt fills them).
   */
  return async function take(count: Limit[], windowMs: number, message: string, check: Limit[] = []): Promise<void> {
    const refused = await counters.take(count, check, windowMs);
    if (!refused) return;
    const error = new RateLimited(hint ? `${message}. ${hint}` : message);
    error.headers = { 'Retry-After': String(Math.max(1, Math.ceil((refused.resetAt.getTime() - Date.now()) / 1000))) };
    throw error;
  };
}

/**
 * Password guesses, limited per (username, client address) and per client address. Every attempt is counted
 * before bcrypt runs and a success gives its count back, so only failures (and attempts still running) use
 * up the limit. There is deliberately no limit on a username alone: a flood of guesses from elsewhere must
 * not lock the rightful owner out of their own account. Successful logins are limited too, per (username,
 * address) and minute: each opens a session and costs a bcrypt.
 */
export function loginThrottle(deps: {
  counters: RateLimitsRepo;
  perUsernameAndAddress: number;
  perAddress: number;
  windowMs: number;
  loginsPerMinute: number;
  hint?: string;
}) {
  const take = limiter(deps.counters, deps.hint);
  return {
    /**
     * Counts a password check and refuses it past a limit (for a login, also when the successful logins of this
     * username and address are used up); call `succeeded` when the password was right.
     */
    async attempt(username: string, address: string, purpose: 'login' | 'password_change'): Promise<{ succeeded(): Promise<void> }> {
      const name = username.toLowerCase();
      const pair = { key: keyOf('login', name, address), max: deps.perUsernameAndAddress };
      const perAddress = { key: keyOf('login-address', address), max: deps.perAddress };
      const logins = { key: keyOf('login-ok', name, address), max: deps.loginsPerMinute };
      const check = purpose === 'login' ? [logins] : [];
      await take([pair, perAddress], deps.windowMs, 'Too many failed logins; try again later', check);
      return {
        async succeeded() {
          await deps.counters.refund([pair.key, perAddress.key]);
          if (purpose === 'login') await take([logins], 60_000, 'Too many logins; try again in a minute');
        },
      };
    },
  };
}
export type LoginThrottle = ReturnType<typeof loginThrottle>;

/** Registrations per client address and hour: each one costs a bcrypt hash, and throwaway accounts cost the shop. */
export function registrationLimit(deps: { counters: RateLimitsRepo; perHour: number; hint?: string }) {
  const take = limiter(deps.counters, deps.hint);
  return (address: string) =>
    take([{ key: keyOf('register', address), max: deps.perHour }], 3_600_000, 'Too many registrations from this address; try again later');
}
export type RegistrationLimit = ReturnType<typeof registrationLimit>;
