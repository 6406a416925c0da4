-- Mail about bookings (notices) is derived after the fact, never inside the change it tells
-- of, so no booking transaction (least of all the hold, the rush's hot path) does more work.
--
-- A recorded state change is noticed once: the notices worker marks its event row in the
-- same transaction that queues its mail (or marks it without mail when none is called
-- for), by a conditional update, so a crash neither loses nor doubles a mail and two
-- instances never both send it. The partial index holds only the events not yet noticed.
ALTER TABLE booking_events ADD COLUMN noticed_at TIMESTAMPTZ;

-- The changes recorded before notices existed are history, not news: none of them is mailed.
UPDATE booking_events SET noticed_at = at;

CREATE INDEX booking_events_unnoticed ON booking_events (id) WHERE noticed_at IS NULL;

-- The notices that no recorded change stands behind: the hold (a new booking writes no
-- event, to keep the hold cheap) and the day-before reminder. `about` tells apart the
-- notices of one kind that a booking may get: '' for the hold (once per booking), the
-- service date (YYYY-MM-DD) for a reminder (once per date, so a booking moved to another
-- day is reminded of its new day). The key makes each one once, whichever instance inserts
-- it first.
CREATE TABLE booking_notices (
    booking_id UUID NOT NULL REFERENCES bookings (id),
    kind TEXT NOT NULL,
    about TEXT NOT NULL,
    noticed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (booking_id, kind, about)
);
