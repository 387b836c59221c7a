import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A request as the proxy saw it. */
export interface Seen {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/**
 * What the proxy does with one request:
 * - forward: pass it on (after `delayMs`), and pass the answer back
 * - fail: answer `status` without passing it on
 * - forwardThenFail: pass it on (the step happens), then answer `status` instead (the answer is lost)
 * - drop: destroy the connection without an answer
 * - stall: never answer, never forward
 * - hold: keep it until `releaseHeld()`, then forward it (a request that lands late)
 */
export type Action =
  | { kind: 'forward'; delayMs?: number }
  | { kind: 'fail'; status: number }
  | { kind: 'forwardThenFail'; status: number }
  | { kind: 'drop' }
  | { kind: 'stall' }
  | { kind: 'hold' };

export type Rule = (request: Seen) => Action;

export const forwardAll: Rule = () => ({ kind: 'forward' });

/**
 * A real HTTP proxy in front of a real service, for faults a mocked call cannot fake: slowness, lost answers,
 * dropped connections and requests that arrive after the caller gave up.
 */
export async function startProxy(target: string, initial: Rule = forwardAll) {
  let rule = initial;
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  const inFlight = new Set<Promise<unknown>>();
  const held: Array<() => void> = [];
  /** Answers the target gave to requests the proxy forwarded (also those whose caller had gone). */
  const forwarded: Array<Seen & { status: number; answer: any }> = [];

  async function forward(request: Seen): Promise<{ status: number; headers: Record<string, string>; text: string }> {
    const headers = { ...request.headers } as Record<string, string>;
    delete headers.host;
    delete headers.connection;
    delete headers['content-length'];
    const response = await fetch(new URL(request.path, target), {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
    });
    const text = await response.text();
    forwarded.push({ ...request, status: response.status, answer: text ? JSON.parse(text) : undefined });
    const etag = response.headers.get('etag');
    return { status: response.status, headers: { 'content-type': response.headers.get('content-type') ?? 'application/json', ...(etag && { etag }) }, text };
  }

  const track = <T>(promise: Promise<T>) => {
    inFlight.add(promise);
    promise.finally(() => inFlight.delete(promise)).catch(() => {});
    return promise;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString();
      const request: Seen = { method: req.method!, path: req.url!, headers: req.headers, body: raw ? JSON.parse(raw) : undefined };
      seen.push(request);
      const action = rule(request);
      const reply = (status: number, text: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => {
        if (!res.destroyed) res.writeHead(status, headers).end(text);
      };
      const failBody = (status: number) => JSON.stringify({ status, code: 'internal', title: 'proxy', detail: 'injected fault', type: 'about:blank' });
      switch (action.kind) {
        case 'forward':
          track(
            (async () => {
              if (action.delayMs) await new Promise((resolve) => setTimeout(resolve, action.delayMs));
              const answer = await forward(request);
              reply(answer.status, answer.text, answer.headers);
            })(),
          ).catch(() => res.destroy());
          return;
        case 'forwardThenFail':
          track(forward(request)).then(
            () => reply(action.status, failBody(action.status)),
            () => res.destroy(),
          );
          return;
        case 'fail':
          return reply(action.status, failBody(action.status));
        case 'drop':
          return req.socket.destroy();
        case 'stall':
          return;
        case 'hold':
          track(
            new Promise<void>((resolve) => held.push(resolve)).then(async () => {
              const answer = await forward(request);
              reply(answer.status, answer.text, answer.headers);
            }),
          ).catch(() => res.destroy());
          return;
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    forwarded,
    setRule(next: Rule) {
      rule = next;
    },
    /** How many requests are being held. */
    heldCount: () => held.length,
    /** Forwards every held request now, and waits until all have been answered by the target. */
    async releaseHeld() {
      held.splice(0).forEach((go) => go());
      await this.settled();
    },
    /** Waits until every forward in progress (delayed ones included) has reached the target and come back. */
    async settled() {
      while (inFlight.size) await Promise.allSettled([...inFlight]);
    },
    /** Stops; held requests are dropped, never forwarded. */
    async close() {
      held.splice(0);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
export type Proxy = Awaited<ReturnType<typeof startProxy>>;

/** Matches requests by method and path prefix. */
export const is = (request: Seen, method: string, path: string) => request.method === method && request.path.startsWith(path);

/**
 * `proxy(target, rule)` for a test file: each proxy it starts is closed after the test that started it. Call it
 * once at the top level of the file (it registers the afterEach hook there).
 */
export function proxiesPerTest() {
  const proxies: Proxy[] = [];
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });
  return async function proxy(target: string, rule?: Parameters<typeof startProxy>[1]): Promise<Proxy> {
    const started = await startProxy(target, rule);
    proxies.push(started);
    return started;
  };
}
