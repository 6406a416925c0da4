-- A paid booking checked in at the office becomes 'checked_in'. It keeps its place and
-- stays the NIK's one active booking, so the active states (BookingState::ACTIVE, the
-- `active_states!` list in sql.rs) gain it: the one-active-per-NIK index and the
-- places-taken trigger functions of 0005 are made again with the new list. No row is in
-- the new state yet, so the counts stand as they are.
DROP INDEX bookings_one_active_per_nik;
CREATE UNIQUE INDEX bookings_one_active_per_nik ON bookings (nik)
    WHERE state IN ('awaiting_payment', 'payment_pending', 'paid', 'checked_in');

CREATE OR REPLACE FUNCTION slots_taken_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE slots s SET taken = s.taken - d.n
    FROM (SELECT slot_id, COUNT(*) AS n FROM old_rows
          WHERE state IN ('awaiting_payment', 'payment_pending', 'paid', 'checked_in')
          GROUP BY slot_id) d
    WHERE s.id = d.slot_id;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION slots_taken_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE slots s SET taken = s.taken + d.n
    FROM (SELECT slot_id, SUM(n) AS n FROM (
              SELECT slot_id, -1 AS n FROM old_rows
              WHERE state IN ('awaiting_payment', 'payment_pending', 'paid', 'checked_in')
              UNION ALL
              SELECT slot_id, 1 AS n FROM new_rows
              WHERE state IN ('awaiting_payment', 'payment_pending', 'paid', 'checked_in')) x
          GROUP BY slot_id HAVING SUM(n) <> 0) d
    WHERE s.id = d.slot_id;
    RETURN NULL;
END $$;

-- A booked ticket waits in the order of its session (the call policy): the session's
-- start, as an instant, kept with the ticket. None for a walk-in.
ALTER TABLE tickets ADD COLUMN session_start TIMESTAMPTZ;
