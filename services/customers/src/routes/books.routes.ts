import { BOOKS_PAGE_MAX, booksPage, booksPageQuery, nextAfter, referencesLookup, z, type Api } from '@shop/kit';
import { MAX_AMOUNT_CENTS } from '@shop/kit/money';
import type { BooksDomain } from '../domain/books';

const ledgerFact = z
  .object({
    id: z.uuid(),
    customerId: z.uuid(),
    type: z.enum(['purchase', 'refund']),
    amountCents: z.number().int(),
    reference: z.string(),
  })
  .openapi('LedgerFact');
const walletFact = z
  .object({ id: z.uuid(), balanceCents: z.number().int(), ledgerSumCents: z.number().int().openapi({ description: 'The sum of the wallet’s ledger' }) })
  .openapi('WalletFact');
// Its own object, not an extension of ReferencesLookup: the document would show that strict schema and an
// extension of it (allOf), which no body could satisfy.
const ledgerLookup = z
  .strictObject({
    references: referencesLookup.shape.references,
    customerIds: z.array(z.uuid()).max(BOOKS_PAGE_MAX).default([]).openapi({ description: 'The customers of these sales and refunds' }),
  })
  .openapi('LedgerLookup', {
    example: { references: ['5b0c8d3e-2f7a-4c11-9d0e-6f1b2a3c4d5e'], customerIds: ['0d6c1f8a-3b2e-4c5d-8e9f-1a2b3c4d5e6f'] },
  });
const missingDebit = z
  .strictObject({ customerId: z.uuid(), amountCents: z.number().int().min(1).max(MAX_AMOUNT_CENTS), reference: z.string().min(1).max(255) })
  .openapi('MissingDebit', {
    example: { customerId: '0d6c1f8a-3b2e-4c5d-8e9f-1a2b3c4d5e6f', amountCents: 2500, reference: '5b0c8d3e-2f7a-4c11-9d0e-6f1b2a3c4d5e' },
  });

/**
 * The books audit's view of the wallets (sales runs the audit: `pnpm audit:books` and its timer). Sales only:
 * it is the service whose sagas write these entries, and the one credential the audit runs with.
 */
export function internalBooksRoutes(api: Api, books: BooksDomain) {
  const common = { tag: 'Internal' as const, access: 'service' as const, callers: ['sales' as const] };
  api.route(
    {
      ...common,
      method: 'post',
      path: '/internal/books/ledger-lookups',
      summary: 'The purchase and refund entries whose reference is one of these (sale or refund ids), and which of these customers exist',
      description: 'A deleted account takes its ledger with it: the audit does not expect entries of a customer absent from `existingCustomers`.',
      request: { body: ledgerLookup },
      response: {
        status: 200,
        description: 'The entries',
        schema: z.object({ data: z.array(ledgerFact), existingCustomers: z.array(z.uuid()) }).openapi('LedgerFacts'),
      },
    },
    async ({ body }) => ({ body: await books.ledgerByReferences(body.references, body.customerIds) }),
  );
  api.route(
    {
      ...common,
      method: 'get',
      path: '/internal/books/ledger',
      summary: 'Purchase and refund entries in id order (keyset pages), for the audit’s check that each names a known sale or refund',
      request: { query: booksPageQuery },
      response: { status: 200, description: 'A page of entries', schema: booksPage(ledgerFact, 'LedgerFactPage') },
    },
    async ({ query }) => {
      const data = await books.ledgerPage(query.after, query.limit);
      return { body: { data, nextAfter: nextAfter(data, query.limit) } };
    },
  );
  api.route(
    {
      ...common,
      method: 'get',
      path: '/internal/books/wallets',
      summary: 'Each wallet’s balance beside its ledger’s sum, in customer id order (keyset pages)',
      request: { query: booksPageQuery },
      response: { status: 200, description: 'A page of wallets', schema: booksPage(walletFact, 'WalletFactPage') },
    },
    async ({ query }) => {
      const data = await books.walletsPage(query.after, query.limit);
      return { body: { data, nextAfter: nextAfter(data, query.limit) } };
    },
  );
  api.route(
    {
      ...common,
      method: 'post',
      path: '/internal/books/debits',
      summary: 'Record a completed sale’s debit that this database lost (a restore from an older dump); idempotent by reference',
      description:
        '201 when debited now, 200 when this reference was already debited alike. 409 `conflict` when the reference was undone here ' +
        '(a tombstone) or debited otherwise; 402 `insufficient_funds` when the wallet cannot cover it: a person decides.',
      request: { body: missingDebit },
      response: { status: 201, description: 'Debited', schema: z.object({ debited: z.literal(true) }).openapi('MissingDebitResult') },
      errors: ['insufficient_funds', 'not_found', 'conflict'],
    },
    async ({ body }) => {
      const { created } = await books.recordMissingDebit(body);
      return { status: created ? 201 : 200, body: { debited: true as const } };
    },
  );
}
