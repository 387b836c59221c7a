import { exitDescription, startService, type ServiceName, type ServiceProcess } from './services';

export interface SupervisorOptions {
  env: Record<string, string>;
  readyTimeoutMs: number;
  detached: boolean;
  /** Wires the output of each process the supervisor starts (its first and every restart). */
  onSpawn: NonNullable<Parameters<typeof startService>[2]>['onSpawn'];
  /** Each time a process of the service is ready (the first and every restart), e.g. to record its pid. */
  onReady: (service: ServiceProcess) => void;
  /** What the terminal should read: a death and the wait before the restart, and the return. */
  say: (message: string) => void;
  /** The service keeps crashing: the caller stops everything (the supervisor has stopped trying). */
  giveUp: (message: string) => void;
  /** First wait before a restart; it doubles after each crash in a row. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A process that stayed up this long is healthy: the next crash starts the backoff (and the count) afresh. */
  healthyAfterMs?: number;
  /** Crashes in a row (none up for `healthyAfterMs`) after which the supervisor gives up. */
  maxCrashes?: number;
}

export interface SupervisedService {
  name: ServiceName;
  /** The current process (undefined while waiting to restart). */
  current(): ServiceProcess | undefined;
  /** Stops restarting, then stops the current process gracefully. */
  stop(): Promise<void>;
}

/**
 * Runs a service and restarts it when it exits unexpectedly, with exponential backoff (1 s, 2 s, 4 s … capped
 * at 30 s; reset once a process has stayed up a minute), as docker-compose's `restart:` and Kubernetes do for
 * theirs. A service that crashes `maxCrashes` times in a row without staying up is reported through `giveUp`
 * rather than restarted forever. Resolves once the first process is ready; rejects if it never gets there.
 */
export async function superviseService(name: ServiceName, options: SupervisorOptions): Promise<SupervisedService> {
  const initialMs = options.initialBackoffMs ?? 1_000;
  const maxMs = options.maxBackoffMs ?? 30_000;
  const healthyAfterMs = options.healthyAfterMs ?? 60_000;
  const maxCrashes = options.maxCrashes ?? 5;
  let current: ServiceProcess | undefined;
  let stopping = false;
  let crashes = 0;
  let timer: NodeJS.Timeout | undefined;
  let restarting: Promise<void> | undefined;

  const launch = async () => {
    const service = await startService(name, options.env, {
      stdio: 'pipe',
      detached: options.detached,
      readyTimeoutMs: options.readyTimeoutMs,
      onSpawn: options.onSpawn,
    });
    const readyAt = Date.now();
    current = service;
    options.onReady(service);
    service.child.once('exit', (code, signal) => {
      current = undefined;
      if (!stopping) crashed(exitDescription(code, signal), Date.now() - readyAt);
    });
    return service;
  };

  const crashed = (how: string, upMs: number) => {
    crashes = upMs >= healthyAfterMs ? 1 : crashes + 1;
    if (crashes >= maxCrashes) {
      options.giveUp(`${name} crashed ${crashes} times in a row without staying up (last: ${how}); its output above says why`);
      return;
    }
    const delayMs = Math.min(initialMs * 2 ** (crashes - 1), maxMs);
    options.say(`${name} died (${how}) after ${(upMs / 1000).toFixed(1)} s up; restarting in ${delayMs / 1000} s`);
    timer = setTimeout(() => {
      restarting = launch().then(
        (service) => options.say(`${name} is back (pid ${service.child.pid}) and ready at ${service.url}`),
        (error: Error) => {
          if (!stopping) crashed(`did not start: ${error.message}`, 0);
        },
      );
    }, delayMs);
  };

  await launch();
  return {
    name,
    current: () => current,
    async stop() {
      stopping = true;
      clearTimeout(timer);
      await restarting;
      await current?.stop();
    },
  };
}
