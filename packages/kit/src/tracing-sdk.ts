import type { IncomingMessage } from 'node:http';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace';
import type { TracingConfig } from './tracing-config';
import { currentCallName, isOutsideCall } from './spans';
import { statementName } from './tracing-names';
import { redactingProcessor } from './tracing-redact';

const UNTRACED = new Set(['/health', '/ready', '/metrics']);

/**
 * The batch processor, with the standard OTEL_BSP_* settings (the SDK reads them only for a processor it builds). Its
 * batch is small by default: what tracing costs a service is half garbage collection, and a span buffered until 512
 * have ended outlives a young-generation collection or two (bench/results/tracing.md).
 */
export function spanBatcher(config: TracingConfig, exporter: SpanExporter): BatchSpanProcessor {
  return new BatchSpanProcessor({
    exporter,
    scheduledDelayMillis: config.OTEL_BSP_SCHEDULE_DELAY,
    maxExportBatchSize: Math.min(config.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, config.OTEL_BSP_MAX_QUEUE_SIZE),
    maxQueueSize: config.OTEL_BSP_MAX_QUEUE_SIZE,
    exportTimeoutMillis: config.OTEL_BSP_EXPORT_TIMEOUT,
  });
}

/**
 * OpenTelemetry's Node SDK with the official instrumentations: incoming HTTP (its span named `POST /sales` by the
 * route template express matched), outgoing undici calls (which carry W3C traceparent), and pg statements. The
 * sampler, the exporter's endpoint, headers and batching come from the standard OTEL_* variables, read by the SDK.
 *
 * What a span costs was measured (bench/results/tracing.md), and what told nothing was cut: express's per-layer
 * spans (the route's span already names the template), W3C baggage (never used here), the statement text of a
 * prepared statement (its name says which; see tracing-redact.ts).
 */
export function startSdk(serviceName: string, config: TracingConfig): () => Promise<void> {
  const sdk = new NodeSDK({
    serviceName,
    // Traces only: metrics stay with prom-client (/metrics), logs with pino.
    metricReaders: [],
    logRecordProcessors: [],
    // traceparent only: nothing here reads or writes W3C baggage, so it is neither extracted nor injected.
    textMapPropagator: new W3CTraceContextPropagator(),
    spanProcessors: [
      redactingProcessor(),
      spanBatcher(config, config.OTEL_EXPORTER_OTLP_PROTOCOL === 'http/json' ? new JsonExporter() : new ProtobufExporter()),
    ],
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes are not traffic; a trace per probe would drown the purchases.
        ignoreIncomingRequestHook: (req: IncomingMessage) => UNTRACED.has((req.url ?? '').split('?')[0]!),
        // Outgoing calls go through undici (the kit's client); node:http's own client is only the tests'.
        disableOutgoingRequestInstrumentation: true,
      }),
      new UndiciInstrumentation({
        // A call made outside any traced operation (a timer's poll) starts no trace of its own.
        requireParentforSpans: true,
        // A webhook receiver is a third party: no span for the POST, no traceparent/tracestate sent (spans.ts).
        ignoreRequestHook: isOutsideCall,
        // `POST /internal/wallet/debits`: the method and the route template the client named (undici says `POST`).
        requestHook: (span, request) => {
          const name = currentCallName();
          span.updateName(name ?? `${request.method} ${request.origin}`);
          if (name) span.setAttribute('url.template', name.slice(name.indexOf(' ') + 1));
        },
      }),
      // Express only names the request's span by its route template (`POST /sales`): a span per middleware, router
      // or handler would repeat the request's span at a cost per layer.
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER, ExpressLayerType.REQUEST_HANDLER] }),
      // SQL only inside a traced operation (a request, a sweep pass, a delivery): the pollers' idle queries are not
      // traces. pg's statement text carries $n placeholders, never the values (enhancedDatabaseReporting stays off).
      new PgInstrumentation({
        requireParentSpan: true,
        ignoreConnectSpans: true,
        enhancedDatabaseReporting: false,
        // A prepared statement is named by its name (`pg.query:wallet.debit <database>`); any other by what it does.
        requestHook: (span, { query, connection }) => {
          if (!query.name) span.updateName(`pg.query:${statementName(query.text)}${connection.database ? ` ${connection.database}` : ''}`);
        },
      }),
    ],
  });
  sdk.start();
  return () => sdk.shutdown();
}
