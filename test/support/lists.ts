// The acceptance of a list (contract v4, Conventions: Lists and Cursors), in both forms: by offset and by cursor.

/** A page as every list answers it. */
export interface ListPage<T = { id: string }> {
  data: T[];
  total: number;
  totalIsEstimate: boolean;
  limit: number;
  offset?: number;
  nextCursor: string | null;
}

/** Fetches one page of a list: `position` is `{ offset }` or `{ after }` (with the list's own filters added by the caller). */
export type PageReader<T> = (position: { offset?: number; after?: string }) => Promise<{ status: number; body: ListPage<T> }>;

/** Where a page is wrong for the contract's shape, as readable strings ([] when it is right). */
export function pageViolations(body: ListPage<unknown>, position: { offset?: number; after?: string }): string[] {
  const out: string[] = [];
  if (!Array.isArray(body.data)) out.push('data is not an array');
  if (!Number.isInteger(body.total) || body.total < 0) out.push(`total ${body.total} is not a count`);
  if (typeof body.totalIsEstimate !== 'boolean') out.push('totalIsEstimate missing');
  if (!(typeof body.nextCursor === 'string' || body.nextCursor === null)) out.push('nextCursor missing (a string, or null on the last page)');
  if (position.after === undefined && body.offset !== (position.offset ?? 0)) out.push(`offset ${body.offset} is not the one asked`);
  if (position.after !== undefined && body.offset !== undefined) out.push('a page by cursor carries an offset');
  if (body.data.length > body.limit) out.push(`${body.data.length} rows on a page of ${body.limit}`);
  return out;
}

/**
 * Reads a whole list by cursor from its first page, checking each page's shape, until nextCursor is null. `between`
 * runs after each page (to insert rows while walking). Stops after `maxPages` (a list that never ends is a failure).
 */
export async function walkByCursor<T>(read: PageReader<T>, options: { between?: (page: number) => Promise<void>; maxPages?: number } = {}): Promise<T[]> {
  const rows: T[] = [];
  let after: string | undefined;
  for (let n = 0; n < (options.maxPages ?? 200); n++) {
    const position = after === undefined ? {} : { after };
    const res = await read(position);
    if (res.status !== 200) throw new Error(`page ${n + 1}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    const wrong = pageViolations(res.body, position);
    if (wrong.length) throw new Error(`page ${n + 1}: ${wrong.join('; ')}`);
    rows.push(...res.body.data);
    await options.between?.(n);
    if (res.body.nextCursor === null) return rows;
    if (res.body.data.length === 0) throw new Error(`page ${n + 1} is empty but has a nextCursor`);
    after = res.body.nextCursor;
  }
  throw new Error('the list did not end');
}

/** Reads a whole list by offset, page after page, checking each page's shape. */
export async function walkByOffset<T>(read: PageReader<T>, limit: number): Promise<T[]> {
  const rows: T[] = [];
  for (let offset = 0; offset < 100 * limit; offset += limit) {
    const res = await read({ offset });
    if (res.status !== 200) throw new Error(`offset ${offset}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    const wrong = pageViolations(res.body, { offset });
    if (wrong.length) throw new Error(`offset ${offset}: ${wrong.join('; ')}`);
    rows.push(...res.body.data);
    if (res.body.data.length < limit) {
      if (res.body.nextCursor !== null) throw new Error(`offset ${offset}: the last page has a nextCursor`);
      return rows;
    }
  }
  throw new Error('the list did not end');
}

/** The ids that occur more than once. */
export const duplicates = (ids: string[]) => ids.filter((id, i) => ids.indexOf(id) !== i);

/** The same cursor with one character in its middle changed (still base64url). */
export function tampered(cursor: string): string {
  const i = Math.floor(cursor.length / 2);
  return cursor.slice(0, i) + (cursor[i] === 'A' ? 'B' : 'A') + cursor.slice(i + 1);
}
