-- Places taken per slot, kept by the database itself. `slots.taken` counts the slot's
-- bookings in an active state (awaiting_payment, payment_pending, paid: the states of the
-- one-active-booking-per-NIK index), whatever their deadline. The places held at an instant
-- are `taken` minus the slot's unpaid holds whose deadline has passed (found through
-- bookings_slot_state and kept few by the expiry worker): see SLOT_USAGE in sql.rs.
-- Statement triggers keep it in the transaction that inserts, moves or changes the state
-- of bookings, one UPDATE per statement and slot (a batch of allocations is one insert),
-- so no write path can forget it, and an older instance running beside a newer one during
-- a rollout keeps it too. A change that leaves a slot's count as it was (a payment) does
-- not touch the slot row.
ALTER TABLE slots ADD COLUMN taken BIGINT NOT NULL DEFAULT 0;

UPDATE slots s SET taken = c.n
FROM (SELECT slot_id, COUNT(*) AS n FROM bookings
      WHERE state IN ('awaiting_payment', 'payment_pending', 'paid') GROUP BY slot_id) c
WHERE c.slot_id = s.id;

CREATE FUNCTION slots_taken_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE slots s SET taken = s.taken + d.n
    FROM (SELECT slot_id, COUNT(*) AS n FROM new_rows
          WHERE state IN ('awaiting_payment', 'payment_pending', 'paid') GROUP BY slot_id) d
    WHERE s.id = d.slot_id;
    RETURN NULL;
END $$;

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

CREATE TRIGGER bookings_taken_insert AFTER INSERT ON bookings
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION slots_taken_after_insert();
CREATE TRIGGER bookings_taken_delete AFTER DELETE ON bookings
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION slots_taken_after_delete();
CREATE TRIGGER bookings_taken_update AFTER UPDATE ON bookings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION slots_taken_after_update();
