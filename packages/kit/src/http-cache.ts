import { createHash } from 'node:crypto';

// HTTP caching of public reads (RFC 9111): their entity tags and the If-None-Match comparison.

/** A public read: may be stored, but revalidated before each use (stock changes with every sale). */
export const REVALIDATE = 'public, no-cache';
/** The same read by a caller with credentials: theirs alone. */
export const REVALIDATE_PRIVATE = 'private, no-cache';

/** A strong, opaque entity tag: a short hash, so row versions (transaction ids) are not disclosed. */
export function entityTag(version: string, query: string): string {
  return `"${createHash('sha1').update(version).update('\u0000').update(query).digest('base64url').slice(0, 22)}"`;
}

/** If-None-Match (RFC 9110 §13.1.2): `*`, or a list of tags compared weakly (a W/ prefix is ignored). */
export function noneMatch(header: string | undefined, tag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === tag);
}
