import type { RefundEvent, SalesClient } from '../../src/clients/sales.client';
import type { EventFeedRepo, HandleOutcome, RefundToHandle } from '../../src/domain/model';
import { refundFeed } from '../../src/domain/refund-feed';

const customer = '11111111-1111-4111-8111-111111111111';
const item = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
const event = (n: number, items: number[], customerId: string | null = customer): RefundEvent => ({
  id: `e${n}`,
  type: 'refund.completed',
  customerId,
  cursor: `c${n}`,
  data: { lines: items.map((i) => ({ itemId: item(i) })) },
});

/** In-memory feed and sales: what the reader asks and what it hands over, in order. */
function setup(options: { events: RefundEvent[]; spend?: number; lease?: boolean; outcomes?: HandleOutcome[] }) {
  const handled: Array<{ from: string | null; event: RefundToHandle }> = [];
  const outcomes = [...(options.outcomes ?? [])];
  const feed: EventFeedRepo = {
    claim: () => Promise.resolve(options.lease === false ? undefined : { cursor: null }),
    handleRefund: (lease, e) => {
      handled.push({ from: lease.from, event: e });
      return Promise.resolve(outcomes.shift() ?? 'handled');
    },
    release: () => Promise.resolve(),
    purgeHandled: () => Promise.resolve(0),
  };
  const asked: string[] = [];
  const sales = {
    refundsAfter: (after: string | null) => {
      asked.push(`after ${after}`);
      return Promise.resolve(after === null ? options.events : []);
    },
    netSpendCents: () => Promise.resolve(options.spend ?? 0),
    hasPurchased: (_c: string, itemId?: string) => Promise.resolve(itemId === item(2)),
  } as unknown as SalesClient;
  const reader = refundFeed({
    feed,
    sales,
    logger: { info: () => undefined, warn: () => undefined } as never,
    rules: { minSpendCents: 500, minAccountAgeHours: 0 },
    threshold: 3,
    owner: 'me',
    leaseMs: 5_000,
    intervalMs: 0,
    retentionDays: 7,
  });
  return { reader, handled, asked };
}

describe('reading the refund feed', () => {
  it('hands each event over in order, each moving the cursor from the previous one', async () => {
    const { reader, handled } = setup({ events: [event(1, [1]), event(2, [2, 2, 3])], spend: 500 });
    await reader.drain();
    expect(handled.map((h) => [h.from, h.event.cursor])).toEqual([
      [null, 'c1'],
      ['c1', 'c2'],
    ]);
    // Each refunded item asked once (a line per item), the spend judged against the minimum.
    expect(handled[1]!.event).toEqual({
      eventId: 'e2',
      cursor: 'c2',
      customerId: customer,
      spendOk: true,
      purchases: [
        { itemId: item(2), verified: true },
        { itemId: item(3), verified: false },
      ],
    });
  });

  it('judges a spend below REPORT_MIN_SPEND_CENTS as not counting', async () => {
    const { reader, handled } = setup({ events: [event(1, [1])], spend: 499 });
    await reader.drain();
    expect(handled[0]!.event.spendOk).toBe(false);
  });

  it('stops at a lost lease: the events after it are left to the replica that holds the feed now', async () => {
    const { reader, handled } = setup({ events: [event(1, [1]), event(2, [1]), event(3, [1])], outcomes: ['handled', 'lease_lost'] });
    await reader.drain();
    expect(handled.map((h) => h.event.eventId)).toEqual(['e1', 'e2']);
  });

  it('reads nothing while another replica holds the feed', async () => {
    const { reader, handled, asked } = setup({ events: [event(1, [1])], lease: false });
    await reader.drain();
    expect(asked).toEqual([]);
    expect(handled).toEqual([]);
  });

  it('moves past an event about no customer without asking sales about anyone', async () => {
    const { reader, handled } = setup({ events: [event(1, [1], null)] });
    await reader.drain();
    expect(handled[0]!.event).toEqual({ eventId: 'e1', cursor: 'c1', customerId: null, spendOk: false, purchases: [] });
  });
});
