import type http from 'node:http';

/**
 * Keep-alive connections during a graceful shutdown. Once `start()` is called every answer not yet begun carries
 * `Connection: close` (the client opens its next request elsewhere instead of racing our close of an idle
 * connection), and connections that turn idle are closed as they do, until `stop()`.
 */
export function connectionDrain(server: http.Server) {
  let draining = false;
  let sweeper: NodeJS.Timeout | undefined;
  const open = new Set<http.ServerResponse>();
  // Before the app's own listener: the header is set before any route can begin its answer.
  server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    if (draining) {
      res.setHeader('Connection', 'close');
      return;
    }
    open.add(res);
    res.once('close', () => open.delete(res));
  });
  return {
    start() {
      draining = true;
      for (const res of open) if (!res.headersSent) res.setHeader('Connection', 'close');
      open.clear();
      server.closeIdleConnections();
      sweeper = setInterval(() => server.closeIdleConnections(), 100).unref();
    },
    stop() {
      clearInterval(sweeper);
    },
  };
}
