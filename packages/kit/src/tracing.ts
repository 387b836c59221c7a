import { createRequire } from 'node:module';
import { ConfigError } from './config';
import { loadTracingConfig } from './tracing-config';
import type * as Sdk from './tracing-sdk';

// Tracing (docs/operations.md, "Tracing"): each service's src/tracing.ts calls startTracing before anything else
// is loaded (it is server.ts's first import), so that the instrumentations can wrap http, undici, express and pg as
// they load. Without an OTLP endpoint nothing starts and the SDK is not even loaded: tracing off costs nothing.

let stop: (() => Promise<void>) | undefined;

export function startTracing(service: string): void {
  let config;
  try {
    config = loadTracingConfig();
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
  if (config.OTEL_SDK_DISABLED || !(config.OTEL_EXPORTER_OTLP_ENDPOINT || config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)) return;
  // Loaded only when on: the SDK and its exporters weigh ~20 MB of a process that otherwise never uses them.
  const { startSdk } = createRequire(__filename)('./tracing-sdk') as typeof Sdk;
  stop = startSdk(config.OTEL_SERVICE_NAME ?? service, config);
}

/** Sends what is still buffered and stops (a graceful shutdown's last cleanup). */
export const stopTracing = (): Promise<void> => stop?.() ?? Promise.resolve();
