import { UpstreamUnavailable } from '@shop/kit/client';
import { NotFound, ServiceUnavailable } from '@shop/kit/errors';
import { pagePosition, type PageQuery } from '@shop/kit/pagination';
import type { InventoryClient } from '../clients/inventory.client';

async function orUnavailable<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof UpstreamUnavailable) throw new ServiceUnavailable('The catalogue is unavailable right now; try again later');
    throw error;
  }
}

/**
 * The shop window: what is in stock, read from inventory (sales keeps no copy of the catalogue). Each answer is
 * a function of inventory's answer, so inventory's ETag is its version.
 */
export function goodsDomain(deps: { inventory: InventoryClient }) {
  const { inventory } = deps;
  return {
    /** Inventory pages the list (offset or its cursor, passed through); `after` with `offset` is refused here. */
    async list(page: PageQuery, requestId: string) {
      pagePosition(page);
      const items = await orUnavailable(inventory.listInStock(page, requestId));
      const { total, totalIsEstimate, nextCursor } = items;
      return { total, totalIsEstimate, nextCursor, data: items.data.map(({ id, name, priceCents }) => ({ id, name, priceCents })), version: items.etag };
    },

    async get(id: string, requestId: string) {
      const found = await orUnavailable(inventory.item(id, requestId));
      if (!found) throw new NotFound('No such item');
      return { item: found.item, version: found.etag };
    },
  };
}
export type GoodsDomain = ReturnType<typeof goodsDomain>;
