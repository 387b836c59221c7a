import type { User } from '@shop/kit/auth';
import { Conflict, InsufficientFunds, NotFound } from '@shop/kit/errors';
import type { CustomersDomain } from './customers';
import type { WalletRepo } from './model';

export function walletDomain(deps: { wallet: WalletRepo; customers: CustomersDomain }) {
  const { wallet, customers } = deps;
  return {
    async deposit(actor: User, username: string, amountCents: number) {
      const customer = await customers.load(actor, username);
      const transaction = await wallet.deposit(customer.id, amountCents);
      return { balanceCents: transaction.balanceAfterCents, transaction };
    },

    async transactions(actor: User, username: string, page: { limit: number; offset: number }) {
      const customer = await customers.load(actor, username);
      return wallet.listEntries(customer.id, page);
    },

    async transaction(actor: User, username: string, id: string) {
      const customer = await customers.load(actor, username);
      const entry = await wallet.findEntry(customer.id, id);
      if (!entry) throw new NotFound('No such transaction');
      return entry;
    },

    /** Idempotent by reference: a retried debit charges once; a debit after its refund is refused. */
    async debit(customerId: string, amountCents: number, reference: string) {
      const result = await wallet.debit(customerId, amountCents, reference);
      switch (result.outcome) {
        case 'debited':
        case 'already_debited':
          return { created: result.outcome === 'debited', transaction: result.entry, balanceCents: result.entry.balanceAfterCents };
        case 'insufficient_funds':
          throw new InsufficientFunds('The wallet balance is lower than the amount');
        case 'no_customer':
          throw new NotFound('No such customer');
        case 'voided':
          throw new Conflict('This reference was refunded before it was debited; it can no longer be charged');
        case 'reference_mismatch':
          throw new Conflict('This reference was already used for a different debit');
      }
    },

    /** Idempotent by reference (a refund id): credits once; the same reference for another amount or customer is refused. */
    async credit(customerId: string, amountCents: number, reference: string) {
      const result = await wallet.credit(customerId, amountCents, reference);
      switch (result.outcome) {
        case 'credited':
        case 'already_credited':
          return { created: result.outcome === 'credited', transaction: result.entry, balanceCents: result.entry.balanceAfterCents };
        case 'no_customer':
          throw new NotFound('No such customer');
        case 'reference_mismatch':
          throw new Conflict('This reference was already credited with a different amount or customer');
      }
    },

    /** Idempotent by reference: refunds a debit once; for a debit that never happened, voids the reference. */
    async refund(customerId: string, reference: string) {
      const result = await wallet.refund(customerId, reference);
      return result.outcome === 'voided' ? { outcome: result.outcome } : { outcome: result.outcome, transaction: result.entry };
    },
  };
}
export type WalletDomain = ReturnType<typeof walletDomain>;
