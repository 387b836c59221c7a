import net from 'node:net';
import { StartError } from './start-lock';

/** Asks the kernel for a free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Refuses (StartError, saying which variable moves it) when any of the ports is taken on its host. */
export function assertPortsFree(wanted: Array<{ port: number; host: string; what: string; hint: string }>): Promise<void[]> {
  return Promise.all(
    wanted.map(
      ({ port, host, what, hint }) =>
        new Promise<void>((resolve, reject) => {
          const probe = net.createServer();
          probe.once('error', (error: NodeJS.ErrnoException) =>
            reject(
              new StartError(
                error.code === 'EADDRINUSE'
                  ? `port ${port} (${what}) is already in use on ${host}. Stop whatever listens there (see \`ss -ltnp 'sport = :${port}'\`) or pick another port with ${hint}=<port>.`
                  : `cannot listen on ${host}:${port} (${what}): ${error.message}`,
              ),
            ),
          );
          probe.listen(port, host, () => probe.close(() => resolve()));
        }),
    ),
  );
}
