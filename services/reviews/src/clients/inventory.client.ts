import { createServiceClient, type ServiceClient } from '@shop/kit';

/** Inventory as reviews needs it: does this item exist (and is it not deleted)? */
export function inventoryClient(client: ServiceClient) {
  return {
    /** true/false from inventory's answer; throws UpstreamUnavailable when inventory cannot say. */
    async itemExists(itemId: string, requestId?: string): Promise<boolean> {
      const reply = await client.call({ method: 'GET', path: `/items/${encodeURIComponent(itemId)}`, route: '/items/:id', requestId, retry: true });
      if (reply.status === 200) return true;
      if (reply.status === 404) return false;
      // Any other 4xx means we asked wrongly: treat it as "cannot tell", never as "the item exists".
      throw new Error(`inventory answered ${reply.status} to GET /items/${itemId}`);
    },
  };
}
export type InventoryClient = ReturnType<typeof inventoryClient>;

/** Anonymous: reviews reads inventory's public routes only, so it holds no credential for inventory. */
export const createInventoryClient = (baseUrl: string, timeoutMs: number) => inventoryClient(createServiceClient({ service: 'inventory', baseUrl, timeoutMs }));
