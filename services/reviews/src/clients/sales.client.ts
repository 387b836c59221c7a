import { createServiceClient, z, type ServiceClient } from '@shop/kit';

/** A refund.completed event as sales' feed answers it: what reviews needs of it, checked. */
const refundEvent = z.object({
  id: z.uuid(),
  type: z.literal('refund.completed'),
  customerId: z.uuid().nullable(),
  cursor: z.string().min(1).max(64),
  /** The span that wrote the event, when sales traced it: consuming it continues that trace. */
  traceparent: z.string().max(100).nullable().optional(),
  data: z.object({ lines: z.array(z.object({ itemId: z.uuid() })) }),
});
const refundPage = z.object({ data: z.array(refundEvent), nextCursor: z.string().nullable() });
export type RefundEvent = z.output<typeof refundEvent>;

const spend = z.object({ netCents: z.number().int().min(0) });

/** Sales as reviews needs it: purchases, a customer's net spend, and the feed of refunds. */
export function salesClient(client: ServiceClient) {
  async function read<T>(path: string, route: string, schema: z.ZodType<T>, requestId?: string): Promise<T> {
    const reply = await client.call({ method: 'GET', path, route, requestId, retry: true });
    const parsed = reply.status === 200 ? schema.safeParse(reply.body) : undefined;
    if (!parsed?.success) throw new Error(`sales answered ${reply.status} to GET ${path.split('?')[0]}`);
    return parsed.data;
  }

  return {
    /** Throws when sales cannot say (unreachable, too slow, 5xx or an unexpected answer). */
    async hasPurchased(customerId: string, itemId: string | undefined, requestId?: string): Promise<boolean> {
      const query = new URLSearchParams({ customerId, ...(itemId && { itemId }) });
      const reply = await client.call<{ purchased?: unknown }>({ method: 'GET', path: `/internal/purchases?${query.toString()}`, requestId, retry: true });
      if (reply.status !== 200 || typeof reply.body?.purchased !== 'boolean') {
        throw new Error(`sales answered ${reply.status} to GET /internal/purchases`);
      }
      return reply.body.purchased;
    },

    /** The customer's completed purchases net of refunds, in cents; throws when sales cannot say. */
    async netSpendCents(customerId: string, requestId?: string): Promise<number> {
      return (await read(`/internal/customers/${encodeURIComponent(customerId)}/spend`, '/internal/customers/:customerId/spend', spend, requestId)).netCents;
    },

    /** refund.completed events committed after `after` (null: from the oldest sales keeps), oldest first. */
    async refundsAfter(after: string | null, limit: number): Promise<RefundEvent[]> {
      const query = new URLSearchParams({ type: 'refund.completed', limit: String(limit), ...(after !== null && { after }) });
      return (await read(`/internal/events?${query.toString()}`, '/internal/events', refundPage)).data;
    },
  };
}
export type SalesClient = ReturnType<typeof salesClient>;

export const createSalesClient = (baseUrl: string, serviceToken: string, timeoutMs: number) =>
  salesClient(createServiceClient({ service: 'sales', baseUrl, serviceToken, timeoutMs }));
