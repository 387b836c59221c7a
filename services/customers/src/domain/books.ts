import { Conflict, NotFound, InsufficientFunds } from '@shop/kit/errors';
import type { BooksRepo } from './model';

/**
 * What sales' books audit reads of the wallets (through /internal/books/…), and the repair it may ask for: a
 * purchase debit that a restore lost. Recording it is the purchase saga's own debit, by the sale id, so it can
 * never charge twice; it is refused after a tombstone (the sale was undone here) and when the wallet cannot
 * cover it (a person decides then).
 */
export function booksDomain(books: BooksRepo) {
  return {
    async ledgerByReferences(references: string[], customerIds: string[]) {
      const [data, existingCustomers] = await Promise.all([books.ledgerByReferences(references), books.existingCustomers(customerIds)]);
      return { data, existingCustomers };
    },
    ledgerPage: (after: string | undefined, limit: number) => books.ledgerPage(after, limit),
    walletsPage: (after: string | undefined, limit: number) => books.walletsPage(after, limit),
    async recordMissingDebit(input: { customerId: string; amountCents: number; reference: string }) {
      const outcome = await books.recordMissingDebit(input.customerId, input.amountCents, input.reference);
      if (outcome === 'no_customer') throw new NotFound('No such customer');
      if (outcome === 'insufficient_funds') throw new InsufficientFunds('The wallet cannot cover this debit');
      if (outcome === 'voided' || outcome === 'reference_mismatch')
        throw new Conflict(outcome === 'voided' ? 'This reference was undone: it can never be debited' : 'This reference was debited otherwise');
      return { created: outcome === 'debited' };
    },
  };
}
export type BooksDomain = ReturnType<typeof booksDomain>;
