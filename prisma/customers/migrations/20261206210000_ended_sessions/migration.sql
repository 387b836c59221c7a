-- Ended sessions, published to the other services (GET /internal/sessions/ended): every end of a live session
-- is recorded by a trigger in the transaction that deletes it, whatever path deleted it (logout, session end,
-- end-all, password change, refresh-token reuse, the per-customer cap, account deletion through the cascade).
-- Kept only until every access token of the session has expired (a retention timer in customers).

-- CreateTable
CREATE TABLE "ended_sessions" (
    "session_id" UUID NOT NULL,
    "ended_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ended_sessions_pkey" PRIMARY KEY ("session_id")
);

-- CreateIndex: the feed reads by (ended_at, session_id) and retention deletes by ended_at.
CREATE INDEX "ended_sessions_ended_at_session_id_idx" ON "ended_sessions"("ended_at", "session_id");

-- CreateIndex: the purge of expired counters reads by reset_at.
CREATE INDEX "rate_limit_hits_reset_at_idx" ON "rate_limit_hits"("reset_at");

-- The time of the delete itself (not of the transaction's start), to the millisecond the feed's cursor carries.
-- A session whose refresh token had already expired has no live access token left: nothing to publish.
CREATE FUNCTION record_ended_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.expires_at > now() THEN
    INSERT INTO ended_sessions (session_id, ended_at) VALUES (OLD.id, date_trunc('milliseconds', clock_timestamp()))
    ON CONFLICT (session_id) DO NOTHING;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER sessions_record_end AFTER DELETE ON "sessions" FOR EACH ROW EXECUTE FUNCTION record_ended_session();
