import { pageOf, pageQuery, z } from '@shop/kit';

const quantity = z.number().int().min(1).max(1000).default(1);
const uniqueItems = (lines: Array<{ itemId: string }>) => new Set(lines.map((line) => line.itemId.toLowerCase())).size === lines.length;

const oneLine = z
  .strictObject({ itemId: z.uuid(), quantity })
  .openapi('OneLinePurchase', { description: 'The v1 form: one item', example: { itemId: '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b', quantity: 2 } });

const basket = z
  .strictObject({
    lines: z
      .array(z.strictObject({ itemId: z.uuid(), quantity }))
      .min(1)
      .max(50)
      .refine(uniqueItems, 'each item at most once')
      .openapi({ description: '1–50 lines, each item at most once; all are bought, or none' }),
  })
  .openapi('BasketPurchase', {
    example: { lines: [{ itemId: '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b', quantity: 2 }, { itemId: '0f8fad5b-d9cb-469f-a165-70867728950e' }] },
  });

/** What a body that is neither form is told (both forms' fields, neither, another shape, not an object). */
export const PURCHASE_FORMS =
  'Send one of the two forms: {"itemId": "<uuid>", "quantity": 1} (one item) or {"lines": [{"itemId": "<uuid>", "quantity": 1}, …]} (1–50 lines, each item at most once); quantity is optional (1–1000, default 1)';

/**
 * `{itemId, quantity?}` or `{lines: [...]}`; both or neither is a 400 (each form refuses the other's fields) that
 * says what the two forms are. A body that is plainly one form but wrong inside keeps that form's own errors.
 */
export const purchase = z.union([oneLine, basket], { error: (issue) => (issue.code === 'invalid_union' ? PURCHASE_FORMS : undefined) }).openapi('Purchase', {
  example: {
    lines: [
      { itemId: '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b', quantity: 2 },
      { itemId: '0f8fad5b-d9cb-469f-a165-70867728950e', quantity: 1 },
    ],
  },
});

export const purchaseHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({ description: 'Makes retries safe: the same key and body answer the first answer again (kept ≥ 24 h, per customer)' }),
});

const saleLine = z
  .object({
    itemId: z.uuid(),
    itemName: z.string(),
    unitPriceCents: z.number().int().min(0),
    quantity: z.number().int().min(1).max(1000),
    totalCents: z.number().int().min(0),
    refundedQuantity: z.number().int().min(0),
  })
  .openapi('SaleLine');

export const saleStatus = z.enum(['completed', 'partially_refunded', 'refunded']);

export const sale = z
  .object({
    id: z.uuid(),
    customerId: z.uuid(),
    username: z.string(),
    itemId: z.uuid().optional().openapi({ description: 'One-line sales only (the v1 shape), as in `lines[0]`' }),
    itemName: z.string().optional().openapi({ description: 'One-line sales only' }),
    unitPriceCents: z.number().int().min(0).optional().openapi({ description: 'One-line sales only' }),
    quantity: z.number().int().min(1).max(1000).optional().openapi({ description: 'One-line sales only' }),
    lines: z.array(saleLine).min(1).max(50).openapi({ description: 'In the order the client sent them' }),
    totalCents: z.number().int().min(0),
    refundedCents: z.number().int().min(0).openapi({ description: 'The sum of the completed refunds' }),
    status: saleStatus,
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Sale');
export const salePage = pageOf(sale, 'SalePage');

export const saleParams = z.object({ id: z.uuid() });

/** An ISO 8601 instant PostgreSQL can compare with (years 1–9999; the calendar date must exist). */
const EARLIEST = Date.parse('0001-01-01T00:00:00Z');
const instant = z.iso
  .datetime({ offset: true })
  .refine((value) => Date.parse(value) >= EARLIEST && new Date(value).getUTCFullYear() <= 9999, 'a date between the years 1 and 9999');

export const saleListQuery = pageQuery.extend({
  username: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{3,32}$/, '3–32 letters, digits, _ . or -')
    .optional()
    .openapi({ description: "Admins: only this customer's purchases. Customers: only their own name is allowed" }),
  status: saleStatus.optional(),
  itemId: z.uuid().optional().openapi({ description: 'Only sales with a line for this item' }),
  from: instant.optional().openapi({ description: 'createdAt at or after this instant (ISO 8601)' }),
  to: instant.optional().openapi({ description: 'createdAt before this instant (ISO 8601)' }),
});

export const refundRequest = z
  .strictObject({
    lines: z
      .array(z.strictObject({ itemId: z.uuid(), quantity: z.number().int().min(1).max(1000) }))
      .min(1)
      .max(50)
      .refine(uniqueItems, 'each item at most once')
      .optional()
      .openapi({ description: 'What to refund of each line; without it, all that is left' }),
    reason: z.string().min(1).max(500).optional(),
    restock: z.boolean().optional().openapi({ description: 'Put the units back in stock (default true); only an admin may set false' }),
  })
  .openapi('RefundRequest', { example: { lines: [{ itemId: '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b', quantity: 1 }], reason: 'arrived broken' } });

export const refund = z
  .object({
    id: z.uuid(),
    saleId: z.uuid(),
    lines: z
      .array(z.object({ itemId: z.uuid(), quantity: z.number().int().min(1).max(1000), amountCents: z.number().int().min(0) }))
      .min(1)
      .max(50),
    amountCents: z.number().int().min(0).openapi({ description: "Each line's unit price as paid × quantity, summed" }),
    reason: z.string().nullable(),
    restocked: z.boolean(),
    createdAt: z.iso.datetime(),
  })
  .openapi('Refund');
export const refundPage = pageOf(refund, 'RefundPage');

export const purchasedQuery = z.object({
  customerId: z.uuid(),
  itemId: z.uuid().optional().openapi({ description: 'Without it: has the customer bought anything at all' }),
});
export const purchased = z.object({ purchased: z.boolean() }).openapi('Purchased');
