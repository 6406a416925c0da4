-- The office floor's queue tickets, numbered per office, day and series (A booked,
-- P priority walk-in, B outage walk-in). The next number comes from a counter row taken
-- with INSERT ... ON CONFLICT DO UPDATE ... RETURNING, never MAX() + 1, so two counters
-- or two instances never hand out the same number; for the priority series the same
-- statement refuses to go past the day's priority quota.
CREATE TABLE queue_counters (
    office_code TEXT NOT NULL REFERENCES offices (code),
    service_date DATE NOT NULL,
    series TEXT NOT NULL,
    issued BIGINT NOT NULL,
    PRIMARY KEY (office_code, service_date, series)
);

CREATE TABLE tickets (
    id UUID PRIMARY KEY,
    office_code TEXT NOT NULL REFERENCES offices (code),
    service_date DATE NOT NULL,
    series TEXT NOT NULL,
    number BIGINT NOT NULL,
    booking_id UUID REFERENCES bookings (id),
    priority_basis TEXT,
    state TEXT NOT NULL,
    issued_at TIMESTAMPTZ NOT NULL,
    issued_by TEXT NOT NULL,
    UNIQUE (office_code, service_date, series, number)
);

-- A booking is checked in once.
CREATE UNIQUE INDEX tickets_booking ON tickets (booking_id) WHERE booking_id IS NOT NULL;
