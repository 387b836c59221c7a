import crypto from 'node:crypto';
import os from 'node:os';
import { databaseFault, reportDatabaseFault } from '@shop/kit/database-faults';
import type { Logger } from '@shop/kit/logging';
import { inSpan } from '@shop/kit/spans';
import { reportUpstreamFault } from '@shop/kit/upstream-faults';
import type { CustomersClient } from '../clients/customers.client';
import type { InventoryClient } from '../clients/inventory.client';
import type { AbandonedSalesRepo, RefundsRepo } from './model';
import { purchaseSteps } from './purchases';
import { refundSteps } from './refunds';
import { quietObserver, runForward, undo, type SagaObserver } from './saga';

/**
 * The recovery sweep: a sale still PENDING long after any live purchase would have ended belongs to a process
 * that died (or to a purchase whose undo could not reach a service). Each is claimed with FOR UPDATE SKIP
 * LOCKED, so two replicas never take the same one, and undone with the purchase's own steps (stock released,
 * wallet refunded, both idempotent and tombstoning), so whichever steps did or did not happen (or arrive late), nothing stays taken.
 * It is then FAILED and its in-flight idempotency key released, so the client's retry runs afresh.
 *
 * Pending refunds (a step's outcome was unknown, or their process died) are driven forward the same way, with
 * the refund's own steps, and completed exactly once; a refund is never undone.
 *
 * We never complete such a sale: its client never got a 201 (the connection died or it got a 503), and its
 * key was released or will be, so completing it could charge twice for one intended purchase. Nor does the sweep
 * ever debit: it has no live session to charge for (the buyer may have logged out since), and its undo refunds a
 * debit that did happen, so a pending sale whose session has ended is undone, never charged.
 */
export function recoveryDomain(deps: {
  abandoned: AbandonedSalesRepo;
  refunds: RefundsRepo;
  inventory: InventoryClient;
  customers: CustomersClient;
  logger: Logger;
  ageMs: number;
  intervalMs: number;
  /** How long one sale may stay locked while its undo calls run. */
  lockTimeoutMs: number;
  /** The sweep's own statement and lock timeouts, longer than a request's. */
  statementTimeoutMs: number;
  observer?: SagaObserver;
}) {
  const { abandoned, refunds, logger } = deps;
  const observer = deps.observer ?? quietObserver;
  const steps = purchaseSteps(deps);
  const forward = refundSteps(deps);
  const instance = `${os.hostname()}:${process.pid}`.slice(0, 64);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;

  /** One pass over pending refunds: each is driven forward with the refund's own steps, and completed once. */
  async function completeRefunds(): Promise<string[]> {
    const completed: string[] = [];
    const pending: string[] = [];
    while (!stopped) {
      const requestId = `sweep-${crypto.randomUUID()}`;
      const result = await refunds
        .settlePending({ ageMs: deps.ageMs, exclude: pending, lockTimeoutMs: deps.lockTimeoutMs, statementTimeoutMs: deps.statementTimeoutMs }, (refund) =>
          inSpan('complete refund', {}, async (setOutcome) => {
            const outcome = await runForward(forward, { refund, requestId });
            setOutcome(outcome.outcome);
            if (outcome.outcome === 'pending')
              logger.error({ refundId: refund.id, requestId, step: outcome.step, err: outcome.cause }, 'pending refund could not be completed yet; will retry');
            return outcome.outcome === 'done';
          }),
        )
        .catch((err) => {
          const fault = databaseFault(err);
          if (fault) reportDatabaseFault(logger, fault, err);
          else logger.error({ err, requestId }, 'a pending refund failed to complete');
        });
      if (!result) break;
      if (result.completed) {
        completed.push(result.id);
        observer.refund('completed');
        logger.warn({ refundId: result.id, requestId }, 'pending refund completed by the recovery sweep');
      } else pending.push(result.id);
    }
    return completed;
  }

  /** One pass (a trace of its own): settles every abandoned sale it can; those whose services are unreachable wait for the next pass. */
  const sweep = (): Promise<{ settled: string[]; stuck: string[]; refunded: string[] }> =>
    inSpan('recovery sweep', { root: true }, async (setOutcome, span) => {
      const result = await sweepOnce();
      span.setAttributes({ 'sweep.settled': result.settled.length, 'sweep.stuck': result.stuck.length, 'sweep.refunded': result.refunded.length });
      if (result.stuck.length > 0) setOutcome('stuck');
      return result;
    });

  async function sweepOnce(): Promise<{ settled: string[]; stuck: string[]; refunded: string[] }> {
    const settled: string[] = [];
    const stuck: string[] = [];
    while (!stopped) {
      const requestId = `sweep-${crypto.randomUUID()}`;
      const result = await abandoned.settleAbandoned(
        { ageMs: deps.ageMs, exclude: stuck, instance, lockTimeoutMs: deps.lockTimeoutMs, statementTimeoutMs: deps.statementTimeoutMs },
        // Every step of the purchase is undone, whichever did or did not happen (or may still arrive late).
        (sale) => inSpan('settle sale', { outcomeOf: () => 'unknown' }, () => undo(steps, { sale: { ...sale, lines: [] }, requestId, basket: false })),
      );
      if (!result) break;
      if (result.settled) {
        settled.push(result.id);
        observer.sale('failed', 'abandoned');
        logger.debug({ saleId: result.id, requestId }, 'abandoned purchase undone by the recovery sweep');
      } else {
        stuck.push(result.id);
        // A neighbour still down: one line per cause and window (each sale waits for the next pass).
        if (!reportUpstreamFault(logger, result.error))
          logger.error({ saleId: result.id, requestId, err: result.error }, 'abandoned purchase could not be undone yet; will retry');
      }
    }
    // One line per pass, not one per sale: after an outage a pass may settle hundreds.
    if (settled.length > 0) logger.warn({ settled: settled.length, stuck: stuck.length }, 'abandoned purchases undone by the recovery sweep');
    const refunded = await completeRefunds();
    return { settled, stuck, refunded };
  }

  const tick = () => {
    running = sweep()
      .catch((err) => {
        // While the database is down every pass fails the same way: one line per cause, not one per pass.
        const fault = databaseFault(err);
        if (fault) reportDatabaseFault(logger, fault, err);
        else logger.error({ err }, 'recovery sweep failed');
      })
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(tick, deps.intervalMs);
      });
  };

  return {
    sweep,
    /** Sweeps now (what a crash left behind) and then every interval. */
    start() {
      stopped = false;
      tick();
    },
    /** Stops the timer and waits for a sweep in progress. */
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
