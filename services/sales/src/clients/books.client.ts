import { UpstreamUnavailable, z, type ServiceClient } from '@shop/kit';
import type { BooksCustomers, BooksInventory } from '../domain/books-model';
import type { CustomersClient } from './customers.client';
import type { InventoryClient } from './inventory.client';

/** The page size of the audit's reads (the routes allow up to 1000). */
export const BOOKS_PAGE = 500;

const ledgerFact = z.object({ id: z.string(), customerId: z.string(), type: z.enum(['purchase', 'refund']), amountCents: z.number(), reference: z.string() });
const movementFact = z.object({
  id: z.string(),
  itemId: z.string(),
  kind: z.enum(['reservation', 'release', 'return']),
  delta: z.number(),
  reference: z.string(),
});
const page = <T extends z.ZodType>(row: T) => z.object({ data: z.array(row), nextAfter: z.string().nullable() });
const wallet = z.object({ id: z.string(), balanceCents: z.number(), ledgerSumCents: z.number() });
const item = z.object({ id: z.string(), stockCount: z.number(), movementSum: z.number() });

/** Reads that must answer 200 with this shape; anything else is an unknown outcome (the audit stops, reporting nothing false). */
async function read<T extends z.ZodType>(http: ServiceClient, service: string, call: Parameters<ServiceClient['call']>[0], schema: T): Promise<z.output<T>> {
  const { status, body } = await http.call({ ...call, retry: true });
  const parsed = schema.safeParse(body);
  if (status !== 200 || !parsed.success) throw new UpstreamUnavailable(service, `answered ${status} to ${call.path}: ${JSON.stringify(body)?.slice(0, 200)}`);
  return parsed.data;
}
const after = (cursor: string | undefined) => (cursor ? `&after=${encodeURIComponent(cursor)}` : '');

/** Customers' /internal/books/ routes, beside the saga's own wallet steps (the repairs use those). */
export function customersBooksClient(http: ServiceClient, saga: CustomersClient): BooksCustomers {
  return {
    async ledgerByReferences(references, customerIds, requestId) {
      const body = await read(
        http,
        'customers',
        { method: 'POST', path: '/internal/books/ledger-lookups', body: { references, customerIds }, requestId },
        z.object({ data: z.array(ledgerFact), existingCustomers: z.array(z.string()) }),
      );
      return { entries: body.data, existingCustomers: new Set(body.existingCustomers) };
    },
    ledgerPage: (cursor, requestId) =>
      read(http, 'customers', { method: 'GET', path: `/internal/books/ledger?limit=${BOOKS_PAGE}${after(cursor)}`, requestId }, page(ledgerFact)),
    walletsPage: (cursor, requestId) =>
      read(http, 'customers', { method: 'GET', path: `/internal/books/wallets?limit=${BOOKS_PAGE}${after(cursor)}`, requestId }, page(wallet)),
    async recordMissingDebit(input, requestId) {
      const { status, body } = await http.call({ method: 'POST', path: '/internal/books/debits', body: input, requestId, retry: true });
      if (status === 200 || status === 201) return 'debited';
      if (status === 402 || status === 404 || status === 409) return 'refused';
      throw new UpstreamUnavailable('customers', `answered ${status} to a missing debit: ${JSON.stringify(body)?.slice(0, 200)}`);
    },
    refund: (input, requestId) => saga.refund(input, requestId),
    credit: (input, requestId) => saga.credit(input, requestId),
  };
}

/** Inventory's /internal/books/ routes, beside the saga's own stock steps (the repairs use those). */
export function inventoryBooksClient(http: ServiceClient, saga: InventoryClient): BooksInventory {
  return {
    async movementsByReferences(references, requestId) {
      const body = await read(
        http,
        'inventory',
        { method: 'POST', path: '/internal/books/movement-lookups', body: { references }, requestId },
        z.object({ data: z.array(movementFact), reservations: z.array(z.object({ reference: z.string(), state: z.string() })) }),
      );
      return { movements: body.data, reservations: new Map(body.reservations.map((r) => [r.reference, r.state])) };
    },
    movementsPage: (cursor, requestId) =>
      read(http, 'inventory', { method: 'GET', path: `/internal/books/movements?limit=${BOOKS_PAGE}${after(cursor)}`, requestId }, page(movementFact)),
    itemsPage: (cursor, requestId) =>
      read(http, 'inventory', { method: 'GET', path: `/internal/books/items?limit=${BOOKS_PAGE}${after(cursor)}`, requestId }, page(item)),
    reserve: (input, requestId) => saga.reserve(input, requestId),
    release: (reference, requestId) => saga.release(reference, requestId),
    returnStock: (input, requestId) => saga.returnStock(input, requestId),
  };
}
