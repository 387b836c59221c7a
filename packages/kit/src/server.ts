import http from 'node:http';
import type { Express } from 'express';
import type { Logger } from './logging';

export interface RunningServer {
  server: http.Server;
  port: number;
  /** Stops accepting work, finishes what is in flight, then runs the cleanups. */
  close(): Promise<void>;
}

/**
 * Listens, and on SIGTERM/SIGINT shuts down gracefully: /ready turns 503 (via `onDraining`), the server
 * stops accepting, in-flight requests finish, cleanups run (database, timers), and a timer forces the
 * exit if anything hangs.
 */
export async function serve(options: {
  app: Express;
  host: string;
  port: number;
  logger: Logger;
  shutdownTimeoutMs: number;
  onDraining?: () => void;
  cleanups?: Array<() => Promise<unknown>>;
  handleSignals?: boolean;
}): Promise<RunningServer> {
  const server = http.createServer(options.app);
  // Longer than any load balancer's idle timeout, so pooled keep-alive connections are not cut mid-request.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      options.onDraining?.();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      for (const cleanup of options.cleanups ?? []) await cleanup().catch((err) => options.logger.error({ err }, 'cleanup failed'));
    })());

  if (options.handleSignals !== false) {
    const onSignal = (signal: string) => {
      options.logger.info({ signal }, 'shutting down');
      setTimeout(() => {
        options.logger.error('shutdown timed out; exiting');
        process.exit(1);
      }, options.shutdownTimeoutMs).unref();
      close().then(() => process.exit(0));
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  options.logger.info({ port }, 'listening');
  return { server, port, close };
}
