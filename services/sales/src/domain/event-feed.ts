import type { EventFeedRepo } from './model';

/** An opaque cursor: the transaction id and the event id of the last event read (see the repository). */
const CURSOR = /^(\d{1,20})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
export const isCursor = (value: string) => CURSOR.test(value);

/**
 * What sales tells other services through its internal routes beyond single purchases: its events after a
 * cursor (reviews learns of refunds this way, exactly in commit order) and a customer's net spend.
 */
export function eventFeedDomain(deps: { feed: EventFeedRepo }) {
  return {
    async events(type: string, after: string | undefined, limit: number) {
      const match = after === undefined ? undefined : CURSOR.exec(after);
      const data = await deps.feed.after(type, match ? { xid: match[1]!, id: match[2]! } : undefined, limit);
      return { data, nextCursor: data.at(-1)?.cursor ?? after ?? null };
    },
    netSpendCents: (customerId: string) => deps.feed.netSpendCents(customerId),
  };
}
export type EventFeedDomain = ReturnType<typeof eventFeedDomain>;
