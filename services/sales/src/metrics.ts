import { counter, histogram, scrapeGauge, sharedRead, type Metric } from '@shop/kit';
import type { Db } from './data/db';
import { pendingRepo } from './data/pending.repo';
import type { SagaObserver } from './domain/saga';

/**
 * Sales' own metrics (docs/operations.md, "Metrics an operator alerts on"): how purchases and refunds end, how
 * long each saga step takes, and what is still pending (read at scrape time). The observer is what the domain
 * reports to; label values are step names, contract error codes and fixed outcomes, never ids.
 */
export function salesMetrics(db: Db, sweepAgeMs: number): { observer: SagaObserver; metrics: Metric[] } {
  const completed = counter('sales_completed_total', 'Purchases completed');
  const failed = counter('sales_failed_total', 'Purchases that ended FAILED, by reason (a contract error code, unavailable, abandoned)', ['reason']);
  const refunded = counter('sales_refunded_total', 'Refunds, by outcome (completed; pending: left for the recovery sweep)', ['outcome']);
  const steps = histogram(
    'saga_step_duration_seconds',
    'Saga steps and undos, by saga, step and outcome (done, refused, failed)',
    ['saga', 'step', 'outcome'],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  const pending = scrapeGauge('sales_pending', 'Sales and refunds still PENDING (kind: sale, refund), counted up to 10 000', ['kind']);
  const oldest = scrapeGauge('sales_pending_oldest_age_seconds', 'Age of the oldest PENDING sale or refund (kind); 0 when none', ['kind']);
  for (const outcome of ['completed', 'pending']) refunded.inc({ outcome }, 0);
  // The alert on pending sales compares their age with this (deploy/observability/rules.yml).
  const sweepAge = scrapeGauge('sales_sweep_age_seconds', 'SWEEP_AGE_MS in seconds: the recovery sweep undoes sales PENDING for longer');
  sweepAge.add({}, () => Promise.resolve(sweepAgeMs / 1000));
  const repo = pendingRepo(db);
  for (const kind of ['sale', 'refund'] as const) {
    const read = sharedRead(kind === 'sale' ? repo.sales : repo.refunds);
    pending.add({ kind }, async () => (await read())?.count);
    oldest.add({ kind }, async () => (await read())?.oldestAgeSeconds);
  }
  const observer: SagaObserver = {
    step: (saga, step, outcome, seconds) => steps.observe({ saga, step, outcome }, seconds),
    sale: (outcome, reason) => (outcome === 'completed' ? completed.inc() : failed.inc({ reason: reason ?? 'unknown' })),
    refund: (outcome) => refunded.inc({ outcome }),
  };
  return { observer, metrics: [completed, failed, refunded, steps, pending.gauge, oldest.gauge, sweepAge.gauge] };
}
