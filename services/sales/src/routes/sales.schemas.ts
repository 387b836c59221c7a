import { pageOf, pageQuery, z } from '@shop/kit';

export const purchase = z
  .strictObject({
    itemId: z.uuid(),
    quantity: z.number().int().min(1).max(1000).default(1),
  })
  .openapi('Purchase', { example: { itemId: '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b', quantity: 2 } });

export const purchaseHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({ description: 'Makes retries safe: the same key and body answer the first answer again (kept ≥ 24 h, per customer)' }),
});

export const sale = z
  .object({
    id: z.uuid(),
    customerId: z.uuid(),
    username: z.string(),
    itemId: z.uuid(),
    itemName: z.string(),
    unitPriceCents: z.number().int().min(0),
    quantity: z.number().int().min(1).max(1000),
    totalCents: z.number().int().min(0),
    status: z.literal('completed'),
    createdAt: z.iso.datetime(),
  })
  .openapi('Sale');
export const salePage = pageOf(sale, 'SalePage');

export const saleParams = z.object({ id: z.uuid() });

export const saleListQuery = pageQuery.extend({
  username: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{3,32}$/, '3–32 letters, digits, _ . or -')
    .optional()
    .openapi({ description: "Admins: only this customer's purchases. Customers: only their own name is allowed" }),
});

export const purchasedQuery = z.object({
  customerId: z.uuid(),
  itemId: z.uuid().optional().openapi({ description: 'Without it: has the customer bought anything at all' }),
});
export const purchased = z.object({ purchased: z.boolean() }).openapi('Purchased');
