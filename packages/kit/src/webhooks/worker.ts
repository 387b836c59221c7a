import { Agent } from 'undici';
import { webhookDeliveries } from '../kit-metrics';
import type { Logger } from '../logging';
import { asOutsideCall, detached, inSpan, linksTo } from '../spans';
import type { WebhookConfig } from './config';
import { sign } from './signing';
import type { Claimed, DeliveryQueue } from './queue';
import { refusedLiteral, safeLookup } from './targets';

/** How much of a receiver's answer is read (then dropped): enough to reuse the connection, never more. */
const MAX_RESPONSE_BYTES = 16 * 1024;
/** Events fanned out per statement. */
const FAN_OUT_BATCH = 200;

type Outcome = { delivered: true; statusCode: number } | { delivered: false; statusCode: number | null; error: string };

/**
 * The delivery worker, one per process, beside (never inside) the request path: a request only writes its
 * event row; this loop fans events out to subscriptions and posts the due deliveries, at most
 * WEBHOOK_CONCURRENCY at a time, each within WEBHOOK_TIMEOUT_MS, so a slow receiver holds one of those slots
 * and nothing else. It runs when woken (an event was just recorded) and every WEBHOOK_POLL_INTERVAL_MS.
 */
export function deliveryWorker(options: { queue: DeliveryQueue; config: WebhookConfig; logger: Logger; service: string }) {
  const { queue, config, logger } = options;
  const delays = config.WEBHOOK_RETRY_DELAYS_MS;
  // A claimed delivery is leased for longer than an attempt can take, so no other replica takes it meanwhile.
  const leaseMs = 2 * config.WEBHOOK_TIMEOUT_MS + 5_000;
  const agent = new Agent({
    connect: { lookup: safeLookup(config.WEBHOOK_ALLOW_PRIVATE_TARGETS), timeout: config.WEBHOOK_TIMEOUT_MS } as never,
    keepAliveTimeout: 4_000,
    headersTimeout: config.WEBHOOK_TIMEOUT_MS,
    bodyTimeout: config.WEBHOOK_TIMEOUT_MS,
  });
  const inFlight = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  async function attempt(delivery: Claimed): Promise<Outcome> {
    const url = new URL(delivery.url);
    if (refusedLiteral(url, config.WEBHOOK_ALLOW_PRIVATE_TARGETS)) {
      return {
        delivered: false,
        statusCode: null,
        error: 'the address is not global unicast (loopback, private, link-local, metadata or another special-purpose range): refused',
      };
    }
    const timestamp = Math.floor(Date.now() / 1000);
    const deadline = new AbortController();
    const timeout = setTimeout(() => deadline.abort(new Error(`no answer within ${config.WEBHOOK_TIMEOUT_MS} ms`)), config.WEBHOOK_TIMEOUT_MS);
    try {
      // Our trace ids stay inside: the receiver gets no traceparent (docs/operations.md, "Tracing").
      const response = await asOutsideCall(() =>
        agent.request({
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': `e-commerce-shop-${options.service}-webhooks`,
            'webhook-id': delivery.eventId,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': sign(delivery.secret, delivery.eventId, timestamp, delivery.body),
          },
          body: delivery.body,
          signal: deadline.signal,
        }),
      );
      // The answer's body is read up to a cap and dropped: it is never logged or stored.
      let read = 0;
      for await (const chunk of response.body) {
        read += (chunk as Buffer).length;
        if (read > MAX_RESPONSE_BYTES) break;
      }
      const statusCode = response.statusCode;
      return statusCode >= 200 && statusCode < 300
        ? { delivered: true, statusCode }
        : { delivered: false, statusCode, error: `the receiver answered ${statusCode}` };
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      return {
        delivered: false,
        statusCode: null,
        error: deadline.signal.aborted ? String((deadline.signal.reason as Error).message) : `${e.code ?? 'error'}: ${e.message}`,
      };
    } finally {
      clearTimeout(timeout);
    }
  }

  /** One attempt, a trace of its own linked to the span that wrote the event (its outcome: delivered, gone, failed). */
  const deliver = (delivery: Claimed): Promise<void> =>
    inSpan('webhook delivery', { root: true, links: linksTo(delivery.traceparent), attributes: { 'webhook.attempt': delivery.attempts } }, (setOutcome) =>
      attemptAndRecord(delivery, setOutcome),
    );

  async function attemptAndRecord(delivery: Claimed, setOutcome: (outcome: string) => void): Promise<void> {
    const outcome = await attempt(delivery);
    webhookDeliveries.inc({ outcome: outcome.delivered ? 'delivered' : outcome.statusCode === 410 ? 'gone' : 'failed' });
    if (outcome.delivered) {
      setOutcome('delivered');
      return queue.delivered(delivery.id, outcome.statusCode);
    }
    if (outcome.statusCode === 410) {
      setOutcome('gone');
      logger.warn({ deliveryId: delivery.id }, 'webhook receiver answered 410 Gone: subscription deactivated');
      return queue.gone(delivery.id);
    }
    setOutcome('failed');
    const delay = delays[Math.min(delivery.attempts, delays.length) - 1]!;
    // The error names the status or the network failure, never the receiver's body or the URL's query.
    logger.info({ deliveryId: delivery.id, attempts: delivery.attempts, error: outcome.error }, 'webhook attempt failed; retried later');
    await queue.attemptFailed(delivery.id, delivery.attempts, outcome, delay);
  }

  async function run(): Promise<void> {
    while (!stopped) {
      let fanned: number;
      do fanned = await queue.fanOut(FAN_OUT_BATCH, config.WEBHOOK_GIVE_UP_AFTER_MS);
      while (fanned === FAN_OUT_BATCH && !stopped);
      const free = config.WEBHOOK_CONCURRENCY - inFlight.size;
      const claimed = free > 0 && !stopped ? await queue.claim(free, leaseMs) : [];
      for (const delivery of claimed) {
        const task: Promise<void> = deliver(delivery)
          .catch((err) => logger.error({ err, deliveryId: delivery.id }, 'could not record a webhook attempt; its lease runs out and it is retried'))
          .finally(() => {
            inFlight.delete(task);
            wake();
          });
        inFlight.add(task);
      }
      if (!again) return;
      again = false;
    }
  }

  /** Runs the loop now, or once more right after the current pass. */
  function wake(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    // A request that recorded an event wakes the worker: the pass is not part of that request (nor of its trace).
    running = detached(run)
      .catch((err) => logger.warn({ err }, 'webhook worker pass failed; retried at the next poll'))
      .finally(() => (running = undefined));
  }

  return {
    wake,
    start() {
      timer = setInterval(wake, config.WEBHOOK_POLL_INTERVAL_MS);
      timer.unref();
      wake();
    },
    /** Stops claiming, lets the attempts in flight finish and record their outcome, then closes connections. */
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      await Promise.allSettled([...inFlight]);
      await agent.close();
    },
  };
}
