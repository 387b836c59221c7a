import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A gate in front of a service: passes every request on, except that while `closed` it holds the GETs whose path
 * matches, without an answer, until `open()`. A test can then act (kill the caller) while a call is in flight.
 */
export async function startGate(target: string, holds: RegExp) {
  let closed = false;
  const waiting: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    const pass = async () => {
      try {
        const answer = await fetch(new URL(req.url!, target), { headers: { authorization: req.headers.authorization ?? '' } });
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(await answer.text());
      } catch {
        res.destroy();
      }
    };
    if (closed && req.method === 'GET' && holds.test(req.url!)) waiting.push(() => void pass());
    else void pass();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => (closed = true),
    held: () => waiting.length,
    open() {
      closed = false;
      waiting.splice(0).forEach((go) => go());
    },
    stop() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
