import type { PageQuery } from '@shop/kit/pagination';
import type { User } from '@shop/kit/auth';
import { Conflict, DepositLimit, InsufficientFunds, NotFound, Unauthorized } from '@shop/kit/errors';
import type { CustomersDomain } from './customers';
import type { WalletRepo } from './model';

/**
 * The wallet. Money enters it in two ways only: a deposit, which stands for money that arrived from a payment
 * provider (none is wired in: the seam is `deposit`, where a provider's confirmed payment would be credited,
 * keyed by its payment id), bounded per customer by `depositLimitCents` over a rolling 24 h; and an admin's
 * adjustment, unbounded but recorded with its reason. Purchases take money out only for a live session.
 */
export function walletDomain(deps: { wallet: WalletRepo; customers: CustomersDomain; depositLimitCents: number }) {
  const { wallet, customers, depositLimitCents } = deps;
  return {
    async deposit(actor: User, username: string, amountCents: number) {
      const customer = await customers.load(actor, username);
      const result = await wallet.deposit(customer.id, amountCents, depositLimitCents);
      if (result.outcome !== 'deposited') {
        if (result.outcome === 'no_customer') throw new NotFound('No such customer');
        throw new DepositLimit(`Deposits into one wallet are limited to ${depositLimitCents} cents in any 24 hours; this one would go past it`);
      }
      return { balanceCents: result.entry.balanceAfterCents, transaction: result.entry };
    },

    /** Admins only (the route's access): a correction either way, without the deposit limit, never below zero. */
    async adjust(actor: User, username: string, amountCents: number, reason: string) {
      const customer = await customers.load(actor, username);
      const result = await wallet.adjust(customer.id, amountCents, reason);
      if (result.outcome !== 'adjusted') {
        if (result.outcome === 'no_customer') throw new NotFound('No such customer');
        throw new InsufficientFunds(`The wallet holds less than the ${-amountCents} cents this takes out`);
      }
      return { balanceCents: result.entry.balanceAfterCents, transaction: result.entry };
    },

    /** For sales' pre-check before a purchase reserves stock; not authoritative (the debit decides). */
    async balance(customerId: string) {
      const balanceCents = await wallet.balance(customerId);
      if (balanceCents === undefined) throw new NotFound('No such customer');
      return { balanceCents };
    },

    async transactions(actor: User, username: string, page: PageQuery) {
      const customer = await customers.load(actor, username);
      return wallet.listEntries(customer.id, page);
    },

    async transaction(actor: User, username: string, id: string) {
      const customer = await customers.load(actor, username);
      const entry = await wallet.findEntry(customer.id, id);
      if (!entry) throw new NotFound('No such transaction');
      return entry;
    },

    /**
     * Idempotent by reference: a retried debit charges once; a debit after its refund is refused. Made only for a
     * live session of the buyer: an ended one (logout, session end, password change) never moves money, even
     * while its access token is still unexpired elsewhere.
     */
    async debit(customerId: string, amountCents: number, reference: string, sessionId: string) {
      const result = await wallet.debit(customerId, amountCents, reference, sessionId);
      switch (result.outcome) {
        case 'debited':
        case 'already_debited':
          return { created: result.outcome === 'debited', transaction: result.entry, balanceCents: result.entry.balanceAfterCents };
        case 'insufficient_funds':
          throw new InsufficientFunds('The wallet balance is lower than the amount');
        case 'no_customer':
          throw new NotFound('No such customer');
        case 'session_ended':
          throw new Unauthorized('The session of this purchase has ended; nothing was charged', [{ path: 'sessionId', message: 'session ended' }]);
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
