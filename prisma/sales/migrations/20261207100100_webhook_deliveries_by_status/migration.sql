-- Issue 23: GET /webhooks/subscriptions/:id/deliveries?status= reads an index that serves its filter and its order
-- (newest first, scanned backwards), instead of walking the subscription's every delivery for the status asked.
-- (status is already in the due and finished partial indexes, so its updates were not HOT before either.)
CREATE INDEX "webhook_deliveries_subscription_id_status_seq_idx" ON "webhook_deliveries" ("subscription_id", "status", "seq");
