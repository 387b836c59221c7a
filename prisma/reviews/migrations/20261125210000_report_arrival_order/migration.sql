-- Reports list in arrival order; created_at ties within a millisecond.
ALTER TABLE "review_reports" ADD COLUMN "seq" BIGSERIAL NOT NULL;
