import { z } from '@shop/kit';
import { isCursor } from '../domain/event-feed';
import { refund } from './sales.schemas';

export const FEED_EVENT_TYPES = ['refund.completed'] as const;

export const eventsQuery = z.strictObject({
  type: z.enum(FEED_EVENT_TYPES).openapi({ description: 'The event type to read (one per feed)' }),
  after: z
    .string()
    .max(64)
    .refine(isCursor, 'must be a nextCursor this feed answered')
    .optional()
    .openapi({ description: 'The `nextCursor` of the previous answer; omitted: from the oldest event kept' }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const feedEvent = z
  .object({
    id: z.uuid(),
    type: z.string(),
    createdAt: z.string(),
    customerId: z.uuid().nullable().openapi({ description: "The customer the event is about (a refund's buyer)" }),
    data: refund.openapi({ description: 'The Refund, as its webhook delivers it' }),
    cursor: z.string(),
    traceparent: z
      .string()
      .nullable()
      .openapi({ description: 'The W3C traceparent of the span that wrote the event (null when it was not traced): the consumer continues that trace' }),
  })
  .openapi('FeedEvent');

export const eventPage = z
  .object({
    data: z.array(feedEvent),
    nextCursor: z.string().nullable().openapi({ description: 'Pass as `after` to read on; the same cursor again when nothing new committed' }),
  })
  .openapi('FeedEventPage');

export const spendParams = z.object({ customerId: z.uuid() });
export const spend = z.object({ customerId: z.uuid(), netCents: z.number().int().min(0) }).openapi('CustomerSpend');
