import { booksPage, booksPageQuery, nextAfter, referencesLookup, z, type Api } from '@shop/kit';
import type { BooksRepo } from '../domain/model';

const movementFact = z
  .object({ id: z.uuid(), itemId: z.uuid(), kind: z.enum(['reservation', 'release', 'return']), delta: z.number().int(), reference: z.string() })
  .openapi('MovementFact');
const itemStockFact = z
  .object({ id: z.uuid(), stockCount: z.number().int(), movementSum: z.number().int().openapi({ description: 'The sum of the item’s movements' }) })
  .openapi('ItemStockFact');

/**
 * The books audit's view of the stock (sales runs the audit: `pnpm audit:books` and its timer). Sales only: it
 * is the service whose sagas write these movements, and the one credential the audit runs with. Its repairs use
 * the sagas' own stock steps (/internal/stock/…).
 */
export function internalBooksRoutes(api: Api, books: BooksRepo) {
  const common = { tag: 'Internal' as const, access: 'service' as const, callers: ['sales' as const] };
  api.route(
    {
      ...common,
      method: 'post',
      path: '/internal/books/movement-lookups',
      summary: 'The movements and reservations whose reference is one of these (sale or refund ids)',
      request: { body: referencesLookup },
      response: {
        status: 200,
        description: 'The movements and reservation states',
        schema: z
          .object({ data: z.array(movementFact), reservations: z.array(z.object({ reference: z.string(), state: z.string() })) })
          .openapi('MovementFacts'),
      },
    },
    async ({ body }) => {
      const { movements, reservations } = await books.movementsByReferences(body.references);
      return { body: { data: movements, reservations } };
    },
  );
  api.route(
    {
      ...common,
      method: 'get',
      path: '/internal/books/movements',
      summary: 'Reservation, release and return movements in id order (keyset pages), for the audit’s check that each names a known sale or refund',
      request: { query: booksPageQuery },
      response: { status: 200, description: 'A page of movements', schema: booksPage(movementFact, 'MovementFactPage') },
    },
    async ({ query }) => {
      const data = await books.movementsPage(query.after, query.limit);
      return { body: { data, nextAfter: nextAfter(data, query.limit) } };
    },
  );
  api.route(
    {
      ...common,
      method: 'get',
      path: '/internal/books/items',
      summary: 'Each item’s stock beside the sum of its movements, in item id order (keyset pages)',
      request: { query: booksPageQuery },
      response: { status: 200, description: 'A page of items', schema: booksPage(itemStockFact, 'ItemStockFactPage') },
    },
    async ({ query }) => {
      const data = await books.itemsPage(query.after, query.limit);
      return { body: { data, nextAfter: nextAfter(data, query.limit) } };
    },
  );
}
