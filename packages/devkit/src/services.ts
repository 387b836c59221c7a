import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const SERVICES = { customers: 5000, inventory: 5001, sales: 5002, reviews: 5003 } as const;
export type ServiceName = keyof typeof SERVICES;

const ROOT = path.resolve(__dirname, '../../..');

/**
 * How every service's Node runs: a bounded heap. The live heap is ~30 MB, but on a big machine V8 lets
 * garbage pile up to the default limit (inventory reached 240 MB RSS under load); 96 MB old space and 8 MB
 * semi-spaces keep each service under 150 MB. Larger semi-spaces (12, 16, 32 MB) gave no throughput beyond
 * run-to-run noise and took customers past 150 MB during the login burst. The books audit's own process runs with the
 * same heap flags (package.json's audit:books, the image's NODE_OPTIONS): unbounded, its RSS grew with the time it
 * ran (V8 growing its young and old generations), not with what it holds (docs/operations.md, "Books audit").
 */
export const HEAP_FLAGS = ['--max-old-space-size=96', '--max-semi-space-size=8'];
const RUNTIME_FLAGS = ['--enable-source-maps', ...HEAP_FLAGS];
/**
 * The TypeScript as it is (`pnpm start`, the tests), through tsx's CommonJS hook, not `--import tsx`: the
 * services are CommonJS, and the ESM loader costs a thread and ~25 MB of RSS per process.
 */
export const SERVICE_NODE_FLAGS = [...RUNTIME_FLAGS, '--require', 'tsx/cjs'];
/**
 * `pnpm build`'s output, as production runs it (the image's CMD is the same): the "compiled" export
 * condition makes `@shop/kit` resolve to its dist/ too (packages/kit/package.json).
 */
export const COMPILED_NODE_FLAGS = [...RUNTIME_FLAGS, '--conditions=compiled'];

export interface ServiceProcess {
  name: ServiceName;
  url: string;
  port: number;
  child: ChildProcess;
  /** Graceful stop (SIGTERM), resolved when the process has exited. */
  stop(): Promise<void>;
  /** Sudden death (SIGKILL), as a crash or an OOM kill. */
  kill(): Promise<void>;
}

/**
 * Starts one service as its own Node process and waits until its /ready answers 200. `env` carries
 * everything the service's config reads.
 */
export async function startService(
  name: ServiceName,
  env: Record<string, string>,
  options: {
    stdio?: 'inherit' | 'ignore' | 'pipe';
    readyTimeoutMs?: number;
    /** Own process group: a terminal's Ctrl-C reaches only the parent, which then stops the service (`pnpm start`). */
    detached?: boolean;
    /** Called as soon as the process exists (before it is ready), e.g. to read its piped output. */
    onSpawn?: (child: ChildProcess) => void;
    /** Run `pnpm build`'s dist/server.js as production does, instead of the TypeScript through tsx. */
    compiled?: boolean;
  } = {},
): Promise<ServiceProcess> {
  const port = Number(env.PORT ?? SERVICES[name]);
  const dir = path.join(ROOT, 'services', name);
  const command = options.compiled
    ? [...COMPILED_NODE_FLAGS, path.join(dir, 'dist', 'server.js')]
    : [...SERVICE_NODE_FLAGS, path.join(dir, 'src', 'server.ts')];
  const child = spawn(process.execPath, command, {
    cwd: dir,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', options.stdio ?? 'inherit', options.stdio ?? 'inherit'],
    detached: options.detached ?? false,
  });
  options.onSpawn?.(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  const proc: ServiceProcess = { name, url, port, child, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL') };
  let gaveUp: Error | undefined;
  await Promise.race([
    waitUntilReady(url, options.readyTimeoutMs ?? 30_000).catch(async (error: Error) => {
      gaveUp = error; // the exit that follows is our kill: report why we killed it
      await proc.kill(); // never ready: do not leave it running behind the caller's back
      throw error;
    }),
    exited.then(() => {
      throw gaveUp ?? new Error(`${name} exited (${exitDescription(child.exitCode, child.signalCode)}) before it was ready`);
    }),
  ]);
  return proc;
}

export async function waitUntilReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(1000) });
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} was not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** "exit code 1" or "killed by SIGKILL", for messages about a process that ended. */
export function exitDescription(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}
