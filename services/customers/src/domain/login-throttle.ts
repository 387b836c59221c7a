import { RateLimited } from '@shop/kit';
import type { LoginFailuresRepo } from '../data/login-failures.repo';

/**
 * Limits failed logins per username and per client address. Only failures are counted, and they are
 * counted after they happen: a burst of successful logins from one address (an office behind one NAT, a
 * test suite) is never blocked, however many arrive at once.
 */
export function loginThrottle(deps: { failures: LoginFailuresRepo; perUsername: number; perAddress: number; windowMs: number }) {
  const keysFor = (username: string, address: string) => ({
    username: `login-username:${username.toLowerCase()}`,
    address: `login-address:${address}`,
  });
  return {
    async check(username: string, address: string): Promise<void> {
      const keys = keysFor(username, address);
      const counts = await deps.failures.read([keys.username, keys.address]);
      const blocked = [
        [keys.username, deps.perUsername],
        [keys.address, deps.perAddress],
      ] as const;
      for (const [key, limit] of blocked) {
        const entry = counts.get(key);
        if (entry && entry.count >= limit) {
          const error = new RateLimited('Too many failed logins; try again later');
          error.headers = { 'Retry-After': String(Math.max(1, Math.ceil((entry.resetAt.getTime() - Date.now()) / 1000))) };
          throw error;
        }
      }
    },
    async recordFailure(username: string, address: string): Promise<void> {
      const keys = keysFor(username, address);
      await deps.failures.record([keys.username, keys.address], deps.windowMs);
    },
  };
}
export type LoginThrottle = ReturnType<typeof loginThrottle>;
