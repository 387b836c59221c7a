import crypto from 'node:crypto';
import type { User } from '@shop/kit/auth';
import { databaseFault, reportDatabaseFault } from '@shop/kit/database-faults';
import { AppError, IdempotencyKeyInUse, IdempotencyKeyReused, RateLimited, ServiceUnavailable } from '@shop/kit/errors';
import { problemBody } from '@shop/kit/problem';
import { inSpan } from '@shop/kit/spans';
import { reportUpstreamFault } from '@shop/kit/upstream-faults';
import { uuidV7 } from '@shop/kit/uuid';
import type { PurchaseAttemptsRepo, Sale, SalesRepo, StoredAnswer } from './model';
import { purchaseSteps, type PurchaseContext, type PurchaseLine } from './purchase-steps';
import { observedSteps, quietObserver, runBackward, undo, type SagaDeps } from './saga';

export { purchaseSteps, type PurchaseContext, type PurchaseLine } from './purchase-steps';

/** A purchase as the client sent it: the v1 form (one item) or a basket (`lines`). */
export type PurchaseInput = { itemId: string; quantity: number } | { lines: PurchaseLine[] };

export type PurchaseOutcome =
  | { replayed: false; sale: Sale }
  /** The first answer to this Idempotency-Key, verbatim. */
  | { replayed: true; status: number; body: unknown };

const linesOf = (input: PurchaseInput): PurchaseLine[] => ('lines' in input ? input.lines : [{ itemId: input.itemId, quantity: input.quantity }]);

/** The fingerprint of a request: the same key with another fingerprint is a reused key (422). */
export function requestHash(method: string, path: string, body: unknown): string {
  return crypto
    .createHash('sha256')
    .update(JSON.stringify([method.toUpperCase(), path, body]))
    .digest('hex');
}

/** The canonical body of a purchase (`{itemId}` and `{itemId, quantity: 1}` are the same request). */
export const purchaseFingerprint = (input: PurchaseInput) =>
  'lines' in input
    ? { lines: input.lines.map((line) => ({ itemId: line.itemId.toLowerCase(), quantity: line.quantity })) }
    : { itemId: input.itemId.toLowerCase(), quantity: input.quantity };

/** Stored answers that are problems come back as the same error, so the problem handler writes them again. */
export function replayedError(status: number, body: { code: string; title: string; detail: string; errors?: AppError['errors'] }): AppError {
  return new AppError(status, body.code, body.title, body.detail, body.errors);
}

const answerFor = (error: AppError): StoredAnswer => ({ status: error.status, body: problemBody(error) });

/**
 * The purchase: [limit] → [claim key] → sale PENDING → the steps (check total and balance, reserve every line,
 * debit the total) → COMPLETED. More than `purchasesPerMinute` attempts by one customer in a minute are refused
 * (429) before anything is written.
 * A definite refusal ends the sale FAILED after undoing the steps before it, and is answered (and kept under
 * the key): 404 / 409 naming the lines, 402. An unknown outcome (timeouts, network errors, 5xx, after the
 * client's bounded retries with the same reference) undoes every step that may have happened and answers 503,
 * releasing the key. If an undo cannot reach its service either, the sale stays PENDING for the recovery sweep.
 */
export function purchasesDomain(deps: SagaDeps & { sales: SalesRepo; attempts: PurchaseAttemptsRepo; purchasesPerMinute: number }) {
  const { sales, attempts, logger } = deps;
  const observer = deps.observer ?? quietObserver;
  const steps = observedSteps('purchase', purchaseSteps(deps), observer);
  const unavailable = () => new ServiceUnavailable('A service this purchase needs is unavailable or too slow; nothing was charged. Try again later');

  return {
    async buy(actor: User, input: PurchaseInput, options: { requestId: string; idempotency?: { key: string; requestHash: string } }): Promise<PurchaseOutcome> {
      const { requestId } = options;
      const taken = await attempts.take(actor.id, deps.purchasesPerMinute);
      if (!taken.allowed) {
        const error = new RateLimited(`More than ${deps.purchasesPerMinute} purchase attempts in a minute; try again later`);
        error.headers = { 'Retry-After': String(taken.retryAfterSeconds) };
        throw error;
      }
      const claim = options.idempotency && { customerId: actor.id, ...options.idempotency, ttlHours: deps.idempotencyTtlHours };
      // Time-ordered: the sale id keys sales, its lines and its idempotency key here, its debit's reference in
      // customers and its reservation in inventory; a v7 id lands beside the last one in each of those indexes
      // (issue 23: a v4 id read ~6 more index pages from disk per purchase at a million sales).
      const sale = { id: uuidV7(), customerId: actor.id, username: actor.username, lines: linesOf(input) };
      /** Whether an idempotency key row goes with the sale (it is claimed, then answered or released). */
      const keyed = claim !== undefined;
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
        const ctx: PurchaseContext = { sale, sessionId: actor.sessionId, requestId, basket: 'lines' in input };
        const result = await runBackward(steps, ctx);
        const log = logger.child({ saleId: sale.id, requestId });
        switch (result.outcome) {
          case 'refused':
            // A sale refused after its reservation keeps the prices it would have cost.
            await sales.fail(sale.id, result.reason, keyed, answerFor(result.answer), ctx.price);
            observer.sale('failed', result.reason);
            throw result.answer;
          case 'undone':
            await sales.fail(sale.id, 'unavailable', keyed);
            observer.sale('failed', 'unavailable');
            // A neighbour that is down fails every purchase alike: one line per cause and window, not one per purchase.
            if (!reportUpstreamFault(logger, result.cause))
              log.warn({ step: result.step, cause: String(result.cause) }, 'purchase undone: a step had an unknown outcome');
            throw unavailable();
          case 'stuck':
            await sales.releaseKey(sale.id);
            if (!reportUpstreamFault(logger, result.cause))
              log.error({ step: result.step, err: result.cause }, 'purchase could not be undone now; left pending for the recovery sweep');
            throw unavailable();
          case 'done': {
            // If the sweep took the sale meanwhile, it has undone both steps: the purchase did not happen.
            let completed;
            try {
              // The saga's last step: the sale COMPLETED (`swept` when the recovery sweep took it first).
              completed = await inSpan('complete', { outcomeOf: () => 'unknown' }, async (setOutcome) => {
                const done = await sales.complete(sale.id, ctx.price!, keyed, (answer) => ({ status: 201, body: answer }));
                if (!done) setOutcome('swept');
                return done;
              });
            } catch (error) {
              // Our own database failed. A statement that never ran or was cancelled (timeout) left the sale
              // PENDING: undo every step now rather than when the sweep comes. A commit whose answer was lost may
              // have completed the sale: undoing it would be wrong, so it is left to the sweep, which undoes it only
              // if it is still PENDING (the 503 below then says the outcome is unknown).
              const fault = databaseFault(error);
              if (fault?.outcome === 'not_run') {
                try {
                  await undo(steps, ctx);
                } catch (undoError) {
                  await sales.releaseKey(sale.id);
                  log.error({ err: undoError }, 'purchase could not be undone now; left pending for the recovery sweep');
                  throw unavailable();
                }
                await sales.fail(sale.id, 'unavailable', keyed);
                observer.sale('failed', 'unavailable');
                log.warn('purchase undone: its completion could not be recorded');
                throw unavailable();
              }
              if (!fault) throw error;
              throw new ServiceUnavailable(
                'The purchase may or may not have completed (the database stopped answering as it was recorded). Retry with the same Idempotency-Key, or see GET /sales',
                fault.retryAfterSeconds,
              );
            }
            // (a sale the sweep took is counted by the sweep, as abandoned)
            if (!completed) throw new ServiceUnavailable('The purchase took too long and was undone; nothing was charged. Try again');
            observer.sale('completed');
            return { replayed: false, sale: completed };
          }
        }
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
