import type { User } from '@shop/kit/auth';
import type { PageQuery } from '@shop/kit/pagination';
import { Conflict, InsufficientStock, NotFound } from '@shop/kit/errors';
import type { Item, ItemChanges, ItemFilter, ItemsRepo, NewItem } from './model';

/** The most a stock count may hold (well inside PostgreSQL's INTEGER). */
export const MAX_STOCK = 1_000_000_000;

export function itemsDomain(deps: { items: ItemsRepo }) {
  const { items } = deps;

  /** The item and its version (for its ETag). */
  async function load(id: string): Promise<{ item: Item; version: string }> {
    const found = await items.find(id);
    if (!found) throw new NotFound('No such item');
    return found;
  }

  return {
    load,
    list: (filter: ItemFilter) => items.list(filter),

    async movements(id: string, page: PageQuery) {
      const found = await items.movements(id, page);
      if (!found) throw new NotFound('No such item');
      return found;
    },
    create: (actor: User, input: NewItem) => items.create(input, actor.id),

    async update(actor: User, id: string, changes: ItemChanges): Promise<Item> {
      const updated = await items.update(id, changes, actor.id);
      if (!updated) throw new NotFound('No such item');
      return updated;
    },

    async adjustStock(actor: User, id: string, delta: number, reason?: string): Promise<Item> {
      const result = await items.adjustStock(id, delta, reason, actor.id, MAX_STOCK);
      switch (result.outcome) {
        case 'adjusted':
          return result.item;
        case 'no_item':
          throw new NotFound('No such item');
        case 'below_zero':
          throw new InsufficientStock('The adjustment would take the stock below zero');
        case 'above_maximum':
          throw new Conflict(`The adjustment would take the stock above ${MAX_STOCK}`);
      }
    },

    async remove(id: string): Promise<void> {
      if (!(await items.softDelete(id))) throw new NotFound('No such item');
    },
  };
}
export type ItemsDomain = ReturnType<typeof itemsDomain>;
