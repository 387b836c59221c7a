import { RateLimited } from '@shop/kit/errors';
import type { RateLimitsRepo } from './model';

export interface Limit {
  key: string;
  max: number;
}

function limiter(counters: RateLimitsRepo) {
  /** Counts the attempt first (one atomic statement), then refuses it when any limit is past: concurrent attempts cannot overshoot. */
  return async function take(limits: Limit[], windowMs: number, message: string): Promise<void> {
    const counts = await counters.hit(
      limits.map((limit) => limit.key),
      windowMs,
    );
    for (const { key, max } of limits) {
      const entry = counts.get(key)!;
      if (entry.count > max) {
        const error = new RateLimited(message);
        error.headers = { 'Retry-After': String(Math.max(1, Math.ceil((entry.resetAt.getTime() - Date.now()) / 1000))) };
        throw error;
      }
    }
  };
}

/**
 * Password guesses, limited per (username, client address) and per client address. Every attempt is counted
 * before bcrypt runs and a success gives its count back, so only failures (and attempts still running) use
 * up the limit. There is deliberately no limit on a username alone: a flood of guesses from elsewhere must
 * not lock the rightful owner out of their own account.
 */
export function loginThrottle(deps: { counters: RateLimitsRepo; perUsernameAndAddress: number; perAddress: number; windowMs: number }) {
  const take = limiter(deps.counters);
  return {
    /** Counts a password check and refuses it past a limit; call `succeeded` when the password was right. */
    async attempt(username: string, address: string): Promise<{ succeeded(): Promise<void> }> {
      const pair = `login:${username.toLowerCase()}@${address}`;
      const perAddress = `login-address:${address}`;
      await take(
        [
          { key: pair, max: deps.perUsernameAndAddress },
          { key: perAddress, max: deps.perAddress },
        ],
        deps.windowMs,
        'Too many failed logins; try again later',
      );
      return { succeeded: () => deps.counters.refund([pair, perAddress]) };
    },
  };
}
export type LoginThrottle = ReturnType<typeof loginThrottle>;

/** Registrations per client address and hour: each one costs a bcrypt hash, and throwaway accounts cost the shop. */
export function registrationLimit(deps: { counters: RateLimitsRepo; perHour: number }) {
  const take = limiter(deps.counters);
  return (address: string) => take([{ key: `register:${address}`, max: deps.perHour }], 3_600_000, 'Too many registrations from this address; try again later');
}
export type RegistrationLimit = ReturnType<typeof registrationLimit>;
