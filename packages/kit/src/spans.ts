import { type Attributes, context, createContextKey, type Link, propagation, ROOT_CONTEXT, type Span, SpanStatusCode, trace } from '@opentelemetry/api';

// Spans of our own (saga steps, sweeps, deliveries, consumed events), through OpenTelemetry's API only: without
// a started SDK (no endpoint) every call here is a no-op on a non-recording span.

const tracer = () => trace.getTracer('@shop/kit');

export interface SpanOptions {
  attributes?: Attributes;
  /** Spans this one follows from (the request that wrote an outbox event). */
  links?: Link[];
  /** Starts a trace of its own instead of joining the current one (a background pass). */
  root?: boolean;
  /** A stored W3C traceparent to continue instead (the span that wrote a consumed event); ignored when invalid. */
  parent?: string | null;
  /** The `outcome` a thrown error gives the span; `error` by default. */
  outcomeOf?: (error: unknown) => string;
}

/**
 * Runs `fn` inside a span named `name`, which gets the attribute `outcome`: what `fn` set with `setOutcome`, else
 * `done`, or `outcomeOf(error)` when it throws (marked as an error, with the error's class only: a message may carry
 * personal data).
 */
export function inSpan<T>(name: string, options: SpanOptions, fn: (setOutcome: (outcome: string) => void, span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ? propagation.extract(ROOT_CONTEXT, { traceparent: options.parent }) : undefined;
  const continues = parent !== undefined && trace.getSpanContext(parent) !== undefined;
  const spanOptions = { attributes: options.attributes, links: options.links, root: options.root && !continues };
  return tracer().startActiveSpan(name, spanOptions, continues ? parent : context.active(), async (span) => {
    let outcome = 'done';
    try {
      return await fn((value) => (outcome = value), span);
    } catch (error) {
      outcome = options.outcomeOf?.(error) ?? 'error';
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.constructor.name : 'error' });
      throw error;
    } finally {
      span.setAttribute('outcome', outcome);
      span.end();
    }
  });
}

/** The current trace and span ids, when a trace is being recorded (for log lines and problem answers). */
export function currentTrace(): { trace_id: string; span_id: string } | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const { traceId, spanId } = span.spanContext();
  return trace.isSpanContextValid(span.spanContext()) ? { trace_id: traceId, span_id: spanId } : undefined;
}

/** The current span as a W3C traceparent, to store beside an outbox event; undefined when nothing is traced. */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** A link to the span a stored traceparent names (the request that wrote an event), or none. */
export function linksTo(traceparent: string | null | undefined): Link[] {
  if (!traceparent) return [];
  const spanContext = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, { traceparent }));
  return spanContext && trace.isSpanContextValid(spanContext) ? [{ context: spanContext }] : [];
}

/**
 * Runs `fn` outside whatever operation is current: background work a request only wakes (the webhook worker's
 * pass) must not become part of that request's trace, nor its statements spans of it.
 */
export const detached = <T>(fn: () => T): T => context.with(ROOT_CONTEXT, fn);

const OUTGOING_ROUTE = createContextKey('shop.outgoing-route');
const OUTSIDE_CALL = createContextKey('shop.outside-call');

/**
 * Runs `fn`, which makes one call to a neighbouring service, under the call's name: its method and the route
 * template it calls (`POST /internal/wallet/debits`, never the raw path with its ids). The undici instrumentation's
 * hook names the call's span by it (tracing-sdk.ts).
 */
export const asCall = <T>(name: string, fn: () => T): T => context.with(context.active().setValue(OUTGOING_ROUTE, name), fn);
/** The name `asCall` gave the call being made, if any. */
export const currentCallName = (): string | undefined => context.active().getValue(OUTGOING_ROUTE) as string | undefined;

/**
 * Runs `fn`, which calls a third party (a webhook receiver): no span of its own, and no `traceparent` or
 * `tracestate` sent with it. Our trace ids are internal; the delivery's own span records the attempt.
 */
export const asOutsideCall = <T>(fn: () => T): T => context.with(context.active().setValue(OUTSIDE_CALL, true), fn);
/** True while `asOutsideCall` runs. */
export const isOutsideCall = (): boolean => context.active().getValue(OUTSIDE_CALL) === true;
