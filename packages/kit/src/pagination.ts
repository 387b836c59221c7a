import { ValidationFailed } from './errors';
import { z } from './zod';

/** Deeper pages are refused (400): an offset scan that far is a denial of service, and a bigger number would not fit the database's integers. */
export const MAX_OFFSET = 1_000_000;

/**
 * `?limit=` (1–100, default 20), and either `?offset=` (0–1000000, default 0) or `?after=<cursor>` (the
 * `nextCursor` of the previous page), as every list in the contract takes them. Both at once is refused (400)
 * where the cursor is read (lists.ts), so that this object stays extendable.
 */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ example: 20 }),
  // coerce would turn null into 0, so the generator would call it nullable; a query value never is.
  offset: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_OFFSET)
    .optional()
    .openapi({ example: 0, nullable: false, description: 'Rows to skip (default 0). Not with `after`.' } as never),
  after: z.string().min(1).max(1000).optional().openapi({
    description:
      "The previous page's `nextCursor`: the page after it, at the cost of the first page. Not with `offset`; valid only with the same filters and sort.",
  }),
});
export type PageQuery = z.output<typeof pageQuery>;

/** The schema of a page of `item`, with `extra` fields beside the page's own (an item's review page's summary). */
export function pageOf<T extends z.ZodType, E extends z.ZodRawShape = Record<never, never>>(item: T, name: string, extra?: E) {
  return z
    .object({
      ...(extra as E),
      data: z.array(item),
      total: z.number().int().min(0).openapi({
        description:
          'Exact up to COUNT_EXACT_LIMIT matching rows; above it an estimate (`totalIsEstimate`). A text search `q` counts up to SEARCH_PROBE_LIMIT (default 1000) matches, and estimates a common word (met more than SEARCH_COUNT_EXACT_LIMIT, default 20, times in a short walk of the sort order)',
      }),
      totalIsEstimate: z
        .boolean()
        .openapi({ description: 'True when `total` is an estimate (more than COUNT_EXACT_LIMIT rows match; for `q`, more than it counts, or a common word)' }),
      limit: z.number().int(),
      offset: z.number().int().optional().openapi({ description: 'Absent on a page read by cursor' }),
      nextCursor: z.string().nullable().openapi({ description: 'Pass as `?after=` for the next page; null on the last page' }),
    })
    .openapi(name);
}

/** Whether a page starts after a cursor, at an offset, or at the start; `after` with `offset` is a 400. */
export function pagePosition(query: PageQuery): { after?: string; offset: number } {
  if (query.after !== undefined && query.offset !== undefined) {
    throw new ValidationFailed('The request is not valid', [{ path: 'query.after', message: 'cannot be combined with offset: page by one or the other' }]);
  }
  return { after: query.after, offset: query.offset ?? 0 };
}

/** What a list read answers besides its rows (lists.ts). */
export interface Listed {
  total: number;
  totalIsEstimate: boolean;
  nextCursor: string | null;
}

export function page<T>(data: T[], listed: Listed, query: PageQuery) {
  const { total, totalIsEstimate, nextCursor } = listed;
  return { data, total, totalIsEstimate, limit: query.limit, ...(query.after === undefined ? { offset: query.offset ?? 0 } : {}), nextCursor };
}

/** Query-string booleans: only the words `true` and `false`. */
export const queryBoolean = z.enum(['true', 'false']).transform((value) => value === 'true');
