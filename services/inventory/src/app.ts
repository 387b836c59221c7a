import {
  createServiceApi,
  createServiceApp,
  createWebhooks,
  listOptions,
  registerMetrics,
  reservedPool,
  scrapeGauge,
  serviceRetention,
  type AppDeps,
} from '@shop/kit';
import type { Config } from './config';
import { booksRepo } from './data/books.repo';
import type { Db } from './data/db';
import { ITEM_EVENT_TYPES, itemsRepo } from './data/items.repo';
import { lowStockCount } from './data/low-stock.repo';
import { reservationsRepo } from './data/reservations.repo';
import { reservationPruneRules } from './data/retention';
import { itemsDomain } from './domain/items';
import { stockDomain } from './domain/stock';
import { internalBooksRoutes } from './routes/books.routes';
import { itemsRoutes } from './routes/items.routes';
import { internalStockRoutes } from './routes/stock.routes';

export type Deps = AppDeps<Config, Db>;

export function createApp({ config, db, logger, isReady }: Deps) {
  const api = createServiceApi(config, {
    logger,
    customersCredential: config.INVENTORY_TO_CUSTOMERS_TOKEN,
    callers: { sales: config.SALES_TO_INVENTORY_TOKEN },
  });
  const webhooks = createWebhooks({ service: 'inventory', eventTypes: ITEM_EVENT_TYPES, db, config, logger });
  // A purchase's calls (its price check by id, the reservation and its release or return) have connections of
  // their own: a burst of list reads can take every pooled connection, never these.
  const stock = reservedPool(config, config.DATABASE_STOCK_POOL_SIZE, (err) =>
    logger.warn({ err }, 'an idle stock-pool connection failed; the pool replaces it'),
  );
  itemsRoutes(api, itemsDomain({ items: itemsRepo(db, webhooks, listOptions(config), stock.sql) }));
  internalStockRoutes(api, stockDomain({ reservations: reservationsRepo(stock.sql) }));
  internalBooksRoutes(api, booksRepo(db));
  webhooks.routes(api);
  const retention = serviceRetention({ db, config, logger, rules: reservationPruneRules(db, config.RESERVATION_RETENTION_HOURS) });
  // Read at scrape time: the alert on stock at or below its threshold (deploy/observability/rules.yml).
  const lowStock = scrapeGauge('inventory_items_low_stock', 'Live items whose stock is at or below their low-stock threshold');
  lowStock.add({}, () => lowStockCount(db));
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
    metrics: (registry) => {
      registerMetrics(registry, [lowStock.gauge]);
      retention.register(registry);
    },
    // Not ready before the verifier holds customers' keys and has read its ended sessions once.
    isReady: async () => api.isReady() && (await isReady()),
  });
  return { app, webhooks, retention, stock };
}
