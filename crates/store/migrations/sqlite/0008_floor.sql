-- The office floor's queue tickets, numbered per office, day and series (A booked,
-- P priority walk-in, B outage walk-in). The next number comes from a counter row taken
-- with INSERT ... ON CONFLICT DO UPDATE ... RETURNING, never MAX() + 1, so two counters
-- or two instances never hand out the same number; for the priority series the same
-- statement refuses to go past the day's priority quota.
CREATE TABLE queue_counters (
    office_code TEXT NOT NULL REFERENCES offices (code),
    service_date TEXT NOT NULL,
    series TEXT NOT NULL,
    issued INTEGER NOT NULL,
    PRIMARY KEY (office_code, service_date, series)
);

CREATE TABLE tickets (
    id BLOB PRIMARY KEY,
    office_code TEXT NOT NULL REFERENCES offices (code),
    service_date TEXT NOT NULL,
    series TEXT NOT NULL,
    number INTEGER NOT NULL,
    booking_id BLOB REFERENCES bookings (id),
    priority_basis TEXT,
    state TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    UNIQUE (office_code, service_date, series, number)
);

-- A booking is checked in once.
CREATE UNIQUE INDEX tickets_booking ON tickets (booking_id) WHERE booking_id IS NOT NULL;
