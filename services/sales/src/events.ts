// What sales' webhook events mean and carry (docs/events.md is generated from this: `pnpm docs:reference`).
import type { EventCatalogue } from '@shop/kit';
import { SALE_EVENT_TYPES } from './data/sales.repo';
import { refund, sale } from './routes/sales.schemas';

const line = {
  itemId: '6a1f0c9e-2b3d-4e5f-8a7b-9c0d1e2f3a4b',
  itemName: 'Espresso cup',
  unitPriceCents: 1250,
  quantity: 2,
  totalCents: 2500,
  refundedQuantity: 0,
};

export const SALE_EVENTS: EventCatalogue<(typeof SALE_EVENT_TYPES)[number]> = {
  'sale.completed': {
    when: 'A purchase completed (stock taken, wallet debited); never one that failed or was undone.',
    data: sale,
    example: {
      id: '5b0c8d3e-2f7a-4c11-9d0e-6f1b2a3c4d5e',
      customerId: '0b7d3c0e-5e2a-4a8c-9f0d-1c2b3a4d5e6f',
      username: 'alice',
      itemId: line.itemId,
      itemName: line.itemName,
      unitPriceCents: line.unitPriceCents,
      quantity: line.quantity,
      lines: [line],
      totalCents: 2500,
      refundedCents: 0,
      status: 'completed',
      createdAt: '2026-11-30T05:21:13.456Z',
      updatedAt: '2026-11-30T05:21:13.456Z',
    },
  },
  'refund.completed': {
    when: 'A refund completed: the wallet was credited and, when `restocked`, the units went back to stock. Sent once per refund, also for one finished later by the recovery sweep.',
    data: refund,
    example: {
      id: '8c9d0e1f-2a3b-4c5d-8e6f-7a8b9c0d1e2f',
      saleId: '5b0c8d3e-2f7a-4c11-9d0e-6f1b2a3c4d5e',
      lines: [{ itemId: line.itemId, quantity: 1, amountCents: 1250 }],
      amountCents: 1250,
      reason: 'arrived broken',
      restocked: true,
      createdAt: '2026-11-30T07:00:00.000Z',
    },
  },
};
