import crypto from 'node:crypto';
import { createServiceApi, createServiceApp, createWebhooks, listOptions, serviceRetention, type AppDeps } from '@shop/kit';
import { createCustomersClient } from './clients/customers.client';
import { createInventoryClient } from './clients/inventory.client';
import { createSalesClient } from './clients/sales.client';
import type { Config } from './config';
import type { Db } from './data/db';
import { eventFeedsRepo } from './data/event-feeds.repo';
import { REVIEW_EVENT_TYPES, reviewsRepo } from './data/reviews.repo';
import { refundFeed } from './domain/refund-feed';
import { reviewsDomain } from './domain/reviews';
import { reviewsRoutes } from './routes/reviews.routes';

export type Deps = AppDeps<Config, Db>;

export function createApp({ config, db, logger, isReady }: Deps) {
  // We have no /internal/ routes: no credentials to accept.
  const api = createServiceApi(config, { logger, customersCredential: config.REVIEWS_TO_CUSTOMERS_TOKEN });
  const webhooks = createWebhooks({ service: 'reviews', eventTypes: REVIEW_EVENT_TYPES, db, config, logger });
  const sales = createSalesClient(config.SALES_URL, config.REVIEWS_TO_SALES_TOKEN[0]!, config.UPSTREAM_TIMEOUT_MS);
  const reportRules = { minSpendCents: config.REPORT_MIN_SPEND_CENTS, minAccountAgeHours: config.REPORT_MIN_ACCOUNT_AGE_HOURS };
  const reviews = reviewsDomain({
    reviews: reviewsRepo(db, webhooks, listOptions(config)),
    inventory: createInventoryClient(config.INVENTORY_URL, config.UPSTREAM_TIMEOUT_MS),
    sales,
    customers: createCustomersClient(config.CUSTOMERS_URL, config.REVIEWS_TO_CUSTOMERS_TOKEN[0]!, config.UPSTREAM_TIMEOUT_MS),
    logger,
    reportThreshold: config.REVIEW_REPORT_THRESHOLD,
    reportRules,
    itemExistsMaxAgeMs: config.ITEM_EXISTS_MAX_AGE_MS,
  });
  // Refunds recount reports and verified purchases, read from sales' event feed.
  const refunds = refundFeed({
    feed: eventFeedsRepo(db),
    sales,
    logger,
    rules: reportRules,
    threshold: config.REVIEW_REPORT_THRESHOLD,
    owner: crypto.randomUUID(),
    leaseMs: config.SALES_EVENTS_LEASE_MS,
    intervalMs: config.SALES_EVENTS_POLL_INTERVAL_MS,
    retentionDays: config.CONSUMED_EVENTS_RETENTION_DAYS,
  });
  reviewsRoutes(api, reviews);
  webhooks.routes(api);
  const retention = serviceRetention({ db, config, logger });

  const app = createServiceApp({
    name: 'reviews',
    description: 'Ratings and comments on items, moderation, reports and rating summaries.',
    tags: {
      Reviews: 'Reviews of items: customers write them, admins moderate them, anyone reads the approved ones and their summary.',
    },
    logger,
    api,
    metricsToken: config.METRICS_TOKEN,
    metrics: retention.register,
    // Not ready before the verifier holds customers' keys and has read its ended sessions once.
    isReady: async () => api.isReady() && (await isReady()),
  });
  return { app, reviews, webhooks, refunds, retention };
}
