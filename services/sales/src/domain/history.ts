import type { User } from '@shop/kit/auth';
import { Forbidden, NotFound } from '@shop/kit/errors';
import type { HistoryRepo, PublicStatus, Sale } from './model';

export interface HistoryQuery {
  username?: string;
  status?: PublicStatus;
  itemId?: string;
  from?: string;
  to?: string;
  limit: number;
  offset?: number;
  after?: string;
}

/** Purchase history: customers see their own completed sales, admins everyone's. */
export function historyDomain(deps: { sales: HistoryRepo }) {
  const { sales } = deps;
  return {
    async list(actor: User, query: HistoryQuery) {
      const filter = {
        status: query.status,
        itemId: query.itemId,
        from: query.from === undefined ? undefined : new Date(query.from),
        to: query.to === undefined ? undefined : new Date(query.to),
      };
      if (actor.role === 'admin') return sales.listCompleted({ ...filter, username: query.username }, query);
      if (query.username && query.username.toLowerCase() !== actor.username.toLowerCase()) {
        throw new Forbidden("Only admins may list other customers' purchases");
      }
      return sales.listCompleted({ ...filter, customerId: actor.id }, query);
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
