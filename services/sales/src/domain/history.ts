import { Forbidden, NotFound, type User } from '@shop/kit';
import type { Sale, SalesRepo } from '../data/sales.repo';

/** Purchase history: customers see their own completed sales, admins everyone's. */
export function historyDomain(deps: { sales: SalesRepo }) {
  const { sales } = deps;
  return {
    async list(actor: User, query: { username?: string; limit: number; offset: number }) {
      if (actor.role === 'admin') return sales.listCompleted({ username: query.username }, query);
      if (query.username && query.username.toLowerCase() !== actor.username.toLowerCase()) {
        throw new Forbidden("Only admins may list other customers' purchases");
      }
      return sales.listCompleted({ customerId: actor.id }, query);
    },

    /** Another customer's sale answers 404, as if it did not exist: ids reveal nothing. */
    async get(actor: User, id: string): Promise<Sale> {
      const sale = await sales.findCompleted(id);
      if (!sale || (actor.role !== 'admin' && sale.customerId !== actor.id)) throw new NotFound('No such sale');
      return sale;
    },

    /** Without an item: has the customer bought anything at all. */
    hasPurchased: (customerId: string, itemId?: string) => sales.hasPurchased(customerId, itemId),
  };
}
export type HistoryDomain = ReturnType<typeof historyDomain>;
