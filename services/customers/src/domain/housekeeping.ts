import type { Logger } from '@shop/kit/logging';
import type { EndedSessionsRepo, RateLimitsRepo } from './model';

const BATCH = 5_000;

/**
 * Tables that grow with traffic, trimmed on a timer: rate-limit counters whose window has ended, and ended
 * sessions whose tokens have all expired. Batches of a few thousand rows by an index on the age column, each
 * its own short statement, rows locked by another replica's purge skipped: safe to run on every replica.
 */
export function housekeeping(deps: { counters: RateLimitsRepo; ended: EndedSessionsRepo; keepEndedSeconds: number; intervalMs: number; logger: Logger }) {
  const drain = async (purge: () => Promise<number>) => {
    let total = 0;
    for (let deleted = BATCH; deleted === BATCH; total += deleted) deleted = await purge();
    return total;
  };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const run = async () => {
    try {
      const counters = await drain(() => deps.counters.purgeExpired(BATCH));
      const ended = await drain(() => deps.ended.purge(deps.keepEndedSeconds, BATCH));
      if (counters || ended) deps.logger.debug({ counters, ended }, 'expired rows purged');
    } catch (error) {
      deps.logger.warn({ err: error }, 'purging expired rows failed; trying again on the next round');
    }
  };
  return {
    /** One round now (tests and start-up), then every `intervalMs`. */
    run: () => (running ??= run().finally(() => (running = undefined))),
    start: () => {
      timer = setInterval(() => void (running ??= run().finally(() => (running = undefined))), deps.intervalMs).unref();
    },
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
