import { InMemorySpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { eventually } from '@shop/testkit';
import { loadTracingConfig } from '../../src/tracing-config';
import { spanBatcher } from '../../src/tracing-sdk';

// The kit builds the batch processor itself, so the SDK never reads OTEL_BSP_*: the kit passes them on. A full batch
// is exported at once; with a 10-minute schedule, only the batch size can make these spans leave.

describe('the span batch', () => {
  it('is exported as soon as OTEL_BSP_MAX_EXPORT_BATCH_SIZE spans have ended', async () => {
    const exporter = new InMemorySpanExporter();
    const config = loadTracingConfig({ OTEL_BSP_SCHEDULE_DELAY: '600000', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2' });
    const provider = new TracerProvider({ spanProcessors: [spanBatcher(config, exporter)] });
    const tracer = provider.getTracer('unit');
    tracer.startSpan('first').end();
    tracer.startSpan('second').end();
    const names = await eventually('the batch of two spans', () => {
      const finished = exporter.getFinishedSpans().map((span) => span.name);
      return Promise.resolve(finished.length === 2 && finished);
    });
    expect(names.sort()).toEqual(['first', 'second']);
    await provider.shutdown();
  });

  it('defaults to batches of 64, a queue of 2048 and 30 s an export', () => {
    const config = loadTracingConfig({});
    expect([config.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, config.OTEL_BSP_MAX_QUEUE_SIZE, config.OTEL_BSP_EXPORT_TIMEOUT]).toEqual([64, 2048, 30_000]);
  });
});
