import {
  createServiceApi,
  createServiceApp,
  createServiceClient,
  createWebhooks,
  listOptions,
  registerMetrics,
  serviceRetention,
  type AppDeps,
} from '@shop/kit';
import { createBooks } from './books';
import { customersClient } from './clients/customers.client';
import { inventoryClient } from './clients/inventory.client';
import { longestPurchaseMs, type Config } from './config';
import type { Db } from './data/db';
import { eventFeedRepo } from './data/event-feed.repo';
import { historyRepo } from './data/history.repo';
import { purchaseAttemptsRepo } from './data/purchase-attempts.repo';
import { refundsRepo } from './data/refunds.repo';
import { salesPruneRules } from './data/retention';
import { saleCountsRepo } from './data/sale-counts';
import { SALE_EVENT_TYPES, salesRepo } from './data/sales.repo';
import { abandonedSalesRepo } from './data/sweep.repo';
import { eventFeedDomain } from './domain/event-feed';
import { goodsDomain } from './domain/goods';
import { historyDomain } from './domain/history';
import { purchasesDomain } from './domain/purchases';
import { recoveryDomain } from './domain/recovery';
import { refundsDomain } from './domain/refunds';
import { internalEventRoutes } from './routes/events.routes';
import { goodsRoutes } from './routes/goods.routes';
import { internalPurchaseRoutes, salesRoutes } from './routes/sales.routes';
import { salesMetrics } from './metrics';
import { saleCountsFill } from './sale-counts-fill';

export type Deps = AppDeps<Config, Db>;

export function createApp({ config, db, logger, isReady }: Deps) {
  const api = createServiceApi(config, { logger, customersCredential: config.SALES_TO_CUSTOMERS_TOKEN, callers: { reviews: config.REVIEWS_TO_SALES_TOKEN } });

  const client = (service: string, baseUrl: string, credential: readonly string[]) =>
    createServiceClient({ service, baseUrl, serviceToken: credential[0], timeoutMs: config.SERVICE_TIMEOUT_MS, attempts: config.SERVICE_RETRY_ATTEMPTS });
  const http = {
    inventory: client('inventory', config.INVENTORY_URL, config.SALES_TO_INVENTORY_TOKEN),
    customers: client('customers', config.CUSTOMERS_URL, config.SALES_TO_CUSTOMERS_TOKEN),
  };
  const inventory = inventoryClient(http.inventory, { goodsMaxAgeMs: config.GOODS_MAX_AGE_MS, goodsStaleMs: config.GOODS_STALE_WHILE_REVALIDATE_MS });
  const customers = customersClient(http.customers);
  const webhooks = createWebhooks({ service: 'sales', eventTypes: SALE_EVENT_TYPES, db, config, logger });
  const sales = salesRepo(db, webhooks);
  const refunds = refundsRepo(db, webhooks, listOptions(config));

  const attempts = purchaseAttemptsRepo(db);
  const { observer, metrics } = salesMetrics(db, config.SWEEP_AGE_MS);
  const purchases = purchasesDomain({
    sales,
    attempts,
    purchasesPerMinute: config.PURCHASES_PER_MINUTE,
    inventory,
    customers,
    logger,
    idempotencyTtlHours: config.IDEMPOTENCY_TTL_HOURS,
    observer,
  });
  const history = historyDomain({ sales: historyRepo(db, listOptions(config)) });
  const refunding = refundsDomain({
    refunds,
    inventory,
    customers,
    logger,
    idempotencyTtlHours: config.IDEMPOTENCY_TTL_HOURS,
    windowDays: config.REFUND_WINDOW_DAYS,
    observer,
  });
  const recovery = recoveryDomain({
    abandoned: abandonedSalesRepo(db),
    refunds,
    inventory,
    customers,
    logger,
    ageMs: config.SWEEP_AGE_MS,
    intervalMs: config.SWEEP_INTERVAL_MS,
    lockTimeoutMs: longestPurchaseMs(config),
    statementTimeoutMs: config.SWEEP_STATEMENT_TIMEOUT_MS,
    observer,
  });

  const books = createBooks({ config, db, logger, http, customers, inventory, sweep: () => recovery.sweep() });

  goodsRoutes(api, goodsDomain({ inventory }));
  salesRoutes(api, purchases, history, refunding);
  internalPurchaseRoutes(api, history);
  internalEventRoutes(api, eventFeedDomain({ feed: eventFeedRepo(db) }));
  webhooks.routes(api);
  const retention = serviceRetention({ db, config, logger, rules: salesPruneRules(db) });
  const saleCounts = saleCountsFill({ counts: saleCountsRepo(db), logger });

  const app = createServiceApp({
    name: 'sales',
    description: 'Goods, purchases and refunds (sagas over customers and inventory) and purchase history.',
    tags: {
      Goods: 'The shop window: items in stock, read from inventory (anyone).',
      Sales: 'Buying (all or nothing, safe to retry with an Idempotency-Key), refunds (which always complete) and purchase history.',
      Internal: 'Called by the other services, each with its own credential (`<CALLER>_TO_<SERVICE>_TOKEN`), never by people: user tokens get 403.',
    },
    logger,
    api,
    metricsToken: config.METRICS_TOKEN,
    metrics: (registry) => {
      registerMetrics(registry, [...metrics, ...books.metrics]);
      retention.register(registry);
    },
    // Not ready before the verifier holds customers' keys and has read its ended sessions once.
    isReady: async () => api.isReady() && (await isReady()),
  });
  const close = async () => {
    await Promise.all([recovery.stop(), webhooks.stop(), retention.stop(), books.schedule.stop(), saleCounts.stop()]);
    await Promise.all([http.inventory.close(), http.customers.close()]);
  };
  return { app, recovery, webhooks, retention, books, saleCounts, close };
}
