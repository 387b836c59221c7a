import type { Api } from '../api';
import type { Queryable } from '../database';
import type { Logger } from '../logging';
import { listOptions, type ListSettings } from '../lists';
import type { WebhookConfig } from './config';
import { observeBacklog } from './backlog';
import { webhookRoutes } from './routes';
import { deliveryQueue, insertEvent } from './queue';
import { webhookStore } from './store';
import { deliveryWorker } from './worker';

export { webhookConfigSchema, type WebhookConfig } from './config';
export { isPublicAddress } from './targets';

/** How an event is recorded: in the transaction (or statement) of the change that causes it. */
export interface EventRecorder<T extends string> {
  record(q: Queryable, type: T, data: unknown): Promise<void>;
}

/**
 * A service's webhooks: the transactional outbox (`record`), the subscription API (`routes`) and the delivery
 * worker (`start`/`stop`). Events may also be written by SQL alone (a trigger, a CTE) into outbox_events.
 */
export function createWebhooks<T extends string>(options: {
  service: string;
  eventTypes: readonly T[];
  /** The service's database: the API uses its pool, the worker its background connection. */
  db: { sql: Queryable; background: Queryable };
  config: WebhookConfig & ListSettings;
  logger: Logger;
}) {
  const store = webhookStore(options.db.sql, listOptions(options.config));
  observeBacklog(options.db.sql);
  const worker = deliveryWorker({ queue: deliveryQueue(options.db.background), config: options.config, logger: options.logger, service: options.service });
  if (options.config.WEBHOOK_ALLOW_PRIVATE_TARGETS)
    options.logger.warn('WEBHOOK_ALLOW_PRIVATE_TARGETS is on: webhooks may reach private addresses (development only)');
  let soon: NodeJS.Timeout | undefined;
  return {
    async record(q: Queryable, type: T, data: unknown) {
      await insertEvent(q, type, data);
      // Shortly after, when the change has most likely committed; the poll catches anything later.
      soon ??= setTimeout(() => {
        soon = undefined;
        worker.wake();
      }, 20).unref();
    },
    routes: (api: Api) => webhookRoutes(api, { store, eventTypes: options.eventTypes, allowPrivateTargets: options.config.WEBHOOK_ALLOW_PRIVATE_TARGETS }),
    start: () => worker.start(),
    stop: () => {
      clearTimeout(soon);
      return worker.stop();
    },
  };
}
export type Webhooks<T extends string> = ReturnType<typeof createWebhooks<T>>;
export { catalogueSchemas, type EventCatalogue } from './catalogue';
