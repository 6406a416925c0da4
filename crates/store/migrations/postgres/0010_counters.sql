-- The counter's outcomes move a checked-in booking on: 'accepted' (on to processing) and
-- 'documents_missing' (documents to bring within 7 days) stay the NIK's one active
-- application and keep their place; 'rejected' frees the NIK. The active states
-- (BookingState::ACTIVE, `active_states!` in sql.rs) gain the first two: the
-- one-active-per-NIK index and the places-taken trigger functions are made again with the list.
-- No row is in the new states yet, so the counts stand as they are.
DROP INDEX bookings_one_active_per_nik;
CREATE UNIQUE INDEX bookings_one_active_per_nik ON bookings (nik)
    WHERE state IN ('awaiting_payment', 'payment_pending', 'paid', 'checked_in', 'accepted', 'documents_missing');

CREATE OR REPLACE FUNCTION slots_taken_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE slots s SET taken = s.taken - d.n
    FROM (SELECT slot_id, COUNT(*) AS n FROM old_rows
          WHERE state IN ('awaiting_payment', 'payment_pending', 'paid', 'checked_in', 'accepted', 'documents_missing')
          GROUP BY slot_id) d
    WHERE s.id = d.slot_id;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION slots_taken_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE slots s SET taken = s.taken + d.n
    FROM (SELECT slot_id, SUM(n) AS n FROM (
              SELECT slot_id, -1 AS n FROM old_rows
              WHERE state IN ('awaiting_payment', 'payment_pending', 'paid', 'checked_in', 'accepted', 'documents_missing')
              UNION ALL
              SELECT slot_id, 1 AS n FROM new_rows
              WHERE state IN ('awaiting_payment', 'payment_pending', 'paid', 'checked_in', 'accepted', 'documents_missing')) x
          GROUP BY slot_id HAVING SUM(n) <> 0) d
    WHERE s.id = d.slot_id;
    RETURN NULL;
END $$;

-- What a counter does with a ticket: the stage it waits at (documents, then pickup), how
-- often it was called there, the counter that called it, when (the last call, and the
-- first, which orders the calls for the call policy's priority streak), since when it
-- waits (its issue, or its transfer to another stage), and how it was finished.
ALTER TABLE tickets ADD COLUMN stage TEXT NOT NULL DEFAULT 'documents';
ALTER TABLE tickets ADD COLUMN calls BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN counter_no BIGINT;
ALTER TABLE tickets ADD COLUMN called_at TIMESTAMPTZ;
ALTER TABLE tickets ADD COLUMN first_called_at TIMESTAMPTZ;
ALTER TABLE tickets ADD COLUMN waiting_since TIMESTAMPTZ;
ALTER TABLE tickets ADD COLUMN finished_at TIMESTAMPTZ;
ALTER TABLE tickets ADD COLUMN outcome TEXT;
ALTER TABLE tickets ADD COLUMN outcome_reason TEXT;
UPDATE tickets SET waiting_since = issued_at;
-- The waiting tickets of an office's day, which every call reads.
CREATE INDEX tickets_waiting ON tickets (office_code, service_date, state);
-- A counter serves one ticket at a time: a second call while one is called (a double
-- click, two browser tabs, two instances) fails here whatever the check before it saw.
CREATE UNIQUE INDEX tickets_one_called_per_counter ON tickets (office_code, service_date, counter_no)
    WHERE state = 'called';
