-- Only reports from customers who bought something count toward the threshold. Reports made before this
-- counted, so they are marked as counting; a new report must say (no default).
ALTER TABLE "review_reports" ADD COLUMN "from_buyer" BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE "review_reports" ALTER COLUMN "from_buyer" DROP DEFAULT;
