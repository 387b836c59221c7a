-- Deep offsets sorted by name (issue 23). A page by offset skips its rows in the sort's index alone (the deferred
-- join: only ids are read for the rows it skips), but PostgreSQL can answer from an expression index only when the
-- columns the expression reads are in it: the name indexes held lower(name), not name, so every skipped row was
-- read from the table. At a million items, offset 500,000 by name read 106,839 buffers; with name carried as an
-- INCLUDE column the walk is an index-only scan of 4,677 (0 heap fetches). The new index is built before the old
-- one is dropped, so the sort keeps an index throughout; CREATE INDEX blocks writes to items while it builds
-- (about 8 s per index at a million rows on the bench machine).
CREATE INDEX "items_name_cover_idx" ON "items" (lower("name"), "id") INCLUDE ("name") WHERE "deleted_at" IS NULL;
DROP INDEX "items_name_idx";
ALTER INDEX "items_name_cover_idx" RENAME TO "items_name_idx";

CREATE INDEX "items_category_name_cover_idx" ON "items" ("category", lower("name"), "id") INCLUDE ("name") WHERE "deleted_at" IS NULL;
DROP INDEX "items_category_name_idx";
ALTER INDEX "items_category_name_cover_idx" RENAME TO "items_category_name_idx";
