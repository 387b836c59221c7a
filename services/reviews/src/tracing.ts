// server.ts's first import: OpenTelemetry starts (when OTEL_EXPORTER_OTLP_ENDPOINT is set) before express, pg and
// undici load, so that its instrumentations wrap them (docs/operations.md, "Tracing").
import { startTracing } from '@shop/kit/tracing';

startTracing('reviews');
