import { z } from '@shop/kit';

const reference = z.string().min(1).max(255).openapi({ description: 'The sale id', example: '5b0c8d3e-2f7a-4c11-9d0e-6f1b2a3c4d5e' });

const basketLine = z.strictObject({ itemId: z.uuid(), quantity: z.number().int().min(1).max(1000) });
const basketLines = z
  .array(basketLine)
  .min(1)
  .max(50)
  .refine((lines) => new Set(lines.map((line) => line.itemId.toLowerCase())).size === lines.length, 'each item at most once');

export const reservationRequest = z
  .strictObject({
    reference,
    lines: basketLines.openapi({ description: 'Every line is taken, or none (1–50 lines, each item at most once)' }),
  })
  .openapi('StockReservationRequest', {
    example: { reference: '5b0c8d3e-2f7a-4c11-9d0e-6f1b2a3c4d5e', lines: [{ itemId: '0f8fad5b-d9cb-469f-a165-70867728950e', quantity: 2 }] },
  });

export const reservation = z
  .object({
    reference: z.string(),
    lines: z.array(
      z.object({
        itemId: z.uuid(),
        quantity: z.number().int().min(1),
        itemName: z.string().openapi({ description: "The item's name when the stock was taken" }),
        unitPriceCents: z.number().int().min(1).openapi({ description: "The item's price when the stock was taken: sales charges it" }),
        stockCount: z.number().int().min(0).openapi({ description: 'The stock left right after this reservation' }),
      }),
    ),
  })
  .openapi('StockReservation');

export const releaseRequest = z.strictObject({ reference }).openapi('StockReleaseRequest', { example: { reference: '5b0c8d3e-2f7a-4c11-9d0e-6f1b2a3c4d5e' } });

export const releaseResult = z
  .object({
    outcome: z.enum(['released', 'already_released', 'voided']).openapi({
      description: '`voided`: nothing was reserved; the reference is now void and a late reservation with it is refused (409)',
    }),
  })
  .openapi('StockReleaseResult');

export const returnRequest = z
  .strictObject({
    reference: z.string().min(1).max(255).openapi({ description: 'The refund id', example: '9c1d7e2a-4b3f-4a5e-8d6c-7b8a9c0d1e2f' }),
    lines: basketLines.openapi({ description: 'The units to put back (1–50 lines, each item at most once)' }),
  })
  .openapi('StockReturnRequest', {
    example: { reference: '9c1d7e2a-4b3f-4a5e-8d6c-7b8a9c0d1e2f', lines: [{ itemId: '0f8fad5b-d9cb-469f-a165-70867728950e', quantity: 1 }] },
  });

export const returnResult = z
  .object({
    outcome: z
      .enum(['returned', 'already_returned'])
      .openapi({ description: '`already_returned`: this reference put the same lines back before; nothing moved now' }),
  })
  .openapi('StockReturnResult');
