import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Registry } from 'prom-client';
import swaggerUi from 'swagger-ui-express';
import { ROUTING } from './api-spec';
import type { Api } from './api';
import { openApiDocument } from './openapi';
import { jsonBody } from './body';
import { httpLogger, type Logger } from './logging';
import { createMetrics } from './metrics';
import { errorHandler, notFoundHandler } from './problem';

export interface ServiceAppOptions {
  name: string;
  description: string;
  /** What each tag of the service's routes groups, shown in /docs and docs/api. */
  tags: Record<string, string>;
  logger: Logger;
  /** The service's routes and their two OpenAPI documents (createApi). */
  api: Pick<Api, 'router' | 'registry' | 'internalRegistry' | 'servicesOnly'>;
  /** METRICS_TOKEN: when set, GET /metrics needs it as a bearer token. */
  metricsToken?: string;
  /** True when the service can serve: its database answers and it is not shutting down. */
  isReady: () => Promise<boolean>;
  /** Routes mounted before the JSON API (e.g. the JWKS document). */
  before?: (app: Express) => void;
  /** The service's own metrics, registered beside the kit's on /metrics. */
  metrics?: (registry: Registry) => void;
}

/**
 * A JSON API needs few of helmet's headers for HTML pages: these are the ones OWASP's REST Security Cheat Sheet
 * asks for (CSP that allows nothing and no framing, nosniff, X-Frame-Options, HSTS) plus no-referrer and CORP.
 * The Swagger UI page gets helmet's full set.
 */
const apiHeaders = helmet({
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xFrameOptions: { action: 'deny' },
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
});
// Not `upgrade-insecure-requests` (helmet's default): over plain HTTP on any host but localhost (a LAN address,
// a VM, the compose host) the browser then fetched every asset over https, and the page stayed blank.
const docsHeaders = helmet({ contentSecurityPolicy: { directives: { 'img-src': ["'self'", 'data:'], 'upgrade-insecure-requests': null } } });

// Every service mounts the kit's subscription routes under this tag.
const WEBHOOKS_TAG = "Subscriptions to this service's events (admin only): signed deliveries, at least once; see docs/webhooks.md.";

/** The Express app every service shares: security headers, request ids, logs, metrics, docs, problems. */
export function createServiceApp(options: ServiceAppOptions): Express {
  const app = express();
  // Before anything is mounted: the app's router is made with these settings on first use.
  app.set('case sensitive routing', ROUTING.caseSensitive);
  app.set('strict routing', ROUTING.strict);
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  const metrics = createMetrics(options.name, options.metricsToken);
  options.metrics?.(metrics.registry);
  const tags = { ...options.tags, Webhooks: WEBHOOKS_TAG };
  const document = openApiDocument(options.api.registry, { title: `E-Commerce Shop — ${options.name}`, description: options.description, tags });
  const internalDocument = openApiDocument(options.api.internalRegistry, {
    title: `E-Commerce Shop — ${options.name} (internal routes)`,
    description: `The /internal/ routes of ${options.name}, for the services that call them; the public routes are in /openapi.json.`,
    tags,
  });

  app.use(apiHeaders);
  app.use(httpLogger(options.logger));
  app.use(metrics.middleware);

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', async (_req, res) => {
    const ready = await options.isReady().catch(() => false);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable' });
  });
  app.get('/metrics', metrics.handler);
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.get('/internal/openapi.json', options.api.servicesOnly, (_req, res) => {
    res.json(internalDocument);
  });
  // Swagger UI's own script and styles need a looser policy than the JSON API.
  app.use('/docs', docsHeaders, swaggerUi.serve, swaggerUi.setup(document, { customSiteTitle: `${options.name} API — E-Commerce Shop` }));
  options.before?.(app);

  app.use(jsonBody);
  app.use(options.api.router);
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
