import type { Logger } from '@shop/kit';

/**
 * After migration 20261207110000, counts the completed sales of the customers who bought before it, a batch at a time
 * (fill_customer_sale_counts: short transactions, rows a purchase holds skipped, safe with every replica doing it),
 * until none is left; then it stops for good. Until a customer is counted, their GET /sales counts as before.
 */
export function saleCountsFill(options: { fill: (batch: number) => Promise<number>; logger: Logger; batch?: number; pauseMs?: number }) {
  const batch = options.batch ?? 500;
  let stopped = false;
  let wake: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms).unref();
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  let done: Promise<void> = Promise.resolve();
  const run = async () => {
    let counted = 0;
    while (!stopped) {
      try {
        const n = await options.fill(batch);
        if (n === 0) break;
        counted += n;
        await pause(options.pauseMs ?? 20);
      } catch (error) {
        options.logger.warn({ err: error }, 'counting customers’ sales failed; trying again in 10 s');
        await pause(10_000);
      }
    }
    if (counted > 0) options.logger.info({ customers: counted }, 'customers’ sales counted');
  };
  return {
    start() {
      done = run();
    },
    async stop() {
      stopped = true;
      wake?.();
      await done;
    },
  };
}
