import type { Logger } from '@shop/kit/logging';
import { inSpan } from '@shop/kit/spans';
import type { RefundEvent, SalesClient } from '../clients/sales.client';
import type { EventFeedRepo, RefundToHandle } from './model';
import type { ReportRules } from './report-rules';

export const REFUND_FEED = 'sales.refund.completed';

/**
 * Reviews learns of refunds from sales' event feed (GET /internal/events, commit-ordered), not by polling reviews.
 * One replica at a time reads it (a lease on the feed's row, renewed by every event handled). For each
 * refund.completed event, oldest first: ask sales for the buyer's net spend and, per refunded item, whether a line
 * for it is still not fully refunded; then, in one transaction, move the cursor past the event, record its id, and
 * recount the buyer's reports and set verifiedPurchase (event-feeds.repo.ts). A crash between the two leaves the
 * cursor before the event, so it is read again; an event id already recorded changes nothing. Every effect is
 * computed from sales' current answers, so an event read late (or again) still leaves the right state.
 */
export function refundFeed(deps: {
  feed: EventFeedRepo;
  sales: SalesClient;
  logger: Logger;
  rules: ReportRules;
  threshold: number;
  /** This process's id for the lease. */
  owner: string;
  leaseMs: number;
  intervalMs: number;
  retentionDays: number;
  batch?: number;
}) {
  const { feed, sales, logger, owner, leaseMs } = deps;
  const batch = deps.batch ?? 100;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;
  let lastPurge = 0;

  async function facts(event: RefundEvent, cursor: string): Promise<RefundToHandle> {
    const customerId = event.customerId;
    if (!customerId) return { eventId: event.id, cursor, customerId: null, spendOk: false, purchases: [] };
    const items = [...new Set(event.data.lines.map((line) => line.itemId))];
    const [spend, purchases] = await Promise.all([
      sales.netSpendCents(customerId),
      Promise.all(items.map(async (itemId) => ({ itemId, verified: await sales.hasPurchased(customerId, itemId) }))),
    ]);
    return { eventId: event.id, cursor, customerId, spendOk: spend >= deps.rules.minSpendCents, purchases };
  }

  /** Reads and handles one page; the number of events read (undefined: another replica holds the feed). */
  async function pass(): Promise<number | undefined> {
    const lease = await feed.claim(REFUND_FEED, owner, leaseMs);
    if (!lease) return undefined;
    let from = lease.cursor;
    const events = await sales.refundsAfter(from, batch);
    for (const event of events) {
      if (stopped) return undefined;
      // Each event consumed is a span named by the feed, in the trace of the refund that wrote the event (a poll is
      // not a request: without a stored traceparent it is a trace of its own).
      const outcome = await inSpan(`consume ${REFUND_FEED}`, { root: true, parent: event.traceparent }, async (setOutcome) => {
        const handled = await feed.handleRefund({ feed: REFUND_FEED, owner, from, leaseMs }, await facts(event, event.cursor), deps.threshold);
        if (handled === 'lease_lost') setOutcome(handled);
        return handled;
      });
      if (outcome === 'lease_lost') return undefined;
      from = event.cursor;
    }
    return events.length;
  }

  /** Reads until the feed is drained (each page is `batch` events), then purges old event ids now and then. */
  async function drain(): Promise<number> {
    let total = 0;
    for (let read = await pass(); read !== undefined && !stopped; read = await pass()) {
      total += read;
      if (read < batch) break;
    }
    if (Date.now() - lastPurge > 60_000) {
      lastPurge = Date.now();
      while (!stopped && (await feed.purgeHandled(deps.retentionDays, 1_000)) === 1_000);
    }
    return total;
  }

  function tick(): void {
    if (running || stopped) return;
    running = drain()
      .then((read) => read && logger.info({ read }, 'refunds from sales read: reports recounted, verified purchases updated'))
      .catch((error: unknown) => logger.warn({ err: error }, 'reading refunds from sales failed; tried again at the next poll'))
      .finally(() => (running = undefined));
  }

  return {
    drain,
    start: () => {
      if (deps.intervalMs <= 0) return;
      timer = setInterval(tick, deps.intervalMs).unref();
      tick();
    },
    /** Stops reading; the event in hand finishes (its transaction commits or not), then the lease is given back. */
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
      await feed.release(REFUND_FEED, owner).catch(() => undefined);
    },
  };
}
export type RefundFeed = ReturnType<typeof refundFeed>;
