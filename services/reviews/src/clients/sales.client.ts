import { createServiceClient, type ServiceClient } from '@shop/kit';

/** Sales as reviews needs it: has this customer a completed sale of this item, or of anything? */
export function salesClient(client: ServiceClient) {
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
  };
}
export type SalesClient = ReturnType<typeof salesClient>;

export const createSalesClient = (baseUrl: string, serviceToken: string, timeoutMs: number) =>
  salesClient(createServiceClient({ service: 'sales', baseUrl, serviceToken, timeoutMs }));
