import { page, pageQuery, type Api } from '@shop/kit';
import type { HistoryDomain } from '../domain/history';
import { refundFingerprint, type RefundsDomain } from '../domain/refunds';
import { purchaseFingerprint, replayedError, requestHash, type PurchasesDomain } from '../domain/purchases';
import * as s from './sales.schemas';

const TAG = 'Sales';

export function salesRoutes(api: Api, purchases: PurchasesDomain, history: HistoryDomain, refunds: RefundsDomain) {
  api.route(
    {
      method: 'post',
      path: '/sales',
      tag: TAG,
      summary: 'Buy one item or a basket of up to 50 (customers and admins buy for themselves)',
      description:
        'All or nothing for every line together: stock taken, wallet debited once for the total and the sale recorded, ' +
        'or no lasting effect. 404 and 409 `insufficient_stock` name the lines in `errors[].path` (`lines.2.itemId`). With an ' +
        '`Idempotency-Key`, the same key and body answer the first answer again (`Idempotent-Replayed: true`); ' +
        'another body → 422; while the first is running → 409. 503 answers release the key.\n\n' +
        'Before anything is reserved: a total above 100000000000 cents → 422 `total_too_large`, then a balance below the total ' +
        '→ 402 `insufficient_funds` (the debit still decides). More than `PURCHASES_PER_MINUTE` attempts by one customer in a ' +
        'minute → 429 `rate_limited` with `Retry-After`. A buyer whose session has ended (logged out) → 401, nothing charged.\n\n' +
        "The example's `itemId` is made up, so trying it as is answers 404: take a real `id` from `GET /goods` " +
        '(or inventory `GET /items`) first.',
      access: 'user',
      request: { body: s.purchase, headers: s.purchaseHeaders },
      response: {
        status: 201,
        description: 'The completed sale',
        schema: s.sale,
        headers: { Location: 'URL of the sale', 'Idempotent-Replayed': '`true` when this is a stored answer replayed' },
      },
      errors: [
        'not_found',
        'insufficient_stock',
        'insufficient_funds',
        'idempotency_key_in_use',
        'idempotency_key_reused',
        'total_too_large',
        'rate_limited',
        'service_unavailable',
      ],
    },
    async ({ body, headers, user, requestId, req, res }) => {
      const key = headers['idempotency-key'];
      const outcome = await purchases.buy(user, body, {
        requestId,
        idempotency: key === undefined ? undefined : { key, requestHash: requestHash(req.method, req.path, purchaseFingerprint(body)) },
      });
      if (!outcome.replayed) return { status: 201, body: outcome.sale, headers: { Location: `/sales/${outcome.sale.id}` } };
      res.setHeader('Idempotent-Replayed', 'true');
      if (outcome.status >= 400) throw replayedError(outcome.status, outcome.body as never);
      const sale = outcome.body as { id: string };
      return { status: outcome.status, body: sale, headers: { Location: `/sales/${sale.id}` } };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/sales',
      tag: TAG,
      summary: 'Purchase history, newest first (customers: their own; admins: everyone, or ?username=)',
      description: 'Filters: `status`, `itemId` (a line for that item), `from` (inclusive) and `to` (exclusive) on `createdAt`.',
      access: 'user',
      request: { query: s.saleListQuery },
      response: { status: 200, description: 'A page of completed sales', schema: s.salePage },
      errors: ['forbidden'],
    },
    async ({ query, user }) => {
      const { data, ...listed } = await history.list(user, query);
      return { body: page(data, listed, query) };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/sales/:id',
      tag: TAG,
      summary: 'One completed sale (its buyer or an admin; 404 to anyone else)',
      access: 'user',
      request: { params: s.saleParams },
      response: { status: 200, description: 'The sale', schema: s.sale },
      errors: ['not_found'],
    },
    async ({ params, user }) => ({ body: await history.get(user, params.id) }),
  );

  api.route(
    {
      method: 'post',
      path: '/sales/:id/refunds',
      tag: TAG,
      summary: 'Refund a sale, whole or in part (its owner within the refund window, admins any time)',
      description:
        'No `lines` refunds all that is left. The refund is recorded first (concurrent refunds never exceed what was paid), ' +
        'then the wallet is credited (ledger `refund`, reference = refund id) and, unless `restock: false` (admins only), ' +
        'the units go back to stock. 503: the refund is recorded and will complete by itself, exactly once. ' +
        '`Idempotency-Key` as for purchases (a key whose refund is still completing answers 409).',
      access: 'user',
      request: { params: s.saleParams, body: s.refundRequest, headers: s.purchaseHeaders },
      response: {
        status: 201,
        description: 'The refund, completed',
        schema: s.refund,
        headers: { Location: "URL of the sale's refunds", 'Idempotent-Replayed': '`true` when this is a stored answer replayed' },
      },
      errors: ['forbidden', 'not_found', 'conflict', 'idempotency_key_in_use', 'idempotency_key_reused', 'service_unavailable'],
    },
    async ({ params, body, headers, user, requestId, req, res }) => {
      const key = headers['idempotency-key'];
      const outcome = await refunds.refund(user, params.id, body, {
        requestId,
        idempotency: key === undefined ? undefined : { key, requestHash: requestHash(req.method, '/sales/:id/refunds', refundFingerprint(params.id, body)) },
      });
      const location = { Location: `/sales/${params.id}/refunds` };
      if (!outcome.replayed) return { status: 201, body: outcome.refund, headers: location };
      res.setHeader('Idempotent-Replayed', 'true');
      if (outcome.status >= 400) throw replayedError(outcome.status, outcome.body as never);
      return { status: outcome.status, body: outcome.body, headers: location };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/sales/:id/refunds',
      tag: TAG,
      summary: "A sale's refunds, oldest first (its buyer or an admin; 404 to anyone else)",
      access: 'user',
      request: { params: s.saleParams, query: pageQuery },
      response: { status: 200, description: 'A page of refunds', schema: s.refundPage },
      errors: ['not_found'],
    },
    async ({ params, query, user }) => {
      await history.get(user, params.id);
      const { data, ...listed } = await refunds.list(params.id, query);
      return { body: page(data, listed, query) };
    },
  );
}

/** For reviews: did this customer buy this item (verified purchase), or anything at all (whose reports count)? */
export function internalPurchaseRoutes(api: Api, history: HistoryDomain) {
  api.route(
    {
      method: 'get',
      path: '/internal/purchases',
      tag: 'Internal',
      summary: 'Whether a customer has a completed sale of an item, or of anything',
      access: 'service',
      callers: ['reviews'],
      request: { query: s.purchasedQuery },
      response: { status: 200, description: 'The answer', schema: s.purchased },
    },
    async ({ query }) => ({ body: { purchased: await history.hasPurchased(query.customerId, query.itemId) } }),
  );
}
