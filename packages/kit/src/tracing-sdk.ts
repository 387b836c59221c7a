import type { IncomingMessage } from 'node:http';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';
import type { TracingConfig } from './tracing-config';
import { redactingProcessor } from './tracing-redact';

const UNTRACED = new Set(['/health', '/ready', '/metrics']);

/**
 * OpenTelemetry's Node SDK with the official instrumentations: incoming HTTP (its span named `POST /sales` by the
 * route template express matched), outgoing undici calls (which carry W3C traceparent), and pg statements. The
 * sampler, the exporter's endpoint, headers and batching come from the standard OTEL_* variables, read by the SDK.
 */
export function startSdk(serviceName: string, config: TracingConfig): () => Promise<void> {
  const exporter = config.OTEL_EXPORTER_OTLP_PROTOCOL === 'http/json' ? new JsonExporter() : new ProtobufExporter();
  const sdk = new NodeSDK({
    serviceName,
    // Traces only: metrics stay with prom-client (/metrics), logs with pino.
    metricReaders: [],
    logRecordProcessors: [],
    spanProcessors: [redactingProcessor(), new BatchSpanProcessor({ exporter, scheduledDelayMillis: config.OTEL_BSP_SCHEDULE_DELAY })],
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes are not traffic; a trace per probe would drown the purchases.
        ignoreIncomingRequestHook: (req: IncomingMessage) => UNTRACED.has((req.url ?? '').split('?')[0]!),
        // Outgoing calls go through undici (the kit's client); node:http's own client is only the tests'.
        disableOutgoingRequestInstrumentation: true,
      }),
      new UndiciInstrumentation(),
      // Express names the HTTP span by its route template; a span per middleware would cost more than it tells.
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER] }),
      // SQL only inside a traced operation (a request, a sweep pass, a delivery): the pollers' idle queries are not
      // traces. pg's statement text carries $n placeholders, never the values (redactingProcessor checks literals).
      new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
    ],
  });
  sdk.start();
  return () => sdk.shutdown();
}
