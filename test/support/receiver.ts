// A real webhook receiver on loopback for the tests: it verifies every delivery's signature with the
// `standardwebhooks` package (a third party's check of our signing, not our own code) and answers what the
// test tells it to.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  /** webhook-id: the event id, the same on every attempt. */
  id: string;
  type: string;
  data: any;
  body: { id: string; type: string; createdAt: string; data: any };
  /** Whether standardwebhooks accepted the signature with the subscription's secret. */
  verified: boolean;
  /** What the receiver answered (undefined: it never answered). */
  answered?: number;
  /** The request's headers, as a third party sees them. */
  headers: http.IncomingHttpHeaders;
}

/** What to answer a delivery: a status, or 'hang' (never answer). */
export type Answer = number | 'hang';

export interface Receiver {
  url: string;
  /** Every request that arrived, in order. */
  received: Received[];
  /** The secret the signatures are checked with (POST /webhooks answers it). */
  secret?: string;
  answer: (delivery: Received) => Answer;
  /** Resolves with the first delivery (past or future) that `match` accepts. */
  waitFor(match: (delivery: Received) => boolean, what: string, timeoutMs?: number): Promise<Received>;
  /** Stops listening (connections refused) and later listens again on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(answer: (delivery: Received) => Answer = () => 200): Promise<Receiver> {
  const waiters = new Set<() => void>();
  const hanging = new Set<http.ServerResponse>();
  const receiver: Receiver = {
    url: '',
    received: [],
    answer,
    async waitFor(match, what, timeoutMs = 30_000) {
      const found = () => receiver.received.find(match);
      if (found()) return found()!;
      return new Promise<Received>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no delivery of ${what} within ${timeoutMs} ms (received: ${receiver.received.map((r) => r.type).join(', ') || 'nothing'})`));
        }, timeoutMs);
        const check = () => {
          const hit = found();
          if (!hit) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(hit);
        };
        waiters.add(check);
      });
    },
    down: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    up: () => listen(port),
    close: () => receiver.down(),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let verified: boolean;
      try {
        new Webhook(receiver.secret ?? 'whsec_none').verify(raw, req.headers as Record<string, string>);
        verified = true;
      } catch {
        verified = false;
      }
      const body = JSON.parse(raw);
      const delivery: Received = { id: String(req.headers['webhook-id']), type: body.type, data: body.data, body, verified, headers: req.headers };
      receiver.received.push(delivery);
      const status = receiver.answer(delivery);
      if (status === 'hang') hanging.add(res);
      else {
        delivery.answered = status;
        res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
      }
      for (const waiter of [...waiters]) waiter();
    });
  });
  const listen = (onPort: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(onPort, '127.0.0.1', () => resolve());
    });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${port}/hooks`;
  return receiver;
}
