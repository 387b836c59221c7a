import { Forbidden, page, pageQuery, Unauthorized, type Api } from '@shop/kit';
import type { ItemsDomain } from '../domain/items';
import * as s from './items.schemas';

const TAG = 'Items';

export function itemsRoutes(api: Api, items: ItemsDomain) {
  api.route(
    {
      method: 'post',
      path: '/items',
      tag: TAG,
      summary: 'Create an item (admin)',
      access: 'admin',
      request: { body: s.newItem },
      response: { status: 201, description: 'The new item', schema: s.item, headers: { Location: 'URL of the item' } },
    },
    async ({ body, user }) => {
      const created = await items.create(user, body);
      return { body: created, headers: { Location: `/items/${created.id}` } };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/items',
      tag: TAG,
      summary: 'List items',
      description: 'Deleted items never appear. Default order: createdAt (oldest first). `lowStock` is for admins.',
      access: 'optional',
      request: { query: s.itemListQuery },
      response: { status: 200, description: 'A page of items', schema: s.itemPage },
      errors: ['forbidden'],
      cache: 'revalidate',
    },
    async ({ query, user }) => {
      if (query.lowStock !== undefined) {
        if (!user) throw new Unauthorized('lowStock is for admins: send an access token');
        if (user.role !== 'admin') throw new Forbidden('lowStock is for admins');
      }
      const { data, version, ...listed } = await items.list(query);
      return { body: page(data, listed, query), version };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/items/:id',
      tag: TAG,
      summary: 'Read an item',
      access: 'public',
      request: { params: s.itemParams },
      response: { status: 200, description: 'The item', schema: s.item },
      errors: ['not_found'],
      cache: 'revalidate',
    },
    async ({ params }) => {
      const { item, version } = await items.load(params.id);
      return { body: item, version };
    },
  );

  api.route(
    {
      method: 'patch',
      path: '/items/:id',
      tag: TAG,
      summary: 'Update an item (admin)',
      description: 'A new stockCount is recorded in the stock history as a correction.',
      access: 'admin',
      request: { params: s.itemParams, body: s.itemChanges },
      response: { status: 200, description: 'The updated item', schema: s.item },
      errors: ['not_found'],
    },
    async ({ params, body, user }) => ({ body: await items.update(user, params.id, body) }),
  );

  api.route(
    {
      method: 'post',
      path: '/items/:id/stock-adjustments',
      tag: TAG,
      summary: 'Add to or take from the stock (admin)',
      description: 'Applied atomically and recorded in the stock history; a result below zero changes nothing (409 insufficient_stock).',
      access: 'admin',
      request: { params: s.itemParams, body: s.stockAdjustment },
      response: { status: 200, description: 'The item with its new stock', schema: s.item },
      errors: ['not_found', 'insufficient_stock', 'conflict'],
    },
    async ({ params, body, user }) => ({ body: await items.adjustStock(user, params.id, body.delta, body.reason) }),
  );

  api.route(
    {
      method: 'get',
      path: '/items/:id/stock-movements',
      tag: TAG,
      summary: "An item's stock history (admin)",
      description: 'Newest first. The deltas of all its movements sum to the stock count.',
      access: 'admin',
      request: { params: s.itemParams, query: pageQuery },
      response: { status: 200, description: 'A page of stock movements', schema: s.stockMovementPage },
      errors: ['not_found'],
    },
    async ({ params, query }) => {
      const { data, ...listed } = await items.movements(params.id, query);
      return { body: page(data, listed, query) };
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/items/:id',
      tag: TAG,
      summary: 'Delete an item (admin)',
      description: 'The item leaves every list and answers 404; stock reservations of past sales can still be released.',
      access: 'admin',
      request: { params: s.itemParams },
      response: { status: 204, description: 'Deleted' },
      errors: ['not_found'],
    },
    async ({ params }) => {
      await items.remove(params.id);
      return { status: 204 };
    },
  );
}
