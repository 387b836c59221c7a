import http from 'node:http';
import type { Express } from 'express';
import { ConfigError } from './config';
import type { Database, DatabaseConfig } from './database';
import { databaseFault, reportDatabaseFault } from './database-faults';
import { connectionDrain } from './drain';
import { createLogger, type Logger } from './logging';
import { stopTracing } from './tracing';

export interface RunningServer {
  server: http.Server;
  port: number;
  /** Stops accepting work, finishes what is in flight, then runs the cleanups. */
  close(): Promise<void>;
}

/**
 * Listens, and on SIGTERM/SIGINT shuts down gracefully: /ready turns 503 at once (via `onDraining`) and every
 * answer from then on says `Connection: close`; after `shutdownDelayMs` (0: Kubernetes' preStop does that wait)
 * the server stops accepting, in-flight requests finish, idle keep-alive connections are closed, cleanups run
 * (workers, database), and the process exits 0. A timer forces exit 1 if that takes past the grace.
 */
export async function serve(options: {
  app: Express;
  host: string;
  port: number;
  logger: Logger;
  /** How long the requests in flight (and the cleanups) may take once the server stops accepting. */
  shutdownGraceMs: number;
  /** How long after the signal the server still accepts, answering /ready 503, so load balancers take it out. */
  shutdownDelayMs?: number;
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
  const drain = connectionDrain(server);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      options.onDraining?.();
      drain.start();
      if (options.shutdownDelayMs) await new Promise((resolve) => setTimeout(resolve, options.shutdownDelayMs));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        drain.closeIdle();
      });
      drain.stop();
      for (const cleanup of options.cleanups ?? []) await cleanup().catch((err) => options.logger.error({ err }, 'cleanup failed'));
    })());

  if (options.handleSignals !== false) {
    const onSignal = (signal: string) => {
      options.logger.info({ signal }, 'shutting down');
      setTimeout(
        () => {
          options.logger.error('shutdown timed out; exiting');
          process.exit(1);
        },
        (options.shutdownDelayMs ?? 0) + options.shutdownGraceMs,
      ).unref();
      void close().then(() => process.exit(0));
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  options.logger.info({ port }, 'listening');
  return { server, port, close };
}

/** What each service's createApp(deps) is given by its server.ts (and by tests that build the app in-process). */
export interface AppDeps<C, D> {
  config: C;
  db: D;
  logger: Logger;
  isReady: () => Promise<boolean>;
}

export interface ServiceContext<C, P> {
  config: C;
  db: Database<P>;
  logger: Logger;
  /** 200 on /ready: the database answers `SELECT 1` within its deadline and the service is not shutting down. */
  isReady: () => Promise<boolean>;
  isDraining: () => boolean;
}

interface StartResult {
  app: Express;
  cleanups?: Array<() => Promise<unknown>>;
  afterListen?: () => void;
}

/**
 * The start-up every service shares: configuration (a ConfigError prints every problem and exits 1), logger,
 * database, readiness, listening with graceful shutdown. `start` builds the app and says what else to stop
 * (before the database is disconnected) and what to begin once listening.
 */
export function runService<
  C extends DatabaseConfig & { LOG_LEVEL: string; HOST: string; PORT: number; SHUTDOWN_GRACE_MS: number; SHUTDOWN_DELAY_MS: number },
  P,
>(options: {
  name: string;
  loadConfig: () => C;
  /** The service's database (see createDatabase); idle connection errors are logged, not fatal. */
  connect: (config: C, onIdleError: (error: Error) => void) => Database<P>;
  start: (context: ServiceContext<C, P>) => StartResult | Promise<StartResult>;
}): void {
  (async () => {
    const config = options.loadConfig();
    const logger = createLogger(options.name, config.LOG_LEVEL);
    // Idle connections die together when the database restarts: one line per cause, as for requests.
    const db = options.connect(config, (err) => {
      const fault = databaseFault(err);
      if (fault) reportDatabaseFault(logger, fault, err);
      else logger.warn({ err }, 'an idle database connection failed; the pool replaces it');
    });
    let draining = false;
    const isReady = async () => !draining && (await db.ping());
    // Until serve() takes over graceful shutdown there is nothing to drain, and as a container's PID 1 an
    // unhandled SIGTERM would be ignored (the engine then waits its 10 s and kills): stop at once.
    const stopWhileStarting = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'stopped while starting');
      process.exit(0);
    };
    process.once('SIGTERM', stopWhileStarting).once('SIGINT', stopWhileStarting);
    const { app, cleanups = [], afterListen } = await options.start({ config, db, logger, isReady, isDraining: () => draining });
    await serve({
      app,
      host: config.HOST,
      port: config.PORT,
      logger,
      shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
      shutdownDelayMs: config.SHUTDOWN_DELAY_MS,
      onDraining: () => (draining = true),
      cleanups: [...cleanups, () => db.close(), stopTracing],
    });
    process.off('SIGTERM', stopWhileStarting).off('SIGINT', stopWhileStarting);
    afterListen?.();
  })().catch((error) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  });
}
