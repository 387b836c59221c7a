import { parseConfig } from './config';
import { z } from './zod';

const blankIsUnset = (value: unknown) => (value === '' ? undefined : value);

/**
 * OpenTelemetry's own variables, the only switches of tracing (docs/operations.md, "Tracing"). The SDK reads the
 * others it knows (OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES…) itself; these are the ones the kit decides
 * by, parsed here so that a wrong value stops the service at start like any other setting. The batch processor's
 * OTEL_BSP_* are here too: the kit builds that processor itself (tracing-sdk.ts), so the SDK never reads them.
 */
export const tracingConfigSchema = z.object({
  OTEL_SDK_DISABLED: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
    .describe('true turns tracing off even with an endpoint set'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .preprocess(blankIsUnset, z.url({ protocol: /^https?$/ }).optional())
    .describe('The OTLP/HTTP receiver (e.g. http://jaeger:4318); spans go to its /v1/traces. Unset: tracing is off and costs nothing'),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z
    .preprocess(blankIsUnset, z.url({ protocol: /^https?$/ }).optional())
    .describe('The full traces URL, when it is not <OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces'),
  OTEL_EXPORTER_OTLP_PROTOCOL: z
    .enum(['http/protobuf', 'http/json'])
    .default('http/protobuf')
    .describe('How spans are sent: OTLP/HTTP as protobuf (the default) or JSON; gRPC is not offered'),
  OTEL_SERVICE_NAME: z.preprocess(blankIsUnset, z.string().max(100).optional()).describe("The traces' service name; the service's own name by default"),
  OTEL_TRACES_SAMPLER: z
    .enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'])
    .default('parentbased_always_on')
    .describe('Which requests are traced; with traceidratio, OTEL_TRACES_SAMPLER_ARG is the share (0…1)'),
  OTEL_TRACES_SAMPLER_ARG: z.preprocess(blankIsUnset, z.coerce.number().min(0).max(1).optional()).describe('The sampled share for the *traceidratio samplers'),
  OTEL_BSP_SCHEDULE_DELAY: z.coerce
    .number()
    .int()
    .min(1)
    .max(600_000)
    .default(5_000)
    .describe('Milliseconds between two exports of the finished spans (the SDK batches them)'),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(64)
    .describe(
      "Finished spans that make an export as soon as they have ended (the SDK's own default is 512): small, a span is sent before it outlives a young-generation collection (bench/results/tracing.md). One export is in flight at a time, so a collector tens of milliseconds away needs a larger batch",
    ),
  OTEL_BSP_MAX_QUEUE_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(2048)
    .describe('Finished spans buffered at most; beyond it, spans are dropped until an export makes room'),
  OTEL_BSP_EXPORT_TIMEOUT: z.coerce.number().int().min(1).max(600_000).default(30_000).describe('Milliseconds an export may take before it is abandoned'),
});
export type TracingConfig = z.output<typeof tracingConfigSchema>;

export const loadTracingConfig = (env?: NodeJS.ProcessEnv): TracingConfig => parseConfig(tracingConfigSchema, env);
