import { pageOf, z } from '@shop/kit';
import { MAX_AMOUNT_CENTS } from '@shop/kit/money';

export const transaction = z
  .object({
    id: z.uuid(),
    type: z.enum(['deposit', 'purchase', 'refund', 'adjustment']),
    amountCents: z.number().int().openapi({ description: 'Signed: purchases (and adjustments that take money out) are negative' }),
    balanceAfterCents: z.number().int().min(0),
    reference: z.string().nullable().openapi({ description: 'The sale id for purchases and refunds' }),
    reason: z.string().optional().openapi({ description: 'Why an admin adjusted the wallet (adjustments only)' }),
    createdAt: z.iso.datetime(),
  })
  .openapi('WalletTransaction');

export const transactionPage = pageOf(transaction, 'WalletTransactionPage');

export const deposit = z.strictObject({ amountCents: z.number().int().min(1).max(100_000_000) }).openapi('Deposit', { example: { amountCents: 5000 } });

export const depositResult = z.object({ balanceCents: z.number().int().min(0), transaction }).openapi('DepositResult');

export const adjustment = z
  .strictObject({
    amountCents: z
      .number()
      .int()
      .min(-MAX_AMOUNT_CENTS)
      .max(MAX_AMOUNT_CENTS)
      .refine((amount) => amount !== 0, 'must not be 0')
      .openapi({ description: 'Non-zero: positive adds money, negative takes it out' }),
    reason: z.string().trim().min(1).max(200),
  })
  .openapi('Adjustment', { example: { amountCents: -2500, reason: 'Chargeback of a card payment' } });

export const balance = z.object({ balanceCents: z.number().int().min(0) }).openapi('Balance');
export const customerIdParams = z.object({ id: z.uuid() });

const reference = z.string().min(1).max(255).openapi({ example: '5b0c8d3e-2f7a-4c11-9d0e-6f1b2a3c4d5e' });

export const debit = z
  .strictObject({
    customerId: z.uuid(),
    amountCents: z.number().int().min(1).max(MAX_AMOUNT_CENTS),
    reference,
    sessionId: z.uuid().openapi({ description: "The buyer's session (the access token's `sid`): the debit is refused (401) once it has ended" }),
  })
  .openapi('Debit', {
    example: {
      customerId: '0f8fad5b-d9cb-469f-a165-70867728950e',
      amountCents: 1999,
      reference: '5b0c8d3e-2f7a-4c11-9d0e-6f1b2a3c4d5e',
      sessionId: '7d444840-9dc0-11d1-b245-5ffdce74fad2',
    },
  });
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
  .strictObject({ customerId: z.uuid(), amountCents: z.number().int().min(1).max(MAX_AMOUNT_CENTS), reference })
  .openapi('Credit', { example: { customerId: '0f8fad5b-d9cb-469f-a165-70867728950e', amountCents: 1999, reference: '9c1d7e2a-4b3f-4a5e-8d6c-7b8a9c0d1e2f' } });
export const creditResult = z.object({ balanceCents: z.number().int().min(0), transaction }).openapi('CreditResult');
