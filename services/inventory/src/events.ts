// What inventory's webhook events mean and carry (docs/events.md is generated from this: `pnpm docs:reference`).
import type { EventCatalogue } from '@shop/kit';
import { ITEM_EVENT_TYPES } from './data/items.repo';
import { item } from './routes/items.schemas';

const cup = {
  id: '6a1f0c9e-2b3d-4e5f-8a7b-9c0d1e2f3a4b',
  name: 'Espresso cup',
  category: 'accessories',
  priceCents: 1250,
  description: '',
  stockCount: 10,
  lowStockThreshold: 3,
  createdAt: '2026-11-30T05:20:00.123Z',
  updatedAt: '2026-11-30T05:20:00.123Z',
};

export const ITEM_EVENTS: EventCatalogue<(typeof ITEM_EVENT_TYPES)[number]> = {
  'item.created': { when: 'An admin created an item (`POST /items`).', data: item, example: cup },
  'item.updated': {
    when: 'An admin changed an item (`PATCH /items/:id`) or adjusted its stock (`POST /items/:id/stock-adjustments`); sales and returns do not send it.',
    data: item,
    example: { ...cup, priceCents: 1190, updatedAt: '2026-11-30T06:00:00.000Z' },
  },
  'item.deleted': { when: 'An admin deleted an item (`DELETE /items/:id`); `data` is the item as it was.', data: item, example: cup },
  'item.stock_low': {
    when: 'A change took the stock from above `lowStockThreshold` to at or below it: once per crossing (again only after the stock went back above it); setting a threshold, or creating an item already below one, is not a crossing.',
    data: item,
    example: { ...cup, stockCount: 3, updatedAt: '2026-11-30T05:21:13.456Z' },
  },
};
