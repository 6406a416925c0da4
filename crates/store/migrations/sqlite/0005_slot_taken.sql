-- Places taken per slot, kept by the database itself. `slots.taken` counts the slot's
-- bookings in an active state (awaiting_payment, payment_pending, paid: the states of the
-- one-active-booking-per-NIK index), whatever their deadline. The places held at an instant
-- are `taken` minus the slot's unpaid holds whose deadline has passed (found through
-- bookings_slot_state and kept few by the expiry worker): see SLOT_USAGE in sql.rs.
-- A new booking is counted by the allocation paths themselves (`ADD_TAKEN`, once per slot
-- and batch: a trigger on insert would cost the allocator a row update and a statement
-- journal per booking). Every later change, a booking moved or changing state (cancel,
-- reschedule, payment restore or refund, expiry, any state added later), is counted by the
-- triggers below in the same transaction, so no such path can forget it.
ALTER TABLE slots ADD COLUMN taken BIGINT NOT NULL DEFAULT 0;

UPDATE slots SET taken = (SELECT COUNT(*) FROM bookings b WHERE b.slot_id = slots.id
    AND b.state IN ('awaiting_payment', 'payment_pending', 'paid'));

CREATE TRIGGER bookings_taken_delete AFTER DELETE ON bookings
WHEN OLD.state IN ('awaiting_payment', 'payment_pending', 'paid')
BEGIN
    UPDATE slots SET taken = taken - 1 WHERE id = OLD.slot_id;
END;

CREATE TRIGGER bookings_taken_update AFTER UPDATE OF state, slot_id ON bookings
WHEN (OLD.state IN ('awaiting_payment', 'payment_pending', 'paid'))
        <> (NEW.state IN ('awaiting_payment', 'payment_pending', 'paid'))
    OR OLD.slot_id <> NEW.slot_id
BEGIN
    UPDATE slots SET taken = taken - 1
        WHERE id = OLD.slot_id AND OLD.state IN ('awaiting_payment', 'payment_pending', 'paid');
    UPDATE slots SET taken = taken + 1
        WHERE id = NEW.slot_id AND NEW.state IN ('awaiting_payment', 'payment_pending', 'paid');
END;
