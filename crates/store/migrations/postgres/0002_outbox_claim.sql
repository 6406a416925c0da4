-- Lets several instances deliver the outbox without sending a mail twice: a worker claims a
-- batch for a while (claimed_until) before it sends.
ALTER TABLE outbox ADD COLUMN claimed_until TIMESTAMPTZ;
