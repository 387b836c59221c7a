import { InsufficientFunds, InsufficientStock, NotFound, TotalTooLarge, Unauthorized } from '@shop/kit/errors';
import { MAX_AMOUNT_CENTS } from '@shop/kit/money';
import pLimit from 'p-limit';
import type { Price } from './model';
import { Refused, type SagaDeps, type Step } from './saga';

export interface PurchaseLine {
  itemId: string;
  quantity: number;
}

/** What a purchase's steps share: the sale, and the price once inventory has answered. */
export interface PurchaseContext {
  sale: { id: string; customerId: string; lines: PurchaseLine[] };
  /**
   * The buyer's session (the access token's `sid`): customers debits only while it is live. The recovery sweep,
   * which only undoes, has none; a debit without one is refused, never made.
   */
  sessionId?: string;
  requestId: string;
  /** v1 requests name their one line `itemId`/`quantity`; baskets name `lines.<n>.…`. */
  basket: boolean;
  price?: Price;
}

const tooLarge = (totalCents: number) =>
  new Refused(new TotalTooLarge(`The total of ${totalCents} cents is above the most one purchase may cost (${MAX_AMOUNT_CENTS} cents)`));
const short = (totalCents: number) => new Refused(new InsufficientFunds(`The wallet holds less than the ${totalCents} cents this costs`));
const path = (ctx: PurchaseContext, line: number, field: string) => (ctx.basket ? `lines.${line}.${field}` : field);

/**
 * A basket's price reads in flight at once. Each read's SERVICE_TIMEOUT_MS runs from its start: a 50-line basket
 * read all at once queued the tail of its burst behind inventory's database pool (10 connections), and on a loaded
 * machine past the timeout, three times (503): why "buys 50 lines in one sale" failed under parallel load.
 */
export const PRICE_READS_AT_ONCE = 8;

/** `read` over `values` with at most `limit` calls in flight (p-limit), the results in order. */
function inTurns<T, R>(values: T[], limit: number, read: (value: T) => Promise<R>): Promise<R[]> {
  const inFlight = pLimit(limit);
  return Promise.all(values.map((value) => inFlight(() => read(value))));
}

/**
 * The purchase saga's steps (docs/design.md, "The purchase is a saga run by sales"), each idempotent by the sale id with an idempotent,
 * tombstoning undo, so "retry with the same reference, or undo" is always safe. The recovery sweep undoes
 * abandoned sales with these same steps.
 *
 * The first step holds nothing: it prices the basket from inventory's catalogue and refuses a total above
 * MAX_AMOUNT_CENTS (422) and then a balance below the total (402), so a purchase that cannot be paid never
 * reserves stock. It is not authoritative (prices and balances may move): the reservation fixes the price and
 * the debit decides.
 */
export function purchaseSteps(deps: Pick<SagaDeps, 'inventory' | 'customers'>): Step<PurchaseContext>[] {
  const { inventory, customers } = deps;
  return [
    {
      name: 'check total and balance',
      span: 'check',
      async run(ctx) {
        const { sale, requestId } = ctx;
        const reads = await inTurns(sale.lines, PRICE_READS_AT_ONCE, (line) => inventory.item(line.itemId, requestId));
        const unknown = reads.flatMap((read, line) => (read ? [] : [{ path: path(ctx, line, 'itemId'), message: 'no such item' }]));
        if (unknown.length > 0) throw new Refused(new NotFound('No such item', unknown), 'not_found');
        const totalCents = reads.reduce((sum, read, line) => sum + read!.item.priceCents * sale.lines[line]!.quantity, 0);
        if (totalCents > MAX_AMOUNT_CENTS) throw tooLarge(totalCents);
        const balance = await customers.balance(sale.customerId, requestId);
        if (balance === 'no_customer') throw new Refused(new NotFound('Your customer account no longer exists'), 'no_customer');
        if (balance < totalCents) throw short(totalCents);
      },
    },
    {
      name: 'reserve stock',
      span: 'reserve',
      async run(ctx) {
        const { sale, requestId } = ctx;
        const reserved = await inventory.reserve({ reference: sale.id, lines: sale.lines }, requestId);
        if (reserved.outcome === 'refused') throw new Error('the reservation was refused (its reference was voided)');
        if (reserved.outcome !== 'reserved') {
          if (reserved.outcome === 'not_found') {
            const unknown = reserved.lines.map((line) => ({ path: path(ctx, line, 'itemId'), message: 'no such item' }));
            throw new Refused(new NotFound('No such item', unknown), 'not_found');
          }
          const lines = reserved.lines.map((line) => ({ path: path(ctx, line, 'quantity'), message: `fewer than ${sale.lines[line]?.quantity} in stock` }));
          throw new Refused(new InsufficientStock(ctx.basket ? 'Not enough stock for every line' : `Fewer than ${sale.lines[0]!.quantity} in stock`, lines));
        }
        // The reservation's answer fixes the names and prices the customer pays.
        const lines = reserved.reservation.lines.map(({ itemId, itemName, unitPriceCents }) => ({ itemId, itemName, unitPriceCents }));
        const quantity = new Map(sale.lines.map((line) => [line.itemId.toLowerCase(), line.quantity]));
        const totalCents = lines.reduce((sum, line) => sum + line.unitPriceCents * quantity.get(line.itemId.toLowerCase())!, 0);
        ctx.price = { lines, totalCents };
      },
      undo: async ({ sale, requestId }) => void (await inventory.release(sale.id, requestId)),
    },
    {
      name: 'debit wallet',
      span: 'debit',
      async run({ sale, sessionId, requestId, price }) {
        const totalCents = price!.totalCents;
        // A price raised since the first step's check: still refused as too large, before any money moves.
        if (totalCents > MAX_AMOUNT_CENTS) throw tooLarge(totalCents);
        if (!sessionId) throw new Refused(new Unauthorized('This purchase has no live session to charge'), 'session_ended');
        const debited = await customers.debit({ customerId: sale.customerId, amountCents: totalCents, reference: sale.id, sessionId }, requestId);
        if (debited.outcome === 'insufficient_funds') throw short(totalCents);
        if (debited.outcome === 'no_customer') throw new Refused(new NotFound('Your customer account no longer exists'), 'no_customer');
        if (debited.outcome === 'session_ended')
          throw new Refused(new Unauthorized('Your session has ended (logged out, or your password changed); nothing was charged'), 'session_ended');
        if (debited.outcome === 'refused') throw new Error('the debit was refused (its reference was voided)');
      },
      undo: async ({ sale, requestId }) => void (await customers.refund({ customerId: sale.customerId, reference: sale.id }, requestId)),
    },
  ];
}
