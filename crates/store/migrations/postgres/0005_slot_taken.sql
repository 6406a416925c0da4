-- Places taken per slot, kept by the database itself. `slots.taken` counts the slot's
-- bookings in an active state (awaiting_payment, payment_pending, paid: the states of the
-- one-active-booking-per-NIK index), whatever their deadline. The places held at an instant
-- are `taken` minus the slot's unpaid holds whose deadline has passed (found through
-- bookings_slot_state and kept few by the expiry worker): see SLOT_USAGE in sql.rs.
-- A new booking is counted by the allocation paths themselves (`ADD_TAKEN`, once per slot
-- and batch, as on SQLite). Every later change, bookings moved or changing state (cancel,
-- reschedule, payment restore or refund, expiry, any state added later), is counted by the
-- statement triggers below in the same transaction, one UPDATE per statement and slot, so
-- no such path can forget it. A change that leaves a slot's count as it was (a payment)
-- does not touch the slot row.
ALTER TABLE slots ADD COLUMN taken BIGINT NOT NULL DEFAULT 0;

UPDATE slots s SET taken = c.n
FROM (SELECT slot_id, COUNT(*) AS n FROM bookings
      WHERE state IN ('awaiting_payment', 'payment_pending', 'paid') GROUP BY slot_id) c
WHERE c.slot_id = s.id;

CREATE FUNCTION slots_taken_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE slots s SET taken = s.taken - d.n
    FROM (SELECT slot_id, COUNT(*) AS n FROM old_rows
          WHERE state IN ('awaiting_payment', 'payment_pending', 'paid') GROUP BY slot_id) d
    WHERE s.id = d.slot_id;
    RETURN NULL;
END $$;

CREATE FUNCTION slots_taken_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE slots s SET taken = s.taken + d.n
    FROM (SELECT slot_id, SUM(n) AS n FROM (
              SELECT slot_id, -1 AS n FROM old_rows
              WHERE state IN ('awaiting_payment', 'payment_pending', 'paid')
              UNION ALL
              SELECT slot_id, 1 AS n FROM new_rows
              WHERE state IN ('awaiting_payment', 'payment_pending', 'paid')) x
          GROUP BY slot_id HAVING SUM(n) <> 0) d
    WHERE s.id = d.slot_id;
    RETURN NULL;
END $$;

CREATE TRIGGER bookings_taken_delete AFTER DELETE ON bookings
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION slots_taken_after_delete();
CREATE TRIGGER bookings_taken_update AFTER UPDATE ON bookings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION slots_taken_after_update();
