import { pageOf, pageQuery, queryBoolean, z } from '@shop/kit';
import { MAX_STOCK } from '../domain/items';

const category = z.enum(['food', 'clothes', 'accessories', 'electronics']);
/** Up to 1 000 000.00: a price times the largest quantity (1000) stays within a wallet debit. */
export const MAX_PRICE_CENTS = 100_000_000;
const priceCents = z.number().int().min(1).max(MAX_PRICE_CENTS);
const stockCount = z.number().int().min(0).max(MAX_STOCK);
const lowStockThreshold = z
  .number()
  .int()
  .min(0)
  .max(MAX_STOCK)
  .nullable()
  .openapi({ description: 'At or below this stock the item is low: `item.stock_low` fires when the stock falls to it; null: no alerts' });

const fields = {
  name: z.string().min(1).max(100),
  category,
  priceCents,
  description: z.string().max(1000),
  stockCount,
  lowStockThreshold,
};

export const item = z
  .object({
    id: z.uuid(),
    name: z.string(),
    category,
    priceCents: z.number().int().min(1),
    description: z.string(),
    stockCount: z.number().int().min(0),
    lowStockThreshold: z.number().int().min(0).nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Item');
export const itemPage = pageOf(item, 'ItemPage');

export const newItem = z
  .strictObject({ ...fields, description: fields.description.default(''), lowStockThreshold: lowStockThreshold.default(null) })
  .openapi('NewItem', {
    example: { name: 'Espresso beans 1 kg', category: 'food', priceCents: 1999, description: 'Dark roast, whole beans', stockCount: 40, lowStockThreshold: 5 },
  });

export const itemChanges = z
  .strictObject(fields)
  .partial()
  .openapi('ItemChanges', { example: { priceCents: 1799, description: 'Dark roast, whole beans, now 10% off' } });

export const stockAdjustment = z
  .strictObject({
    delta: z
      .number()
      .int()
      .min(-MAX_STOCK)
      .max(MAX_STOCK)
      .refine((delta) => delta !== 0, 'must not be zero')
      .openapi({ description: 'Added to the stock (negative takes away)' }),
    reason: z.string().min(1).max(200).optional().openapi({ description: 'Kept in the stock history' }),
  })
  .openapi('StockAdjustment', { example: { delta: -3, reason: 'damaged in the warehouse' } });

const sorts = ['name', '-name', 'priceCents', '-priceCents', 'createdAt', '-createdAt'] as const;
const queryCents = z.coerce.number().int().min(0).max(MAX_PRICE_CENTS);

export const itemListQuery = pageQuery
  .extend({
    category: category.optional(),
    q: z.string().min(1).max(100).optional().openapi({ description: 'Matches name or description (case-insensitive, literal text)' }),
    minPriceCents: queryCents.optional(),
    maxPriceCents: queryCents.optional(),
    inStock: queryBoolean.optional().openapi({ description: '`true`: stockCount > 0; `false`: stockCount = 0' }),
    lowStock: queryBoolean
      .optional()
      .openapi({ description: 'Admin only. `true`: stockCount ≤ lowStockThreshold; `false`: the others (no threshold, or above it)' }),
    sort: z.enum(sorts).default('createdAt').openapi({ description: 'A leading `-` sorts descending; ties are broken by id. Names sort case-insensitively.' }),
  })
  .refine((query) => query.minPriceCents === undefined || query.maxPriceCents === undefined || query.minPriceCents <= query.maxPriceCents, {
    path: ['minPriceCents'],
    message: 'must not be greater than maxPriceCents',
  });

export const itemParams = z.object({ id: z.uuid() });

export const stockMovement = z
  .object({
    id: z.uuid(),
    kind: z.enum(['initial', 'adjustment', 'sale', 'release', 'return']),
    delta: z.number().int(),
    stockAfter: z.number().int().min(0),
    reference: z.string().nullable().openapi({ description: 'The sale id (sale, release) or the refund id (return)' }),
    reason: z.string().nullable(),
    createdAt: z.iso.datetime(),
  })
  .openapi('StockMovement');
export const stockMovementPage = pageOf(stockMovement, 'StockMovementPage');
