-- A paid booking checked in at the office becomes 'checked_in'. It keeps its place and
-- stays the NIK's one active booking, so the active states (BookingState::ACTIVE, the
-- `active_states!` list in sql.rs) gain it: the one-active-per-NIK index and the
-- places-taken triggers of 0005 are made again with the new list. No row is in the new
-- state yet, so the counts stand as they are.
DROP INDEX bookings_one_active_per_nik;
CREATE UNIQUE INDEX bookings_one_active_per_nik ON bookings (nik)
    WHERE state IN ('awaiting_payment', 'payment_pending', 'paid', 'checked_in');

DROP TRIGGER bookings_taken_delete;
CREATE TRIGGER bookings_taken_delete AFTER DELETE ON bookings
WHEN OLD.state IN ('awaiting_payment', 'payment_pending', 'paid', 'checked_in')
BEGIN
    UPDATE slots SET taken = taken - 1 WHERE id = OLD.slot_id;
END;

DROP TRIGGER bookings_taken_update;
CREATE TRIGGER bookings_taken_update AFTER UPDATE OF state, slot_id ON bookings
WHEN (OLD.state IN ('awaiting_payment', 'payment_pending', 'paid', 'checked_in'))
        <> (NEW.state IN ('awaiting_payment', 'payment_pending', 'paid', 'checked_in'))
    OR OLD.slot_id <> NEW.slot_id
BEGIN
    UPDATE slots SET taken = taken - 1
        WHERE id = OLD.slot_id
        AND OLD.state IN ('awaiting_payment', 'payment_pending', 'paid', 'checked_in');
    UPDATE slots SET taken = taken + 1
        WHERE id = NEW.slot_id
        AND NEW.state IN ('awaiting_payment', 'payment_pending', 'paid', 'checked_in');
END;

-- A booked ticket waits in the order of its session (the call policy): the session's
-- start, as an instant, kept with the ticket. None for a walk-in.
ALTER TABLE tickets ADD COLUMN session_start TEXT;
