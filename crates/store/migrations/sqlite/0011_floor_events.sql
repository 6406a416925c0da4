-- What happened on an office's floor, in order, for the display boards and the phones that
-- follow a ticket: every ticket issued, called, called again, missed, put back, sent on or
-- finished. Each office's events are numbered by `floor_streams.last_seq`, taken in the
-- same transaction as the change: the row lock orders an office's writes, so an event's
-- number is never below one already committed, and a board that saw event n catches up
-- with "after n" (replay) without missing one. On PostgreSQL the writer also notifies
-- channel loket_floor with the office's code, which reaches every instance at commit.
CREATE TABLE floor_streams (
    office_code TEXT PRIMARY KEY REFERENCES offices (code),
    last_seq INTEGER NOT NULL
);

CREATE TABLE floor_events (
    office_code TEXT NOT NULL REFERENCES offices (code),
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    ticket_id BLOB NOT NULL,
    number TEXT NOT NULL,
    counter_no INTEGER,
    stage TEXT NOT NULL,
    PRIMARY KEY (office_code, seq)
);
