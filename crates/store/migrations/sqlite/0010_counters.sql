-- The counter's outcomes move a checked-in booking on: 'accepted' (on to processing) and
-- 'documents_missing' (documents to bring within 7 days) stay the NIK's one active
-- application and keep their place; 'rejected' frees the NIK. The active states
-- (BookingState::ACTIVE, `active_states!` in sql.rs) gain the first two: the
-- one-active-per-NIK index and the places-taken triggers are made again with the list.
-- No row is in the new states yet, so the counts stand as they are.
DROP INDEX bookings_one_active_per_nik;
CREATE UNIQUE INDEX bookings_one_active_per_nik ON bookings (nik)
    WHERE state IN ('awaiting_payment', 'payment_pending', 'paid', 'checked_in', 'accepted', 'documents_missing');

DROP TRIGGER bookings_taken_delete;
CREATE TRIGGER bookings_taken_delete AFTER DELETE ON bookings
WHEN OLD.state IN ('awaiting_payment', 'payment_pending', 'paid', 'checked_in', 'accepted', 'documents_missing')
BEGIN
    UPDATE slots SET taken = taken - 1 WHERE id = OLD.slot_id;
END;

DROP TRIGGER bookings_taken_update;
CREATE TRIGGER bookings_taken_update AFTER UPDATE OF state, slot_id ON bookings
WHEN (OLD.state IN ('awaiting_payment', 'payment_pending', 'paid', 'checked_in', 'accepted', 'documents_missing'))
        <> (NEW.state IN ('awaiting_payment', 'payment_pending', 'paid', 'checked_in', 'accepted', 'documents_missing'))
    OR OLD.slot_id <> NEW.slot_id
BEGIN
    UPDATE slots SET taken = taken - 1
        WHERE id = OLD.slot_id
        AND OLD.state IN ('awaiting_payment', 'payment_pending', 'paid', 'checked_in', 'accepted', 'documents_missing');
    UPDATE slots SET taken = taken + 1
        WHERE id = NEW.slot_id
        AND NEW.state IN ('awaiting_payment', 'payment_pending', 'paid', 'checked_in', 'accepted', 'documents_missing');
END;

-- What a counter does with a ticket: the stage it waits at (documents, then pickup), how
-- often it was called there, the counter that called it, when (the last call, and the
-- first, which orders the calls for the call policy's priority streak), since when it
-- waits (its issue, or its transfer to another stage), and how it was finished.
ALTER TABLE tickets ADD COLUMN stage TEXT NOT NULL DEFAULT 'documents';
ALTER TABLE tickets ADD COLUMN calls INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN counter_no INTEGER;
ALTER TABLE tickets ADD COLUMN called_at TEXT;
ALTER TABLE tickets ADD COLUMN first_called_at TEXT;
ALTER TABLE tickets ADD COLUMN waiting_since TEXT;
ALTER TABLE tickets ADD COLUMN finished_at TEXT;
ALTER TABLE tickets ADD COLUMN outcome TEXT;
ALTER TABLE tickets ADD COLUMN outcome_reason TEXT;
UPDATE tickets SET waiting_since = issued_at;
-- The waiting tickets of an office's day, which every call reads.
CREATE INDEX tickets_waiting ON tickets (office_code, service_date, state);
-- A counter serves one ticket at a time: a second call while one is called (a double
-- click, two browser tabs, two instances) fails here whatever the check before it saw.
CREATE UNIQUE INDEX tickets_one_called_per_counter ON tickets (office_code, service_date, counter_no)
    WHERE state = 'called';
