import { createServiceApi, createServiceApp, createWebhooks, listOptions, type AppDeps } from '@shop/kit';
import type { Config } from './config';
import type { Db } from './data/db';
import { ITEM_EVENT_TYPES, itemsRepo } from './data/items.repo';
import { reservationsRepo } from './data/reservations.repo';
import { itemsDomain } from './domain/items';
import { stockDomain } from './domain/stock';
import { itemsRoutes } from './routes/items.routes';
import { internalStockRoutes } from './routes/stock.routes';

export type Deps = AppDeps<Config, Db>;

export function createApp({ config, db, logger, isReady }: Deps) {
  const api = createServiceApi(config, {
    logger,
    customersCredential: config.INVENTORY_TO_CUSTOMERS_TOKEN,
    callers: { sales: config.SALES_TO_INVENTORY_TOKEN, reviews: config.REVIEWS_TO_INVENTORY_TOKEN },
  });
  const webhooks = createWebhooks({ service: 'inventory', eventTypes: ITEM_EVENT_TYPES, db, config, logger });
  itemsRoutes(api, itemsDomain({ items: itemsRepo(db, webhooks, listOptions(config)) }));
  internalStockRoutes(api, stockDomain({ reservations: reservationsRepo(db) }));
  webhooks.routes(api);
  const app = createServiceApp({
    name: 'inventory',
    description: 'Items, categories, prices and stock.',
    tags: {
      Items: 'The catalogue: anyone reads and filters it; admins create, change and delete items and set stock.',
      Internal: 'Called by the other services, each with its own credential (`<CALLER>_TO_<SERVICE>_TOKEN`), never by people: user tokens get 403.',
    },
    logger,
    api,
    metricsToken: config.METRICS_TOKEN,
    // Not ready before the verifier holds customers' keys and has read its ended sessions once.
    isReady: async () => api.isReady() && (await isReady()),
  });
  return { app, webhooks };
}
