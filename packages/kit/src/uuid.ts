/**
 * UUIDv7 (RFC 9562: 48 bits of Unix milliseconds, then random bits), from the `uuid` package. Ids made one after
 * another sort in the order they were made, so an index on them takes each new one at its right-hand edge, beside
 * the previous one, instead of on a random leaf page (what a v4 id does, and what makes every insert read a page
 * from disk once the index outgrows the cache). The same layout as the SQL function uuid_v7() of the migrations.
 */
export { v7 as uuidV7 } from 'uuid';
