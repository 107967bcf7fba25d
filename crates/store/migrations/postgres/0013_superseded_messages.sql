-- Regenerate and "edit and resend" answer the last message again. What they
-- replace is kept, marked superseded: the model is no longer sent it and the
-- page hides it, while the transcript and the compliance export keep every
-- call that was made (a write that ran stays on record).

ALTER TABLE messages ADD COLUMN superseded BIGINT NOT NULL DEFAULT 0;
