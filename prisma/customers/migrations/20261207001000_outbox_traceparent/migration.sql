-- The W3C traceparent of the span that wrote the event (NULL when tracing is off): its webhook deliveries are
-- linked to it, so a delivery's trace leads back to the request that caused it (docs/operations.md, "Tracing").
ALTER TABLE "outbox_events" ADD COLUMN "traceparent" VARCHAR(55);
