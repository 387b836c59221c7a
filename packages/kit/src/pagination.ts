import { z } from './zod';

/** Deeper pages are refused (400): an offset scan that far is a denial of service, and a bigger number would not fit the database's integers. */
export const MAX_OFFSET = 1_000_000;

/** `?limit=` (1–100, default 20) and `?offset=` (0–1000000, default 0), as every list in the contract takes them. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ example: 20 }),
  // coerce would turn null into 0, so the generator would call it nullable; a query value never is.
  offset: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_OFFSET)
    .default(0)
    .openapi({ example: 0, nullable: false } as never),
});
export type PageQuery = z.output<typeof pageQuery>;

export function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      data: z.array(item),
      total: z.number().int().min(0),
      limit: z.number().int(),
      offset: z.number().int(),
    })
    .openapi(name);
}

export function page<T>(data: T[], total: number, query: PageQuery) {
  return { data, total, limit: query.limit, offset: query.offset };
}

/** Query-string booleans: only the words `true` and `false`. */
export const queryBoolean = z.enum(['true', 'false']).transform((value) => value === 'true');
