import type { RequestHandler } from 'express';
import client from 'prom-client';
import { bearerToken, isServiceToken } from './auth';
import { Unauthorized } from './errors';
import { rateLimitRefusals, registerMetrics } from './kit-metrics';

/**
 * The service's Prometheus registry, the middleware that times every request, and the `GET /metrics` handler.
 * With `token` (METRICS_TOKEN) set, the scrape needs `Authorization: Bearer <token>` (compared in constant time):
 * the counters tell an outsider the Node version, the memory and how many logins failed.
 */
export function createMetrics(service: string, token?: string) {
  const registry = new client.Registry();
  registry.setDefaultLabels({ service });
  client.collectDefaultMetrics({ register: registry });
  const duration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  registerMetrics(registry);
  const middleware: RequestHandler = (req, res, next) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      // The route template, not the URL, keeps label cardinality bounded.
      const template = (req.route as { path?: string } | undefined)?.path;
      const route = template ? `${req.baseUrl}${template}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
      if (res.statusCode === 429) rateLimitRefusals.inc({ method: req.method, route });
    });
    next();
  };
  const handler: RequestHandler = async (req, res) => {
    const presented = bearerToken(req.headers.authorization);
    if (token !== undefined && !(presented && isServiceToken(presented, token))) {
      const refused = new Unauthorized('GET /metrics needs Authorization: Bearer <METRICS_TOKEN>');
      refused.headers = { 'WWW-Authenticate': presented ? 'Bearer error="invalid_token"' : 'Bearer' };
      throw refused;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.type(registry.contentType).send(await registry.metrics());
  };
  return { registry, middleware, handler };
}

/** A counter of a service's own, for ServiceAppOptions.metrics to register beside the kit's. */
export const serviceCounter = (name: string, help: string) => new client.Counter({ name, help, registers: [] });
