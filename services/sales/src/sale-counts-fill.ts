import type { Logger } from '@shop/kit';

export interface SaleCounts {
  anyUncounted(): Promise<boolean>;
  fill(after: string, batch: number): Promise<string | null>;
}

const FIRST = '00000000-0000-0000-0000-000000000000';

/**
 * After migration 20261207110000, counts the completed sales of the customers who bought before it, a batch at a time
 * (fill_customer_sale_counts: short transactions, rows a purchase holds skipped, safe with every replica doing it),
 * until none is left; then it stops for good. Until a customer is counted, their GET /sales counts as before.
 */
export function saleCountsFill(options: { counts: SaleCounts; logger: Logger; batch?: number; pauseMs?: number }) {
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
  // Passes over every customer by primary key until none is left uncounted (a row a purchase held is taken by the
  // next pass).
  const run = async () => {
    let passes = 0;
    let after = FIRST;
    while (!stopped) {
      try {
        if (after === FIRST && !(await options.counts.anyUncounted())) break;
        if (after === FIRST) passes++;
        after = (await options.counts.fill(after, batch)) ?? FIRST;
        await pause(options.pauseMs ?? 20);
      } catch (error) {
        options.logger.warn({ err: error }, 'counting customers’ sales failed; trying again in 10 s');
        await pause(10_000);
      }
    }
    if (passes > 0 && !stopped) options.logger.info({ passes }, 'customers’ sales counted');
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
