import type http from 'node:http';

/**
 * Keep-alive connections during a graceful shutdown. Once `start()` is called every answer not yet begun carries
 * `Connection: close` (the client opens its next request elsewhere instead of racing our close of an idle
 * connection). An idle connection is left open while the server still accepts (SHUTDOWN_DELAY_MS): closing it then
 * would reset a request its client is sending at that moment; its next request is answered, with the close.
 * `closeIdle()` (when the server stops accepting) closes the idle ones, and those that turn idle, until `stop()`.
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
    },
    closeIdle() {
      server.closeIdleConnections();
      sweeper = setInterval(() => server.closeIdleConnections(), 100).unref();
    },
    stop() {
      clearInterval(sweeper);
    },
  };
}
