import client, { type Metric, type Registry } from 'prom-client';

/**
 * The kit's own operational metrics (docs/operations.md, "Metrics an operator alerts on"), one set per process,
 * registered by createMetrics beside the HTTP histogram. They live here, apart from metrics.ts (which loads
 * express), so the light kit modules (database-faults, the JWKS store) can count without loading it. Every
 * label value is from a fixed set: never an id, a URL or a username.
 */

/** The source of a gauge read at scrape time: answers its value, or undefined when it cannot now (the database is down). */
export type ScrapeSource = () => Promise<number | undefined>;

/**
 * A gauge whose value is read when /metrics is scraped, from the sources registered with `add` (summed, per
 * label set). A source that fails leaves its label set out of that scrape rather than failing the scrape.
 */
export function scrapeGauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []) {
  const sources: Array<{ labels: Partial<Record<L, string>>; read: ScrapeSource }> = [];
  const gauge = new client.Gauge<L>({
    name,
    help,
    labelNames,
    registers: [],
    async collect() {
      this.reset();
      const values = await Promise.all(sources.map(async (source) => ({ ...source, value: await source.read().catch(() => undefined) })));
      for (const { labels, value } of values) if (value !== undefined) this.inc(labels, value);
    },
  });
  return { gauge, add: (labels: Partial<Record<L, string>>, read: ScrapeSource) => void sources.push({ labels, read }) };
}

export const databaseFaults = new client.Counter({
  name: 'database_faults_total',
  help: 'Database faults answered 503, by cause (unreachable, pool_exhausted, statement_timeout, lock_timeout, ...)',
  labelNames: ['cause'] as const,
  registers: [],
});

export const databasePoolWaiting = scrapeGauge('database_pool_waiting', 'Requests waiting for a connection from the pool now');

export const jwksRefreshes = new client.Counter({
  name: 'jwks_refreshes_total',
  help: "Fetches of customers' token signing keys, by outcome (ok, failed)",
  labelNames: ['outcome'] as const,
  registers: [],
});

export const rateLimitRefusals = new client.Counter({
  name: 'rate_limit_refusals_total',
  help: 'Requests refused with 429 by a rate limit, by route template',
  labelNames: ['method', 'route'] as const,
  registers: [],
});

export const webhookDeliveries = new client.Counter({
  name: 'webhook_deliveries_total',
  help: 'Webhook delivery attempts, by outcome (delivered, failed: retried later, gone: the receiver answered 410)',
  labelNames: ['outcome'] as const,
  registers: [],
});

export const outboxBacklog = scrapeGauge(
  'outbox_backlog',
  'Outbox events not yet fanned out to subscriptions (fan_out), and deliveries still pending (delivery)',
  ['stage'] as const,
);

export const outboxOldestAge = scrapeGauge(
  'outbox_oldest_age_seconds',
  'Age of the oldest outbox event not yet fanned out (fan_out) and of the oldest pending delivery (delivery); 0 when none',
  ['stage'] as const,
);

// Every outcome on /metrics from the start, at 0, so a ratio or rate() sees the first event.
for (const outcome of ['ok', 'failed']) jwksRefreshes.inc({ outcome }, 0);
for (const outcome of ['delivered', 'failed', 'gone']) webhookDeliveries.inc({ outcome }, 0);

const KIT_METRICS: Metric[] = [
  databaseFaults,
  databasePoolWaiting.gauge,
  jwksRefreshes,
  rateLimitRefusals,
  webhookDeliveries,
  outboxBacklog.gauge,
  outboxOldestAge.gauge,
];

/** Registers the kit's metrics (and `more`) in a service's registry. */
export function registerMetrics(registry: Registry, more: Metric[] = []): void {
  for (const metric of [...KIT_METRICS, ...more]) registry.registerMetric(metric);
}

/** A counter of a service's own, registered with registerMetrics. */
export const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
  new client.Counter<L>({ name, help, labelNames, registers: [] });

/** A histogram of a service's own (seconds), registered with registerMetrics. */
export const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]) =>
  new client.Histogram<L>({ name, help, labelNames, buckets, registers: [] });

/**
 * One statement shared by the gauges a scrape reads together (a count and an age): the answer is reused for a
 * second; a failure reads as undefined (the gauges leave it out of that scrape).
 */
export function sharedRead<T>(read: () => Promise<T>): () => Promise<T | undefined> {
  let last: { at: number; answer: Promise<T | undefined> } | undefined;
  return () => {
    if (!last || Date.now() - last.at > 1000) last = { at: Date.now(), answer: read().catch(() => undefined) };
    return last.answer;
  };
}
