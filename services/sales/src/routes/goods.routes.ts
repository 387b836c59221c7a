import { page, pageQuery, type Api } from '@shop/kit';
import type { GoodsDomain } from '../domain/goods';
import * as s from './goods.schemas';

const TAG = 'Goods';

export function goodsRoutes(api: Api, goods: GoodsDomain) {
  api.route(
    {
      method: 'get',
      path: '/goods',
      tag: TAG,
      summary: 'Items in stock (read from inventory)',
      access: 'public',
      request: { query: pageQuery },
      response: { status: 200, description: 'A page of goods', schema: s.goodPage },
      errors: ['service_unavailable'],
      cache: 'revalidate',
    },
    async ({ query, requestId }) => {
      const { data, version, ...listed } = await goods.list(query, requestId);
      return { body: page(data, listed, query), version };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/goods/:id',
      tag: TAG,
      summary: 'One item (read from inventory)',
      access: 'public',
      request: { params: s.goodsParams },
      response: { status: 200, description: 'The item', schema: s.item },
      errors: ['not_found', 'service_unavailable'],
      cache: 'revalidate',
    },
    async ({ params, requestId }) => {
      const { item, version } = await goods.get(params.id, requestId);
      return { body: item, version };
    },
  );
}
