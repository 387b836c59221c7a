import { pageOf, z } from '@shop/kit';

export const goodsParams = z.object({ id: z.uuid().openapi({ example: '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b' }) });

export const good = z
  .object({ id: z.string(), name: z.string(), priceCents: z.number().int().min(0) })
  .openapi('Good', { description: 'An item that is in stock, as the shop window shows it' });
export const goodPage = pageOf(good, 'GoodPage');

export const item = z
  .object({
    id: z.string(),
    name: z.string(),
    category: z.enum(['food', 'clothes', 'accessories', 'electronics']),
    priceCents: z.number().int().min(0),
    description: z.string(),
    stockCount: z.number().int().min(0),
    lowStockThreshold: z.number().int().min(0).nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Item', { description: "Inventory's item, as inventory answers it" });
