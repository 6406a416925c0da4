-- Loket schema, SQLite dialect. Keep in step with ../postgres/0001_init.sql: same tables,
-- columns and versions (a test compares the folders and prepares every statement on both).

CREATE TABLE regions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE offices (
    code TEXT PRIMARY KEY,
    region_code TEXT NOT NULL REFERENCES regions (code),
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    address TEXT,
    city TEXT NOT NULL,
    open_weekdays BIGINT NOT NULL,
    release_rule TEXT NOT NULL,
    booking_horizon_days BIGINT NOT NULL,
    allocation_policy TEXT NOT NULL DEFAULT 'first_come_first_served'
);

CREATE TABLE office_sessions (
    office_code TEXT NOT NULL REFERENCES offices (code),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    start_time TEXT NOT NULL,
    end_time TEXT NOT NULL,
    weekdays BIGINT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (office_code, code)
);

CREATE TABLE holidays (
    holiday_date TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name_id TEXT NOT NULL,
    name_en TEXT NOT NULL
);

CREATE TABLE office_exceptions (
    office_code TEXT NOT NULL REFERENCES offices (code),
    exception_date TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (office_code, exception_date)
);

CREATE TABLE quota_defaults (
    office_code TEXT NOT NULL REFERENCES offices (code),
    weekday BIGINT NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    session_code TEXT NOT NULL,
    class TEXT NOT NULL,
    capacity BIGINT NOT NULL CHECK (capacity >= 0),
    PRIMARY KEY (office_code, weekday, session_code, class)
);

CREATE TABLE quota_overrides (
    office_code TEXT NOT NULL REFERENCES offices (code),
    service_date TEXT NOT NULL,
    session_code TEXT NOT NULL,
    class TEXT NOT NULL,
    capacity BIGINT NOT NULL CHECK (capacity >= 0),
    PRIMARY KEY (office_code, service_date, session_code, class)
);

-- One row per bookable (office, date, session, class), created when first booked. It is the
-- row every allocation locks, and its capacity is the one in force for that slot.
CREATE TABLE slots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_code TEXT NOT NULL REFERENCES offices (code),
    service_date TEXT NOT NULL,
    session_code TEXT NOT NULL,
    class TEXT NOT NULL,
    capacity BIGINT NOT NULL CHECK (capacity >= 0),
    UNIQUE (office_code, service_date, session_code, class)
);

CREATE TABLE fee_tables (
    code TEXT PRIMARY KEY,
    effective_from TEXT NOT NULL,
    body TEXT NOT NULL
);

CREATE TABLE accounts (
    id BLOB PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    full_name TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    sex TEXT NOT NULL,
    phone TEXT NOT NULL,
    locale TEXT NOT NULL,
    email_verified_at TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE email_verifications (
    account_id BLOB PRIMARY KEY REFERENCES accounts (id),
    code_hash TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE staff (
    id BLOB PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    full_name TEXT NOT NULL,
    role TEXT NOT NULL,
    office_code TEXT REFERENCES offices (code),
    region_code TEXT REFERENCES regions (code),
    created_at TEXT NOT NULL
);

-- Bearer tokens and page sessions: only a SHA-256 of the secret is kept.
CREATE TABLE auth_tokens (
    token_hash TEXT PRIMARY KEY,
    account_id BLOB REFERENCES accounts (id),
    staff_id BLOB REFERENCES staff (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    CHECK ((account_id IS NULL) <> (staff_id IS NULL))
);

CREATE TABLE applicants (
    id BLOB PRIMARY KEY,
    account_id BLOB NOT NULL REFERENCES accounts (id),
    nik TEXT NOT NULL,
    full_name TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    sex TEXT NOT NULL,
    married INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (account_id, nik)
);
CREATE INDEX applicants_account ON applicants (account_id);

CREATE TABLE bookings (
    id BLOB PRIMARY KEY,
    account_id BLOB NOT NULL REFERENCES accounts (id),
    applicant_id BLOB NOT NULL REFERENCES applicants (id),
    nik TEXT NOT NULL,
    slot_id BIGINT NOT NULL REFERENCES slots (id),
    office_code TEXT NOT NULL,
    service_date TEXT NOT NULL,
    session_code TEXT NOT NULL,
    class TEXT NOT NULL,
    state TEXT NOT NULL,
    billing_code TEXT NOT NULL UNIQUE,
    payment_deadline TEXT NOT NULL,
    service TEXT NOT NULL,
    travel_purpose TEXT NOT NULL,
    fee_table_code TEXT NOT NULL,
    fee_total BIGINT NOT NULL,
    fee_lines TEXT NOT NULL,
    reschedules_used BIGINT NOT NULL DEFAULT 0,
    idempotency_key TEXT,
    request_fingerprint TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    paid_at TEXT,
    UNIQUE (account_id, idempotency_key)
);
-- One active booking per NIK: the backstop behind the explicit check.
CREATE UNIQUE INDEX bookings_one_active_per_nik ON bookings (nik)
    WHERE state IN ('awaiting_payment', 'payment_pending', 'paid');
CREATE INDEX bookings_nik_state ON bookings (nik, state);
CREATE INDEX bookings_slot_state ON bookings (slot_id, state, payment_deadline);
CREATE INDEX bookings_account ON bookings (account_id, created_at);
CREATE INDEX bookings_office_date ON bookings (office_code, service_date);
CREATE INDEX bookings_unpaid_deadline ON bookings (payment_deadline) WHERE state = 'awaiting_payment';

CREATE TABLE booking_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    booking_id BLOB NOT NULL REFERENCES bookings (id),
    at TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX booking_events_booking ON booking_events (booking_id, id);

CREATE TABLE payment_notifications (
    notification_id TEXT PRIMARY KEY,
    billing_code TEXT NOT NULL,
    amount BIGINT NOT NULL,
    status TEXT NOT NULL,
    paid_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    outcome TEXT NOT NULL,
    booking_id BLOB
);

CREATE TABLE outbox (
    id BLOB PRIMARY KEY,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX outbox_unsent ON outbox (created_at) WHERE sent_at IS NULL;

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor_id BLOB,
    actor_name TEXT NOT NULL,
    office_code TEXT,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    before_value TEXT,
    after_value TEXT
);
CREATE INDEX audit_log_office ON audit_log (office_code, id);
