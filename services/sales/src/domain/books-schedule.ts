import type { Logger } from '@shop/kit/logging';
import type { BooksAudit } from './books-audit';
import type { AuditReport } from './books-report';

/**
 * The books audit on a timer (BOOKS_AUDIT_INTERVAL_MS; 0: off), read-only: each finished run hands its report to
 * `publish` (the books_drift gauge). A run that fails (a service unreachable) publishes nothing: the gauge keeps the
 * last known state, and the log says why. Every replica runs its own (the audit only reads): alert on max().
 */
export function booksSchedule(deps: { audit: BooksAudit; intervalMs: number; logger: Logger; publish: (report: AuditReport) => void }) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const runOnce = () => {
    running = deps.audit
      .run({ repair: false })
      .then((report) => {
        deps.publish(report);
        const drift = Object.values(report.drift).reduce((sum, count) => sum + count, 0);
        if (drift) deps.logger.error({ drift: report.drift, discrepancies: report.discrepancies.slice(0, 20) }, 'books audit found drift');
        else deps.logger.info({ counted: report.counted, pending: report.pending }, 'books audit: the books balance');
      })
      .catch((err: unknown) => deps.logger.error({ err }, 'books audit could not run'))
      .finally(() => {
        running = undefined;
      });
  };
  return {
    start() {
      if (deps.intervalMs <= 0 || timer) return;
      timer = setInterval(() => {
        if (!running) runOnce();
      }, deps.intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
