import { randomBytes } from 'node:crypto';

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, the version, then 74 random bits. Ids made one after another
 * sort in the order they were made, so an index on them takes each new one at its right-hand edge, beside the
 * previous one, instead of on a random leaf page (what a v4 id does, and what makes every insert read a page from
 * disk once the index outgrows the cache). The same layout as the SQL function uuid_v7() of the migrations.
 */
export function uuidV7(now = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
