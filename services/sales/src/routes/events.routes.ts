import type { Api } from '@shop/kit';
import type { EventFeedDomain } from '../domain/event-feed';
import * as s from './events.schemas';

/** For reviews: sales' events in commit order (how it learns of refunds) and a customer's net spend (whose reports count). */
export function internalEventRoutes(api: Api, feed: EventFeedDomain) {
  api.route(
    {
      method: 'get',
      path: '/internal/events',
      tag: 'Internal',
      summary: 'Events of one type committed after a cursor, oldest first (the outbox as a pull feed)',
      description:
        'Commit order: an event is answered only once no transaction that could still commit an earlier one is running, ' +
        'so reading on from `nextCursor` never misses an event. At least once: a reader handles each event id once.',
      access: 'service',
      callers: ['reviews'],
      request: { query: s.eventsQuery },
      response: { status: 200, description: 'The events and the cursor to read on from', schema: s.eventPage },
    },
    async ({ query }) => ({ body: await feed.events(query.type, query.after, query.limit) }),
  );

  api.route(
    {
      method: 'get',
      path: '/internal/customers/:customerId/spend',
      tag: 'Internal',
      summary: "A customer's completed purchases net of refunds, in cents",
      access: 'service',
      callers: ['reviews'],
      request: { params: s.spendParams },
      response: { status: 200, description: 'The net spend (0 for a customer who never bought)', schema: s.spend },
    },
    async ({ params }) => ({ body: { customerId: params.customerId, netCents: await feed.netSpendCents(params.customerId) } }),
  );
}
