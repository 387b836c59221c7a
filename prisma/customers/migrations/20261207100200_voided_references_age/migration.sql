-- Issue 23: retention deletes voided references past VOIDED_REFERENCE_RETENTION_HOURS, oldest first, by this index.
CREATE INDEX "voided_references_created_at_idx" ON "voided_references" ("created_at");
