import { serviceGauge, type Logger, type ServiceClient } from '@shop/kit';
import { BOOKS_PAGE, customersBooksClient, inventoryBooksClient } from './clients/books.client';
import type { CustomersClient } from './clients/customers.client';
import type { InventoryClient } from './clients/inventory.client';
import type { Config } from './config';
import { booksSalesRepo } from './data/books.repo';
import type { Db } from './data/db';
import { booksAudit } from './domain/books-audit';
import { DRIFT_KINDS } from './domain/books-report';
import { booksSchedule } from './domain/books-schedule';

/** How many discrepancies one report lists (all are counted). */
const LIST_LIMIT = 1000;

/**
 * The books audit wired to sales' database and to customers and inventory through their /internal/books/ routes
 * (with sales' own credentials: the audit is sales' code, run by its timer or by `pnpm audit:books`), and the
 * `books_drift` gauge (one series per kind) the timer's runs set.
 */
export function createBooks(deps: {
  config: Config;
  db: Db;
  logger: Logger;
  http: { customers: ServiceClient; inventory: ServiceClient };
  customers: CustomersClient;
  inventory: InventoryClient;
  sweep: () => Promise<unknown>;
}) {
  const audit = booksAudit({
    sales: booksSalesRepo(deps.db),
    customers: customersBooksClient(deps.http.customers, deps.customers),
    inventory: inventoryBooksClient(deps.http.inventory, deps.inventory),
    pageSize: BOOKS_PAGE,
    stuckAgeMs: deps.config.SWEEP_AGE_MS,
    listLimit: LIST_LIMIT,
    sweep: deps.sweep,
  });
  const drift = serviceGauge('books_drift', 'Discrepancies the last books audit found, by kind (docs/operations.md, Runbook)', ['kind']);
  const lastRun = serviceGauge('books_audit_last_run_timestamp_seconds', 'When the last books audit finished (unix seconds)');
  const pendingAge = serviceGauge('books_pending_sale_oldest_age_seconds', 'The oldest pending sale the last books audit saw (0: none)');
  // The alert on an audit that stopped finishing compares the last run's age with this (deploy/observability/rules.yml).
  const interval = serviceGauge('books_audit_interval_seconds', 'BOOKS_AUDIT_INTERVAL_MS in seconds: how often this replica audits (0: off)');
  interval.set(deps.config.BOOKS_AUDIT_INTERVAL_MS / 1000);
  for (const kind of Object.keys(DRIFT_KINDS)) drift.set({ kind }, 0);
  const schedule = booksSchedule({
    audit,
    intervalMs: deps.config.BOOKS_AUDIT_INTERVAL_MS,
    logger: deps.logger,
    publish(report) {
      for (const [kind, count] of Object.entries(report.drift)) drift.set({ kind }, count);
      lastRun.set(Date.parse(report.finishedAt) / 1000);
      pendingAge.set(report.pending.oldestSaleAgeSeconds);
    },
  });
  return { audit, schedule, metrics: [drift, lastRun, pendingAge, interval] };
}
