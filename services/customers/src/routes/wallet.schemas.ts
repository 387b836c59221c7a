import { pageOf, z } from '@shop/kit';

export const transaction = z
  .object({
    id: z.uuid(),
    type: z.enum(['deposit', 'purchase', 'refund']),
    amountCents: z.number().int().openapi({ description: 'Signed: purchases are negative' }),
    balanceAfterCents: z.number().int().min(0),
    reference: z.string().nullable().openapi({ description: 'The sale id for purchases and refunds' }),
    createdAt: z.iso.datetime(),
  })
  .openapi('WalletTransaction');

export const transactionPage = pageOf(transaction, 'WalletTransactionPage');

export const deposit = z.strictObject({ amountCents: z.number().int().min(1).max(100_000_000) }).openapi('Deposit', { example: { amountCents: 5000 } });

export const depositResult = z.object({ balanceCents: z.number().int().min(0), transaction }).openapi('DepositResult');

const reference = z.string().min(1).max(255).openapi({ example: '5b0c8d3e-2f7a-4c11-9d0e-6f1b2a3c4d5e' });

export const debit = z
  .strictObject({ customerId: z.uuid(), amountCents: z.number().int().min(1).max(100_000_000_000), reference })
  .openapi('Debit', { example: { customerId: '0f8fad5b-d9cb-469f-a165-70867728950e', amountCents: 1999, reference: '5b0c8d3e-2f7a-4c11-9d0e-6f1b2a3c4d5e' } });
export const debitResult = z.object({ balanceCents: z.number().int().min(0), transaction }).openapi('DebitResult');

export const refund = z
  .strictObject({ customerId: z.uuid(), reference })
  .openapi('Refund', { example: { customerId: '0f8fad5b-d9cb-469f-a165-70867728950e', reference: '5b0c8d3e-2f7a-4c11-9d0e-6f1b2a3c4d5e' } });
export const refundResult = z
  .object({
    outcome: z.enum(['refunded', 'already_refunded', 'voided']).openapi({
      description: '`voided`: no debit existed; the reference is now void and a late debit with it is refused',
    }),
    transaction: transaction.optional().openapi({ description: 'The refund entry; absent when the reference was voided' }),
  })
  .openapi('RefundResult');

export const credit = z
  .strictObject({ customerId: z.uuid(), amountCents: z.number().int().min(1).max(100_000_000_000), reference })
  .openapi('Credit', { example: { customerId: '0f8fad5b-d9cb-469f-a165-70867728950e', amountCents: 1999, reference: '9c1d7e2a-4b3f-4a5e-8d6c-7b8a9c0d1e2f' } });
export const creditResult = z.object({ balanceCents: z.number().int().min(0), transaction }).openapi('CreditResult');
