import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the balancer did, for a test's closing figures. */
export interface BalancerCounts {
  /** Requests answered by a replica. */
  forwarded: number;
  /** Attempts refused at connect (nothing sent), passed to the next replica. */
  connectRetries: number;
  /** Requests whose connection failed after they were sent: a real balancer answers 502 and so does this one. */
  failedAfterSend: number;
  /** Times a replica was taken out of the rotation (its /ready answered 503, or it refused the connection). */
  removals: number;
}

export interface Balancer {
  url: string;
  counts: BalancerCounts;
  close(): Promise<void>;
}

interface Backend {
  host: string;
  port: number;
  up: boolean;
}

/**
 * A round-robin HTTP load balancer in front of a service's replicas, as a real one behaves during a rolling
 * deploy: it polls each replica's /ready and takes one out of the rotation when it answers 503 or refuses the
 * connection, and puts it back when it answers 200. A request is passed to the next replica only when its
 * connection was refused before anything was sent; once sent, a failure is the client's 502, never retried (the
 * request may have taken effect). Each forwarded request has its own connection to the replica.
 */
export async function startBalancer(replicas: string[], options: { readyIntervalMs?: number; waitForReplicaMs?: number } = {}): Promise<Balancer> {
  const { readyIntervalMs = 100, waitForReplicaMs = 60_000 } = options;
  const backends: Backend[] = replicas.map((url) => ({ host: new URL(url).hostname, port: Number(new URL(url).port), up: false }));
  const counts: BalancerCounts = { forwarded: 0, connectRetries: 0, failedAfterSend: 0, removals: 0 };
  const setUp = (backend: Backend, up: boolean) => {
    if (backend.up && !up) counts.removals++;
    backend.up = up;
  };

  let closed = false;
  const poll = async (backend: Backend) => {
    while (!closed) {
      try {
        const res = await fetch(`http://${backend.host}:${backend.port}/ready`, { signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
        setUp(backend, res.status === 200);
      } catch {
        setUp(backend, false);
      }
      await new Promise((resolve) => setTimeout(resolve, readyIntervalMs));
    }
  };
  const pollers = backends.map(poll);

  let next = 0;
  const pick = async (): Promise<Backend> => {
    const deadline = Date.now() + waitForReplicaMs;
    for (;;) {
      for (let i = 0; i < backends.length; i++) {
        const backend = backends[next++ % backends.length]!;
        if (backend.up) return backend;
      }
      if (Date.now() > deadline) throw new Error('no replica is ready');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  /** One attempt: 'refused' when nothing was sent, so the caller may try another replica. */
  const attempt = (backend: Backend, req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) =>
    new Promise<'done' | 'refused'>((resolve) => {
      let connected = false;
      const headers = { ...req.headers, host: `${backend.host}:${backend.port}`, connection: 'close' };
      const upstream = http.request({ host: backend.host, port: backend.port, method: req.method, path: req.url, headers, agent: false }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('error', () => fail());
        answer.on('end', () => {
          counts.forwarded++;
          const { connection: _connection, 'keep-alive': _keepAlive, 'transfer-encoding': _encoding, ...passed } = answer.headers;
          res.writeHead(answer.statusCode!, passed).end(Buffer.concat(chunks));
          resolve('done');
        });
      });
      const fail = () => {
        counts.failedAfterSend++;
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('balancer: the replica failed after the request was sent');
        resolve('done');
      };
      upstream.on('socket', (socket) => socket.once('connect', () => (connected = true)));
      upstream.on('error', () => {
        if (connected) return fail();
        counts.connectRetries++;
        setUp(backend, false);
        resolve('refused');
      });
      upstream.end(body);
    });

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        try {
          while ((await attempt(await pick(), req, Buffer.concat(chunks), res)) === 'refused');
        } catch (error) {
          if (!res.headersSent) res.writeHead(503, { 'content-type': 'text/plain' }).end(`balancer: ${(error as Error).message}`);
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    async close() {
      closed = true;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await Promise.all(pollers);
    },
  };
}
