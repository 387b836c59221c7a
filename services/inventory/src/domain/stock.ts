import { Conflict, InsufficientStock, NotFound } from '@shop/kit/errors';
import type { BasketLine, ReservationsRepo } from './model';

/** The stock steps of the sales saga, idempotent by reference (the sale id). */
export function stockDomain(deps: { reservations: ReservationsRepo }) {
  const { reservations } = deps;
  return {
    /** Takes every line's stock once per reference, or none; a retry answers the same; a take after its release is refused. */
    async reserve(reference: string, lines: BasketLine[]) {
      const result = await reservations.take(reference, lines);
      switch (result.outcome) {
        case 'taken':
        case 'already_taken':
          return { created: result.outcome === 'taken', reservation: result.reservation };
        case 'no_item':
          throw new NotFound(
            'No such item',
            result.lines.map((line) => ({ path: `lines.${line}.itemId`, message: 'no such item' })),
          );
        case 'insufficient_stock':
          throw new InsufficientStock(
            'Not enough stock for every line',
            result.lines.map((line) => ({ path: `lines.${line}.quantity`, message: 'more than is in stock' })),
          );
        case 'voided':
          throw new Conflict('This reference was already released (or voided); it can no longer take stock');
        case 'reference_mismatch':
          throw new Conflict('This reference was already used for different lines');
      }
    },

    /** Gives the stock back once; for a reference never reserved, leaves a tombstone that refuses a late take. */
    release: (reference: string) => reservations.release(reference),

    /** Puts a refund's units back once per reference (the refund id); a repeat answers the same and moves nothing. */
    async returnStock(reference: string, lines: BasketLine[]) {
      const outcome = await reservations.returnStock(reference, lines);
      if (outcome === 'no_item') throw new NotFound('No such item');
      if (outcome === 'reference_mismatch') throw new Conflict('This reference already returned different lines');
      return { created: outcome === 'returned', outcome };
    },
  };
}
export type StockDomain = ReturnType<typeof stockDomain>;
