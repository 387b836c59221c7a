import type { Api } from '@shop/kit';
import type { StockDomain } from '../domain/stock';
import * as s from './stock.schemas';

/** Stock operations for the sales sagas; services only. All are idempotent by `reference` (the sale id, or the refund id for returns). */
export function internalStockRoutes(api: Api, stock: StockDomain) {
  api.route(
    {
      method: 'post',
      path: '/internal/stock/reservations',
      tag: 'Internal',
      summary: "Take the stock of a sale's basket, every line or none (idempotent by reference)",
      description:
        '201 when taken now, 200 when this reference already took it (same body, nothing more taken). ' +
        '404 and 409 insufficient_stock name the offending lines in `errors[].path` (`lines.<n>.itemId`, `lines.<n>.quantity`). ' +
        '409 conflict when the reference was released or voided, or used for other lines.',
      access: 'service',
      callers: ['sales'],
      request: { body: s.reservationRequest },
      response: { status: 201, description: 'Taken', schema: s.reservation },
      errors: ['insufficient_stock', 'not_found', 'conflict'],
    },
    async ({ body }) => {
      const { created, reservation } = await stock.reserve(body.reference, body.lines);
      return { status: created ? 201 : 200, body: reservation };
    },
  );

  api.route(
    {
      method: 'post',
      path: '/internal/stock/releases',
      tag: 'Internal',
      summary: 'Give back the stock of a sale, or void its reference if nothing was taken (idempotent)',
      access: 'service',
      callers: ['sales'],
      request: { body: s.releaseRequest },
      response: { status: 200, description: 'What happened', schema: s.releaseResult },
    },
    async ({ body }) => ({ body: { outcome: await stock.release(body.reference) } }),
  );

  api.route(
    {
      method: 'post',
      path: '/internal/stock/returns',
      tag: 'Internal',
      summary: "Put a refund's units back in stock (idempotent by reference, the refund id)",
      description:
        '201 when returned now (a stock movement of kind `return` per line), 200 when this reference returned the same lines before. ' +
        'Deleted items get their units back too. 409 conflict when the reference returned other lines; 404 for an item that never existed.',
      access: 'service',
      callers: ['sales'],
      request: { body: s.returnRequest },
      response: { status: 201, description: 'Returned', schema: s.returnResult },
      errors: ['not_found', 'conflict'],
    },
    async ({ body }) => {
      const { created, outcome } = await stock.returnStock(body.reference, body.lines);
      return { status: created ? 201 : 200, body: { outcome } };
    },
  );
}
