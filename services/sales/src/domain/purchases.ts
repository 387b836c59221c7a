import crypto from 'node:crypto';
import {
  AppError,
  databaseFault,
  IdempotencyKeyInUse,
  IdempotencyKeyReused,
  InsufficientFunds,
  InsufficientStock,
  NotFound,
  problemBody,
  reportDatabaseFault,
  ServiceUnavailable,
  UpstreamUnavailable,
  type Logger,
  type User,
} from '@shop/kit';
import type { CustomersClient } from '../clients/customers.client';
import type { InventoryClient } from '../clients/inventory.client';
import type { Price, Sale, SalesRepo, StoredAnswer } from '../data/sales.repo';

export interface PurchaseInput {
  itemId: string;
  quantity: number;
}

export type PurchaseOutcome =
  | { replayed: false; sale: Sale }
  /** The first answer to this Idempotency-Key, verbatim. */
  | { replayed: true; status: number; body: unknown };

/** The fingerprint of a purchase request: same key with another fingerprint is a reused key (422). */
export function requestHash(method: string, path: string, body: PurchaseInput): string {
  const canonical = JSON.stringify([method.toUpperCase(), path, { itemId: body.itemId.toLowerCase(), quantity: body.quantity }]);
  return crypto.createHash('sha256').update(canonical).digest('hex');
}

/** Stored answers that are problems come back as the same error, so the problem handler writes them again. */
export function replayedError(status: number, body: { code: string; title: string; detail: string }): AppError {
  return new AppError(status, body.code, body.title, body.detail);
}

const answerFor = (error: AppError): StoredAnswer => ({ status: error.status, body: problemBody(error) });

/**
 * The purchase saga (README, "How the promises are kept"):
 *   [claim key] → sale PENDING → inventory: take stock (ref = sale id) → customers: debit (ref = sale id) → COMPLETED
 * Definite refusals end the sale FAILED and are answered (and kept under the key): 404, 409 insufficient_stock,
 * 402 (after the stock is given back). Unknown outcomes (timeouts, network errors, 5xx, after the client's
 * bounded retries with the same reference) undo every step that may have happened (release + refund, both
 * idempotent and tombstoning, so a late step is refused) and answer 503, releasing the key. If an undo cannot
 * reach its service either, the sale stays PENDING for the recovery sweep.
 */
export function purchasesDomain(deps: {
  sales: SalesRepo;
  inventory: InventoryClient;
  customers: CustomersClient;
  logger: Logger;
  idempotencyTtlHours: number;
}) {
  const { sales, inventory, customers, logger } = deps;

  /** Ends the sale FAILED with a final answer (kept under the key) and throws that answer. */
  async function refuse(sale: { id: string; keyed: boolean }, reason: string, error: AppError, price?: Price): Promise<never> {
    await sales.fail(sale.id, reason, sale.keyed, answerFor(error), price);
    throw error;
  }

  /**
   * Undoes what may have happened, then answers 503. Every undo is idempotent, so undoing a step that never
   * happened is harmless (and leaves a tombstone that refuses the step if it arrives late).
   */
  async function abandon(sale: { id: string; customerId: string; keyed: boolean }, steps: { debit: boolean }, requestId: string, cause: string): Promise<never> {
    const log = logger.child({ saleId: sale.id, requestId });
    try {
      await inventory.release(sale.id, requestId);
      if (steps.debit) await customers.refund({ customerId: sale.customerId, reference: sale.id }, requestId);
      await sales.fail(sale.id, 'unavailable', sale.keyed);
      log.warn({ cause }, 'purchase undone: a step had an unknown outcome');
    } catch (error) {
      if (!(error instanceof UpstreamUnavailable)) throw error;
      await sales.releaseKey(sale.id);
      log.error({ cause, err: error }, 'purchase could not be undone now; left pending for the recovery sweep');
    }
    throw new ServiceUnavailable('A service this purchase needs is unavailable or too slow; nothing was charged. Try again later');
  }

  return {
    async buy(actor: User, input: PurchaseInput, options: { requestId: string; idempotency?: { key: string; requestHash: string } }): Promise<PurchaseOutcome> {
      const { requestId } = options;
      const claim = options.idempotency && { customerId: actor.id, ...options.idempotency, ttlHours: deps.idempotencyTtlHours };
      const sale = {
        id: crypto.randomUUID(),
        customerId: actor.id,
        username: actor.username,
        itemId: input.itemId,
        quantity: input.quantity,
        /** Whether an idempotency key row goes with the sale (it is claimed, then answered or released). */
        keyed: claim !== undefined,
      };
      const begun = await sales.begin(sale, claim);
      if (!begun.started) {
        const { existing } = begun;
        if (existing.requestHash !== options.idempotency!.requestHash) {
          throw new IdempotencyKeyReused('This Idempotency-Key was used for a different request');
        }
        if (existing.state === 'in_flight') throw new IdempotencyKeyInUse('A request with this Idempotency-Key is still being processed');
        return { replayed: true, status: existing.responseStatus!, body: JSON.parse(existing.responseBody!) };
      }

      try {
        // 1. Take the stock. Its answer fixes the price and name the customer pays for.
        let reserved;
        try {
          reserved = await inventory.reserve({ reference: sale.id, itemId: sale.itemId, quantity: sale.quantity }, requestId);
        } catch (error) {
          if (error instanceof UpstreamUnavailable) return await abandon(sale, { debit: false }, requestId, error.message);
          throw error;
        }
        if (reserved.outcome === 'not_found') return await refuse(sale, 'not_found', new NotFound('No such item'));
        if (reserved.outcome === 'insufficient_stock') {
          return await refuse(sale, 'insufficient_stock', new InsufficientStock(`Fewer than ${sale.quantity} in stock`));
        }
        if (reserved.outcome === 'refused') return await abandon(sale, { debit: false }, requestId, 'reservation refused');
        const { itemName, unitPriceCents } = reserved.reservation;
        const totalCents = unitPriceCents * sale.quantity;
        // Recorded on the sale when it ends (completed, or refused with the price it would have cost).
        const price = { itemName, unitPriceCents, totalCents };

        // 2. Debit the wallet.
        let debited;
        try {
          debited = await customers.debit({ customerId: sale.customerId, amountCents: totalCents, reference: sale.id }, requestId);
        } catch (error) {
          if (error instanceof UpstreamUnavailable) return await abandon(sale, { debit: true }, requestId, error.message);
          throw error;
        }
        if (debited.outcome === 'insufficient_funds' || debited.outcome === 'no_customer') {
          // Give the stock back before answering; if that cannot be done now, the sweep finishes it (503).
          try {
            await inventory.release(sale.id, requestId);
          } catch (error) {
            if (error instanceof UpstreamUnavailable) return await abandon(sale, { debit: false }, requestId, error.message);
            throw error;
          }
          const refusal =
            debited.outcome === 'insufficient_funds'
              ? new InsufficientFunds(`The wallet holds less than the ${totalCents} cents this costs`)
              : new NotFound('Your customer account no longer exists');
          return await refuse(sale, debited.outcome, refusal, price);
        }
        if (debited.outcome === 'refused') return await abandon(sale, { debit: true }, requestId, 'debit refused');

        // 3. Done. If the sweep took the sale meanwhile, it has undone both steps: the purchase did not happen.
        let completed;
        try {
          completed = await sales.complete(sale.id, price, sale.keyed, (done) => ({ status: 201, body: done }));
        } catch (error) {
          // Our own database failed. A statement that never ran or was cancelled (timeout) left the sale
          // PENDING: undo both steps now rather than when the sweep comes. A commit whose answer was lost may
          // have completed the sale: undoing it would be wrong, so it is left to the sweep, which undoes it only
          // if it is still PENDING (the 503 below then says the outcome is unknown).
          const fault = databaseFault(error);
          if (fault?.outcome === 'not_run') return await abandon(sale, { debit: true }, requestId, 'completion not recorded');
          if (!fault) throw error;
          throw new ServiceUnavailable(
            'The purchase may or may not have completed (the database stopped answering as it was recorded). Retry with the same Idempotency-Key, or see GET /sales',
            fault.retryAfterSeconds,
          );
        }
        if (!completed) throw new ServiceUnavailable('The purchase took too long and was undone; nothing was charged. Try again');
        return { replayed: false, sale: completed };
      } catch (error) {
        // Anything unplanned (a database error, a bug): release the key so a retry is possible; the sale, if
        // still pending, is undone by the recovery sweep.
        if (!(error instanceof AppError) || error.status >= 500) {
          await sales.releaseKey(sale.id).catch((err) => {
            // With the database down every purchase fails here: one line per cause, not one per purchase.
            const fault = databaseFault(err);
            if (fault) reportDatabaseFault(logger, fault, err);
            else logger.error({ err, saleId: sale.id }, 'could not release an idempotency key');
          });
        }
        throw error;
      }
    },
  };
}
export type PurchasesDomain = ReturnType<typeof purchasesDomain>;
