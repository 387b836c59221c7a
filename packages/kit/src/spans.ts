import { type Attributes, context, type Link, propagation, ROOT_CONTEXT, type Span, SpanStatusCode, trace } from '@opentelemetry/api';

// Spans of our own (saga steps, sweeps, deliveries, consumed events), through OpenTelemetry's API only: without
// a started SDK (no endpoint) every call here is a no-op on a non-recording span.

const tracer = () => trace.getTracer('@shop/kit');

export interface SpanOptions {
  attributes?: Attributes;
  /** Spans this one follows from (the request that wrote an outbox event). */
  links?: Link[];
  /** Starts a trace of its own instead of joining the current one (a background pass). */
  root?: boolean;
  /** The `outcome` a thrown error gives the span; `error` by default. */
  outcomeOf?: (error: unknown) => string;
}

/**
 * Runs `fn` inside a span named `name`, which gets the attribute `outcome`: what `fn` set with `setOutcome`, else
 * `done`, or `outcomeOf(error)` when it throws (marked as an error, with the error's class only: a message may carry
 * personal data).
 */
export function inSpan<T>(name: string, options: SpanOptions, fn: (setOutcome: (outcome: string) => void, span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { attributes: options.attributes, links: options.links, root: options.root }, async (span) => {
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
