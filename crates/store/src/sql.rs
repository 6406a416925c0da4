//! Every SQL statement Loket runs, as constants with `$n` placeholders that both engines
//! accept. A test prepares each one on freshly migrated SQLite and PostgreSQL databases.
//! Instants are always bound from Rust (never `now()`), in UTC.

/// Statements whose text differs per engine: (sqlite, postgres).
pub const LOCK_SLOT: (&str, &str) = (
    "SELECT id, capacity FROM slots WHERE office_code = $1 AND service_date = $2 AND session_code = $3 AND class = $4",
    "SELECT id, capacity FROM slots WHERE office_code = $1 AND service_date = $2 AND session_code = $3 AND class = $4 FOR UPDATE",
);
pub const LOCK_ACCOUNT: (&str, &str) = (
    "SELECT id FROM accounts WHERE id = $1",
    "SELECT id FROM accounts WHERE id = $1 FOR UPDATE",
);
pub const LOCK_BOOKING: (&str, &str) = (
    "SELECT slot_id FROM bookings WHERE id = $1",
    "SELECT slot_id FROM bookings WHERE id = $1 FOR UPDATE",
);
/// Locks a slot by its key ($1-$4) and returns its `taken` with it, and whether a hold in
/// it may have lapsed by $5 (now).
macro_rules! lock_slot_counted {
    () => {
        "SELECT s.id, s.capacity, s.taken, EXISTS (SELECT 1 FROM bookings b \
        WHERE b.slot_id = s.id AND b.state = 'awaiting_payment' AND b.payment_deadline <= $5) \
        AS maybe_lapsed FROM slots s WHERE s.office_code = $1 AND s.service_date = $2 \
        AND s.session_code = $3 AND s.class = $4 FOR UPDATE OF s"
    };
}
/// PostgreSQL's slot batches lock the slot and read its count in one round trip. `taken`
/// is the locked row's latest version (a row lock returns the version it waited for), but
/// the subquery sees the statement's snapshot, taken before any wait: its `maybe_lapsed`
/// can miss a hold committed meanwhile or count one expired meanwhile, so it is only a
/// hint. False: no lapsed hold to subtract (one missed could only make the count too high,
/// never too low, and a hold is never made already lapsed); true: the batch counts again
/// under the lock (`COUNT_TAKEN`), as it would be wrong to subtract a hold twice.
pub const LOCK_SLOT_COUNTED: &str = lock_slot_counted!();
pub const LOCK_SLOT_BY_ID: (&str, &str) = (
    "SELECT id, capacity FROM slots WHERE id = $1",
    "SELECT id, capacity FROM slots WHERE id = $1 FOR UPDATE",
);

pub const LOCK_OFFICE_SHARE: (&str, &str) = (
    "SELECT code FROM offices WHERE code = $1",
    "SELECT code FROM offices WHERE code = $1 FOR SHARE",
);
pub const LOCK_OFFICE: (&str, &str) = (
    "SELECT code FROM offices WHERE code = $1",
    "SELECT code FROM offices WHERE code = $1 FOR UPDATE",
);

pub const PING: &str = "SELECT 1 AS one";

pub const UPSERT_REGION: &str = "INSERT INTO regions (code, name) VALUES ($1, $2) \
    ON CONFLICT (code) DO UPDATE SET name = excluded.name";
pub const REGION_NAME: &str = "SELECT name FROM regions WHERE code = $1";

pub const UPSERT_OFFICE: &str = "INSERT INTO offices (code, region_code, name, time_zone, address, city, \
    open_weekdays, release_rule, booking_horizon_days, allocation_policy) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
    ON CONFLICT (code) DO UPDATE SET region_code = excluded.region_code, name = excluded.name, \
    time_zone = excluded.time_zone, address = excluded.address, city = excluded.city, \
    open_weekdays = excluded.open_weekdays, release_rule = excluded.release_rule, \
    booking_horizon_days = excluded.booking_horizon_days, allocation_policy = excluded.allocation_policy";
pub const DELETE_OFFICE_SESSIONS: &str = "DELETE FROM office_sessions WHERE office_code = $1";
pub const INSERT_OFFICE_SESSION: &str = "INSERT INTO office_sessions \
    (office_code, code, name, start_time, end_time, weekdays, position) VALUES ($1, $2, $3, $4, $5, $6, $7)";
pub const LIST_OFFICES: &str = "SELECT code, region_code, name, time_zone, address, city, open_weekdays, \
    release_rule, booking_horizon_days, allocation_policy FROM offices ORDER BY code";
pub const GET_OFFICE: &str = "SELECT code, region_code, name, time_zone, address, city, open_weekdays, \
    release_rule, booking_horizon_days, allocation_policy FROM offices WHERE code = $1";
pub const LIST_ALL_SESSIONS: &str = "SELECT office_code, code, name, start_time, end_time, weekdays \
    FROM office_sessions ORDER BY office_code, position";
pub const LIST_OFFICE_SESSIONS: &str = "SELECT office_code, code, name, start_time, end_time, weekdays \
    FROM office_sessions WHERE office_code = $1 ORDER BY position";

pub const UPSERT_HOLIDAY: &str = "INSERT INTO holidays (holiday_date, kind, name_id, name_en) \
    VALUES ($1, $2, $3, $4) ON CONFLICT (holiday_date) DO UPDATE SET kind = excluded.kind, \
    name_id = excluded.name_id, name_en = excluded.name_en";
pub const GET_HOLIDAY: &str =
    "SELECT holiday_date, kind, name_id, name_en FROM holidays WHERE holiday_date = $1";
pub const DELETE_HOLIDAY: &str = "DELETE FROM holidays WHERE holiday_date = $1";
pub const LIST_HOLIDAYS: &str = "SELECT holiday_date, kind, name_id, name_en FROM holidays \
    WHERE holiday_date >= $1 AND holiday_date <= $2 ORDER BY holiday_date";
pub const UPSERT_EXCEPTION: &str = "INSERT INTO office_exceptions (office_code, exception_date, kind, reason) \
    VALUES ($1, $2, $3, $4) ON CONFLICT (office_code, exception_date) DO UPDATE SET \
    kind = excluded.kind, reason = excluded.reason";
pub const GET_EXCEPTION: &str = "SELECT exception_date, kind, reason FROM office_exceptions \
    WHERE office_code = $1 AND exception_date = $2";
pub const DELETE_EXCEPTION: &str =
    "DELETE FROM office_exceptions WHERE office_code = $1 AND exception_date = $2";
pub const LIST_EXCEPTIONS: &str = "SELECT exception_date, kind, reason FROM office_exceptions \
    WHERE office_code = $1 AND exception_date >= $2 AND exception_date <= $3 ORDER BY exception_date";

pub const DELETE_FEE_TABLES: &str = "DELETE FROM fee_tables";
pub const INSERT_FEE_TABLE: &str =
    "INSERT INTO fee_tables (code, effective_from, body) VALUES ($1, $2, $3)";
pub const LIST_FEE_TABLES: &str =
    "SELECT code, effective_from, body FROM fee_tables ORDER BY effective_from";

pub const LIST_QUOTA_DEFAULTS: &str = "SELECT weekday, session_code, class, capacity FROM quota_defaults \
    WHERE office_code = $1 ORDER BY weekday, session_code, class";
pub const GET_QUOTA_DEFAULT: &str = "SELECT capacity FROM quota_defaults WHERE office_code = $1 \
    AND weekday = $2 AND session_code = $3 AND class = $4";
pub const UPSERT_QUOTA_DEFAULT: &str = "INSERT INTO quota_defaults (office_code, weekday, session_code, class, capacity) \
    VALUES ($1, $2, $3, $4, $5) ON CONFLICT (office_code, weekday, session_code, class) \
    DO UPDATE SET capacity = excluded.capacity";
pub const LIST_QUOTA_OVERRIDES: &str = "SELECT service_date, session_code, class, capacity FROM quota_overrides \
    WHERE office_code = $1 AND service_date >= $2 AND service_date <= $3 ORDER BY service_date, session_code, class";
pub const GET_QUOTA_OVERRIDE: &str = "SELECT capacity FROM quota_overrides WHERE office_code = $1 \
    AND service_date = $2 AND session_code = $3 AND class = $4";
pub const UPSERT_QUOTA_OVERRIDE: &str = "INSERT INTO quota_overrides (office_code, service_date, session_code, class, capacity) \
    VALUES ($1, $2, $3, $4, $5) ON CONFLICT (office_code, service_date, session_code, class) \
    DO UPDATE SET capacity = excluded.capacity";
/// Future slots that follow a weekday default (no override of their own).
pub const SLOTS_FOLLOWING_DEFAULT: &str = "SELECT s.id, s.service_date, s.capacity FROM slots s \
    WHERE s.office_code = $1 AND s.session_code = $2 AND s.class = $3 AND s.service_date >= $4 \
    AND NOT EXISTS (SELECT 1 FROM quota_overrides o WHERE o.office_code = s.office_code \
    AND o.service_date = s.service_date AND o.session_code = s.session_code AND o.class = s.class) \
    ORDER BY s.id";
pub const SET_SLOT_CAPACITY: &str = "UPDATE slots SET capacity = $2 WHERE id = $1";
/// The next number of an office's day and series ($1-$3), taken only while fewer than $4
/// were issued; no row when the limit is reached.
pub const NEXT_TICKET_NUMBER: &str = "INSERT INTO queue_counters (office_code, service_date, series, issued) \
    SELECT $1, $2, $3, 1 WHERE $4 > 0 \
    ON CONFLICT (office_code, service_date, series) DO UPDATE SET issued = queue_counters.issued + 1 \
    WHERE queue_counters.issued < $4 RETURNING issued";
pub const INSERT_TICKET: &str = "INSERT INTO tickets (id, office_code, service_date, series, number, \
    booking_id, priority_basis, state, issued_at, issued_by, session_start, waiting_since) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $9)";
/// A ticket's columns, as `rows::ticket_from_row` reads them.
macro_rules! ticket_columns {
    () => {
        "id, office_code, service_date, series, number, booking_id, priority_basis, \
    state, issued_at, issued_by, session_start, stage, calls, counter_no, called_at, \
    waiting_since, finished_at, outcome, outcome_reason"
    };
}
macro_rules! ticket_select {
    ($tail:literal) => {
        concat!("SELECT ", ticket_columns!(), " FROM tickets ", $tail)
    };
}
pub const TICKETS_OF_DAY: &str = ticket_select!(
    "WHERE office_code = $1 AND service_date = $2 ORDER BY issued_at, series, number"
);
pub const GET_TICKET: &str = ticket_select!("WHERE id = $1");
/// A booking's latest ticket (a return visit's, after the first visit's).
pub const TICKET_OF_BOOKING: &str =
    ticket_select!("WHERE booking_id = $1 ORDER BY issued_at DESC, id DESC LIMIT 1");
/// The tickets waiting at stage $3 of an office's day (`tickets_waiting`), for the call
/// policy to choose from.
pub const WAITING_TICKETS: &str = ticket_select!(
    "WHERE office_code = $1 AND service_date = $2 AND state = 'waiting' AND stage = $3"
);
/// The ticket counter $3 of an office's day has called and not let go.
pub const COUNTER_TICKET: &str = ticket_select!(
    "WHERE office_code = $1 AND service_date = $2 AND state = 'called' AND counter_no = $3"
);
/// The series of the last $4 first calls at stage $3 of an office's day, newest first:
/// how many priority tickets were called in a row.
pub const RECENT_FIRST_CALLS: &str = "SELECT series FROM tickets WHERE office_code = $1 \
    AND service_date = $2 AND stage = $3 AND first_called_at IS NOT NULL \
    ORDER BY first_called_at DESC, id DESC LIMIT $4";
/// A counter calls a waiting ticket: no row when another counter called it first.
pub const CALL_TICKET: &str = "UPDATE tickets SET state = 'called', counter_no = $2, calls = 1, \
    called_at = $3, first_called_at = COALESCE(first_called_at, $3) \
    WHERE id = $1 AND state = 'waiting' RETURNING id";
/// A counter's action on a ticket, if it still stands as read ($10 state, $11 calls).
pub const SET_TICKET: &str = "UPDATE tickets SET state = $2, stage = $3, calls = $4, \
    counter_no = $5, called_at = $6, waiting_since = $7, finished_at = $8, outcome = $9, \
    outcome_reason = $12, first_called_at = CASE WHEN $13 THEN NULL ELSE first_called_at END \
    WHERE id = $1 AND state = $10 AND calls = $11 RETURNING id";
/// A booking on the floor gets its interview outcome, if it still stands as $4 (checked
/// in, or back with missing documents); its service date tells when documents are due.
pub const SET_BOOKING_OUTCOME: &str = "UPDATE bookings SET state = $2, updated_at = $3 \
    WHERE id = $1 AND state = $4 RETURNING service_date";
/// The state a ticket's booking stands in, for its outcome.
pub const BOOKING_STATE: &str = "SELECT state FROM bookings WHERE id = $1";
/// The next number of an office's floor events; the row stays locked until the change
/// commits, so an office's events commit in the order of their numbers.
pub const NEXT_FLOOR_SEQ: &str = "INSERT INTO floor_streams (office_code, last_seq) VALUES ($1, 1) \
    ON CONFLICT (office_code) DO UPDATE SET last_seq = floor_streams.last_seq + 1 RETURNING last_seq";
pub const INSERT_FLOOR_EVENT: &str = "INSERT INTO floor_events (office_code, seq, at, kind, ticket_id, \
    number, counter_no, stage) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
/// PostgreSQL: tells every instance's listener that the office's floor changed (sent at
/// commit, not at all on a rollback).
pub const NOTIFY_FLOOR: &str = "SELECT pg_notify('loket_floor', $1)";
/// An office's floor events after number $2, in order, at most $3.
pub const FLOOR_EVENTS_SINCE: &str = "SELECT office_code, seq, at, kind, ticket_id, number, counter_no, \
    stage FROM floor_events WHERE office_code = $1 AND seq > $2 ORDER BY seq LIMIT $3";
pub const LAST_FLOOR_SEQ: &str = "SELECT last_seq FROM floor_streams WHERE office_code = $1";
pub const SET_OUTAGE: &str = "INSERT INTO floor_modes (office_code, service_date, outage, set_by, set_at) \
    VALUES ($1, $2, $3, $4, $5) ON CONFLICT (office_code, service_date) \
    DO UPDATE SET outage = excluded.outage, set_by = excluded.set_by, set_at = excluded.set_at";
pub const OUTAGE_ON: &str =
    "SELECT outage FROM floor_modes WHERE office_code = $1 AND service_date = $2";
/// Check-in: a paid booking of office $3 and day $4 becomes checked in; no row when it is
/// not (any more), which the store then explains from the booking's state.
pub const CHECK_IN_BOOKING: &str = "UPDATE bookings SET state = 'checked_in', updated_at = $2 \
    WHERE id = $1 AND state = 'paid' AND office_code = $3 AND service_date = $4 RETURNING id";
/// A return visit with missing documents: the booking of office $3 must still be missing
/// them for an interview on or after $4 (the earliest day whose documents are still due).
/// Its state stays; the row is written so that two desks checking it in at once take turns.
pub const CHECK_IN_RETURN: &str = "UPDATE bookings SET updated_at = $2 \
    WHERE id = $1 AND state = 'documents_missing' AND office_code = $3 AND service_date >= $4 \
    RETURNING id";
/// The ids of an office's bookings of the days $2 to $3, for finding one by its typed
/// booking code: through the days' slots and `bookings_slot_state`, so the bookings table
/// needs no index by office and date (each would cost every booking insert).
pub const BOOKING_IDS_OF_DAYS: &str = "SELECT b.id FROM slots s JOIN bookings b ON b.slot_id = s.id \
    WHERE s.office_code = $1 AND s.service_date BETWEEN $2 AND $3";

pub const INSERT_AUDIT: &str = "INSERT INTO audit_log (at, actor_id, actor_name, office_code, action, subject, \
    before_value, after_value) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
pub const LIST_AUDIT_OFFICE: &str = "SELECT id, at, actor_name, office_code, action, subject, before_value, \
    after_value FROM audit_log WHERE office_code = $1 ORDER BY id DESC LIMIT $2";
pub const LIST_AUDIT_ALL: &str = "SELECT id, at, actor_name, office_code, action, subject, before_value, \
    after_value FROM audit_log ORDER BY id DESC LIMIT $1";

/// Places held or paid at $2: paid, being confirmed, or unpaid with time left (the
/// predicate of `BookingState::holds_place` in the domain). `slots.taken` counts the
/// slot's active bookings, kept by triggers (migration 0005); the unpaid holds whose
/// deadline has passed by $2 are subtracted: a hold stops counting by the clock alone, and
/// until the expiry worker records that, the row is still active. That subtraction is a
/// range in `bookings_slot_state` over the lapsed holds not yet swept, which the worker
/// keeps few; the cost no longer grows with the slot's bookings.
/// The active booking states (`BookingState::ACTIVE`) as SQL, verbatim the condition of
/// the one-active-per-NIK index and of the places-taken triggers (migration 0010), so that
/// SQLite uses the partial index. A test checks it against the domain's list.
macro_rules! active_states {
    () => {
        "('awaiting_payment', 'payment_pending', 'paid', 'checked_in', 'accepted', 'documents_missing')"
    };
}
#[cfg(test)]
const ACTIVE_STATES: &str = active_states!();

/// The states of a ticket still on the floor (`TicketState::OPEN`), as the partial indexes
/// `tickets_open_booking` and `tickets_open_day` spell them.
macro_rules! open_ticket_states {
    () => {
        "('waiting', 'called', 'missed')"
    };
}
#[cfg(test)]
const OPEN_TICKET_STATES: &str = open_ticket_states!();

macro_rules! places_held {
    ($slot:literal, $now:literal) => {
        concat!(
            "s.taken - (SELECT COUNT(*) FROM bookings b WHERE b.slot_id = ",
            $slot,
            " AND b.state = 'awaiting_payment' AND b.payment_deadline <= ",
            $now,
            ")"
        )
    };
}
pub const COUNT_TAKEN: &str = concat!(
    "SELECT ",
    places_held!("s.id", "$2"),
    " AS taken FROM slots s WHERE s.id = $1"
);
pub const SLOT_USAGE: &str = concat!(
    "SELECT s.service_date, s.session_code, s.class, s.capacity, ",
    places_held!("s.id", "$4"),
    " AS taken FROM slots s WHERE s.office_code = $1 AND s.service_date >= $2 AND s.service_date <= $3"
);
/// Counts $2 new bookings in slot $1: the allocation paths run it in the transaction that
/// inserts them, once per slot and batch (later changes are counted by triggers, migration
/// 0005). `places_taken` in allocation/mod.rs is the one call; PostgreSQL's batch insert
/// counts within its own statement (`INSERT_BOOKINGS_IF_NIK_FREE`).
pub const ADD_TAKEN: &str = "UPDATE slots SET taken = taken + $2 WHERE id = $1";
/// A slot row takes its capacity from the tables in force when it is created: the date's
/// override, else the weekday default ($5, 0 = Monday), else zero. Creation holds the office
/// row in share mode, quota changes hold it exclusively, so neither misses the other.
pub const INSERT_SLOT: &str = "INSERT INTO slots (office_code, service_date, session_code, class, capacity) \
    VALUES ($1, $2, $3, $4, COALESCE(\
    (SELECT capacity FROM quota_overrides WHERE office_code = $1 AND service_date = $2 AND session_code = $3 AND class = $4), \
    (SELECT capacity FROM quota_defaults WHERE office_code = $1 AND weekday = $5 AND session_code = $3 AND class = $4), \
    0)) ON CONFLICT (office_code, service_date, session_code, class) DO NOTHING";
/// Undoes a slot row just made with no places, no booking having used it (SQLite's allocator).
pub const DELETE_SLOT: &str = "DELETE FROM slots WHERE id = $1";
/// Lapsed holds of one NIK are swept before the one-active-booking check, so a lapsed hold
/// never blocks a new booking even if the worker has not run yet.
/// The active-state condition is the partial index's own, verbatim, so that SQLite uses it.
pub const EXPIRE_NIK_LAPSED: &str = concat!(
    "UPDATE bookings SET state = 'expired', updated_at = $2 WHERE nik = $1 AND state IN ",
    active_states!(),
    " AND state = 'awaiting_payment' AND payment_deadline <= $2 RETURNING id"
);
pub const ACTIVE_BOOKING_FOR_NIK: &str = concat!(
    "SELECT id FROM bookings WHERE nik = $1 AND state IN ",
    active_states!(),
    " LIMIT 1"
);
/// The column list of a new booking, shared by both inserts below.
macro_rules! booking_columns {
    () => {
        "INSERT INTO bookings (id, account_id, applicant_id, nik, slot_id, office_code, \
    service_date, session_code, class, state, billing_code, payment_deadline, service, travel_purpose, \
    fee_table_code, fee_total, fee_lines, reschedules_used, idempotency_key, request_fingerprint, \
    created_at, updated_at, paid_at) "
    };
}
/// Parameters $1-$18 come from `booking_args`; $19 is the slot id.
pub const INSERT_BOOKING: &str = concat!(
    booking_columns!(),
    "VALUES ($1, $2, $3, $4, $19, $5, $6, $7, $8, 'awaiting_payment', $9, \
    $10, $11, $12, $13, $14, $15, 0, $16, $17, $18, $18, NULL)"
);
/// The insert of PostgreSQL's slot batches: `INSERT ... SELECT` of the rows `$from` holds
/// (with `r` for the rows of `batch_rows!`), into the slot `$slot`. Rows whose NIK holds a
/// booking (a lapsed hold included), or that meet any unique index (two of the batch with
/// one NIK: the earlier wins), are skipped rather than failing the statement, and not
/// returned: "look closer" (`NIK_HOLD`). Returns the ids inserted.
macro_rules! batch_insert {
    ($slot:literal, $from:expr) => {
        concat!(
            booking_columns!(),
            "SELECT r.a1, r.a2, r.a3, r.a4, ",
            $slot,
            ", r.a5, r.a6, r.a7, r.a8, 'awaiting_payment', r.a9, \
            r.a10, r.a11, r.a12, r.a13, r.a14, r.a15, 0, r.a16, r.a17, r.a18, r.a18, NULL FROM ",
            $from,
            " WHERE NOT EXISTS (SELECT 1 FROM bookings b WHERE b.nik = r.a4 AND b.state IN ",
            active_states!(),
            ") ORDER BY r.a0 ON CONFLICT DO NOTHING RETURNING id"
        )
    };
}
/// A batch's rows as `r`: `$json` is a JSON array of objects whose keys a1-a18 are
/// `booking_args` ($1-$18 of `INSERT_BOOKING`, in the same column order) and a0 the
/// position in the batch.
macro_rules! batch_rows {
    ($json:literal) => {
        concat!(
            "jsonb_to_recordset(CAST(",
            $json,
            " AS TEXT)::jsonb) AS r(a0 integer, a1 uuid, a2 uuid, a3 uuid, \
            a4 text, a5 text, a6 date, a7 text, a8 text, a9 text, a10 timestamptz, a11 text, \
            a12 text, a13 text, a14 bigint, a15 text, a16 text, a17 text, a18 timestamptz)"
        )
    };
}
/// PostgreSQL's slot batches (allocation/postgres.rs) insert many bookings in one round
/// trip, under the slot lock taken before: $1 is the batch's rows (`batch_rows!`), $2 the
/// slot id. Those inserted are counted into the slot's `taken` by the same statement (a
/// data-modifying CTE: no second round trip, and no way to insert without counting).
/// Returns their ids.
pub const INSERT_BOOKINGS_IF_NIK_FREE: &str = concat!(
    "WITH inserted AS (",
    batch_insert!("$2", batch_rows!("$1")),
    "), counted AS (UPDATE slots SET taken = taken + (SELECT COUNT(*) FROM inserted) \
    WHERE id = $2 AND EXISTS (SELECT 1 FROM inserted)) \
    SELECT id FROM inserted"
);
/// A whole batch of PostgreSQL's slot batches in one statement, so in one round trip and
/// its own transaction: it locks the slot by its key ($1-$4, `lock_slot_counted!`, $5 now),
/// inserts the first of the batch's rows ($6, `batch_rows!`) in arrival order, as many as
/// the places left, and counts those inserted into `taken`. When a hold in the slot may
/// have lapsed it inserts nothing (the places left are then only known after a count under
/// the lock). Returns a row per booking inserted (`booking_id`; one row with none if
/// nothing was), each with the slot's id, capacity, `taken` before the insert and
/// `maybe_lapsed`; no row if the slot does not exist yet.
///
/// Why one statement is as safe as the transaction of separate ones: the row `FOR UPDATE`
/// returns is its latest version, read after any wait for the lock, so `taken` is exact;
/// the `UPDATE` in the same statement re-reads that row's latest version too. The rest of
/// the statement sees the snapshot from before the wait: the lapsed-hold test is only a
/// hint (as in `LOCK_SLOT_COUNTED`), and a booking of the same NIK committed meanwhile,
/// missed by the `NOT EXISTS`, is still caught by the one-active-per-NIK unique index,
/// which checks the latest rows.
pub const BOOK_INTO_SLOT: &str = concat!(
    "WITH s AS (",
    lock_slot_counted!(),
    "), r AS (SELECT * FROM ",
    batch_rows!("$6"),
    " ORDER BY r.a0 LIMIT COALESCE((SELECT CASE WHEN maybe_lapsed THEN 0 \
    ELSE GREATEST(capacity - taken, 0) END FROM s), 0)), inserted AS (",
    batch_insert!("s.id", "r CROSS JOIN s"),
    "), counted AS (UPDATE slots SET taken = taken + (SELECT COUNT(*) FROM inserted) \
    WHERE id = (SELECT id FROM s) AND EXISTS (SELECT 1 FROM inserted)) \
    SELECT s.id, s.capacity, s.taken, s.maybe_lapsed, i.id AS booking_id \
    FROM s LEFT JOIN inserted i ON true"
);
/// The batch allocators' NIK check (SQLite's thread, PostgreSQL's slot batches), before
/// the insert in the same write transaction: whether the NIK holds a booking in the
/// one-active-per-NIK index, and if so whether it is out of date: a hold whose deadline has
/// passed ($2 is now; `lapsed`), or a paid booking whose day may have ended (judged in Rust
/// from `state`, `service_date` and the office's `time_zone`). Written with the index's own
/// condition so that the partial index serves it.
pub const NIK_HOLD: &str = concat!(
    "SELECT (b.state = 'awaiting_payment' AND b.payment_deadline <= $2) AS lapsed, \
    b.state, b.service_date, o.time_zone FROM bookings b JOIN offices o ON o.code = b.office_code \
    WHERE b.nik = $1 AND b.state IN ",
    active_states!(),
    " LIMIT 1"
);
/// A NIK's bookings still in the one-active-per-NIK index that may be out of date by the
/// day (paid, or missing documents), with their office's zone, so that those whose day or
/// deadline has passed are moved on (`BookingState::overdue_by_day`) before the NIK is
/// checked.
pub const NIK_DATED_BOOKINGS: &str = concat!(
    "SELECT b.id, b.state, b.service_date, o.time_zone FROM bookings b \
    JOIN offices o ON o.code = b.office_code WHERE b.nik = $1 AND b.state IN ",
    active_states!(),
    " AND b.state IN ('paid', 'documents_missing')"
);
pub const OFFICE_ZONE: &str = "SELECT time_zone FROM offices WHERE code = $1";
/// The time zones offices are in (a handful): the no-show sweep runs once per zone.
pub const OFFICE_ZONES: &str = "SELECT DISTINCT time_zone FROM offices ORDER BY time_zone";
/// Paid bookings of offices in zone $3 whose service day is before $2 (today there) become
/// no-shows, a bounded batch at a time; each row moves once, whichever instance sweeps.
pub const SWEEP_NO_SHOWS: &str = "UPDATE bookings SET state = 'no_show', updated_at = $1 WHERE id IN \
    (SELECT b.id FROM bookings b JOIN offices o ON o.code = b.office_code WHERE b.state = 'paid' \
    AND b.service_date < $2 AND o.time_zone = $3 ORDER BY b.service_date LIMIT $4) \
    AND state = 'paid' RETURNING id";
/// The day's close-out, for offices in zone $3: tickets still on the floor (waiting, called
/// or missed) after their day (before $2, today there) are closed, a bounded batch at a
/// time, each once whichever instance sweeps. The condition is the partial index's own.
pub const CLOSE_OPEN_TICKETS: &str = concat!(
    "UPDATE tickets SET state = 'closed', finished_at = $1 WHERE id IN \
    (SELECT t.id FROM tickets t JOIN offices o ON o.code = t.office_code WHERE t.state IN ",
    open_ticket_states!(),
    " AND t.service_date < $2 AND o.time_zone = $3 ORDER BY t.service_date LIMIT $4) AND state IN ",
    open_ticket_states!(),
    " RETURNING ",
    ticket_columns!()
);
/// A checked-in booking whose ticket the close-out closed is unserved (a return visit's
/// booking, still missing documents, stays as it is).
pub const SET_BOOKING_UNSERVED: &str = "UPDATE bookings SET state = 'unserved', updated_at = $2 \
    WHERE id = $1 AND state = 'checked_in' RETURNING id";
/// PostgreSQL: the slots of the bookings the close-out makes unserved ($1, a JSON array of
/// ids), locked in id order first, as every other writer does.
pub const LOCK_UNSERVED_SLOTS: &str = "SELECT id FROM slots WHERE id IN (SELECT b.slot_id FROM bookings b \
    WHERE b.id IN (SELECT CAST(x AS uuid) FROM jsonb_array_elements_text(CAST($1 AS TEXT)::jsonb) AS x) \
    AND b.state = 'checked_in') ORDER BY id FOR UPDATE";
/// Bookings of offices in zone $3 missing documents for an interview before $2 (the
/// earliest day whose documents are still due there) lapse, a bounded batch at a time.
pub const SWEEP_DOCUMENTS_LAPSED: &str = "UPDATE bookings SET state = 'documents_lapsed', updated_at = $1 \
    WHERE id IN (SELECT b.id FROM bookings b JOIN offices o ON o.code = b.office_code \
    WHERE b.state = 'documents_missing' AND b.service_date < $2 AND o.time_zone = $3 \
    ORDER BY b.service_date LIMIT $4) AND state = 'documents_missing' RETURNING id";
/// PostgreSQL: the slots of the bookings `SWEEP_DOCUMENTS_LAPSED` will move, locked first.
pub const LOCK_DOCUMENTS_LAPSED_SLOTS: &str = "SELECT id FROM slots WHERE id IN (SELECT b.slot_id FROM bookings b \
    JOIN offices o ON o.code = b.office_code WHERE b.state = 'documents_missing' AND b.service_date < $1 \
    AND o.time_zone = $2 ORDER BY b.service_date LIMIT $3) ORDER BY id FOR UPDATE";
/// A slot's id, capacity and places taken at $5 (now), and the instants around $5 at which
/// that count would change: the last deadline of an unpaid hold at or before $5 and the
/// first one after it. The count holds for any instant in [lapsed_last, lapses_next), so
/// the SQLite allocator keeps it across batches (see allocation/sqlite.rs). Each bound is one
/// seek in `bookings_slot_state`.
pub const SLOT_PLACES: &str = concat!(
    "SELECT s.id, s.capacity, ",
    places_held!("s.id", "$5"),
    " AS taken, \
    (SELECT MAX(b.payment_deadline) FROM bookings b WHERE b.slot_id = s.id \
    AND b.state = 'awaiting_payment' AND b.payment_deadline <= $5) AS lapsed_last, \
    (SELECT MIN(b.payment_deadline) FROM bookings b WHERE b.slot_id = s.id \
    AND b.state = 'awaiting_payment' AND b.payment_deadline > $5) AS lapses_next \
    FROM slots s WHERE s.office_code = $1 AND s.service_date = $2 AND s.session_code = $3 AND s.class = $4"
);
pub const INSERT_EVENT: &str = "INSERT INTO booking_events (booking_id, at, from_state, to_state, actor, detail) \
    VALUES ($1, $2, $3, $4, $5, $6)";

macro_rules! booking_select {
    ($tail:literal) => {
        concat!(
            "SELECT id, account_id, applicant_id, nik, slot_id, office_code, service_date, session_code, \
    class, state, billing_code, payment_deadline, service, travel_purpose, fee_table_code, fee_total, \
    fee_lines, reschedules_used, created_at, updated_at, paid_at, request_fingerprint FROM bookings ",
            $tail
        )
    };
}
pub const GET_BOOKING: &str = booking_select!("WHERE id = $1");
pub const BOOKING_BY_IDEMPOTENCY: &str =
    booking_select!("WHERE account_id = $1 AND idempotency_key = $2");
/// The (account, Idempotency-Key) pairs of every booking made in a slot, found by its key
/// ($1-$4): while a session is called full, only these can be replays of a booking there.
pub const SLOT_IDEMPOTENCY_KEYS: &str = "SELECT b.account_id, b.idempotency_key FROM slots s \
    JOIN bookings b ON b.slot_id = s.id WHERE s.office_code = $1 AND s.service_date = $2 \
    AND s.session_code = $3 AND s.class = $4 AND b.idempotency_key IS NOT NULL";
/// PostgreSQL: the bookings of many (account, Idempotency-Key) pairs at once, $1 a JSON
/// array of `{"a": account id, "k": key}` (see `sql_store::batched`). Each of these
/// statements for many keys joins every key LATERAL to an index probe of its own, kept a
/// subquery by `OFFSET 0`: PostgreSQL guesses 100 keys for any JSON array and, with a table
/// of some thousands of rows, planned `IN (keys)` or a flattened join as a hash join over a
/// scan of the whole table (3.6 ms for 23 applicants of 10,000; 0.26 ms as probes).
pub const BOOKINGS_BY_IDEMPOTENCY_KEYS: &str = "SELECT b.* FROM \
    jsonb_to_recordset(CAST($1 AS TEXT)::jsonb) AS k(a uuid, k text) CROSS JOIN LATERAL \
    (SELECT idempotency_key, id, account_id, applicant_id, \
    nik, slot_id, office_code, service_date, session_code, class, state, billing_code, \
    payment_deadline, service, travel_purpose, fee_table_code, fee_total, fee_lines, \
    reschedules_used, created_at, updated_at, paid_at, request_fingerprint FROM bookings \
    WHERE account_id = k.a AND idempotency_key = k.k OFFSET 0) b";
pub const BOOKING_BY_BILLING_CODE: &str = booking_select!("WHERE billing_code = $1");
pub const LIST_BOOKINGS: &str =
    booking_select!("WHERE account_id = $1 ORDER BY created_at DESC, id");

/// Running holds after ($1, $3) in (deadline, id) order ($3 NULL: every deadline after
/// $1), soonest deadline first, at most $2: a range of `bookings_unpaid_deadline`, whose
/// condition this repeats verbatim. Which of them were noticed is the sweep's to know: a
/// join with the notices here is what a planner without statistics yet (a fresh database
/// in its first rush) turned into a scan of every notice for every hold.
pub const RUNNING_HOLDS: &str = booking_select!(
    "b WHERE b.state = 'awaiting_payment' AND b.payment_deadline >= $1 \
    AND (b.payment_deadline > $1 OR b.id > $3) ORDER BY b.payment_deadline, b.id LIMIT $2"
);
/// Paid bookings on $1 at offices of zone $2 with no notice of kind $3 about $4 (the date
/// as text): a range of `bookings_paid_service_date`, whose condition this repeats.
pub const REMINDERS_DUE: &str = booking_select!(
    "b WHERE b.state = 'paid' AND b.service_date = $1 \
    AND b.office_code IN (SELECT code FROM offices WHERE time_zone = $2) \
    AND NOT EXISTS (SELECT 1 FROM booking_notices n WHERE n.booking_id = b.id AND n.kind = $3 \
    AND n.about = $4) ORDER BY b.id LIMIT $5"
);

pub const SET_BOOKING_STATE: &str = "UPDATE bookings SET state = $2, updated_at = $3 WHERE id = $1";
/// A payment that arrived: the booking becomes $2 (paid, or refund_due when it came too
/// late for its place) and keeps the bank's payment time.
pub const SET_BOOKING_PAID_AS: &str =
    "UPDATE bookings SET state = $2, paid_at = $3, updated_at = $4 WHERE id = $1";
pub const MOVE_BOOKING: &str = "UPDATE bookings SET slot_id = $2, office_code = $3, service_date = $4, \
    session_code = $5, class = $6, reschedules_used = reschedules_used + $7, state = $8, updated_at = $9 \
    WHERE id = $1";
pub const SLOT_CAPACITY: &str = "SELECT capacity FROM slots WHERE office_code = $1 AND service_date = $2 \
    AND session_code = $3 AND class = $4";
/// The slot a booking is in (read before its slot is locked).
pub const BOOKING_SLOT: &str = "SELECT slot_id FROM bookings WHERE id = $1";
pub const SLOT_ID: &str = "SELECT id FROM slots WHERE office_code = $1 AND service_date = $2 \
    AND session_code = $3 AND class = $4";

pub const GET_NOTIFICATION: &str =
    "SELECT outcome FROM payment_notifications WHERE notification_id = $1";
pub const INSERT_NOTIFICATION: &str = "INSERT INTO payment_notifications (notification_id, billing_code, amount, \
    status, paid_at, received_at, outcome, booking_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Claims a bounded batch: each row moves once, whichever instance's worker gets it.
pub const EXPIRE_OVERDUE: &str = "UPDATE bookings SET state = 'expired', updated_at = $1 WHERE id IN \
    (SELECT id FROM bookings WHERE state = 'awaiting_payment' AND payment_deadline <= $1 \
    ORDER BY payment_deadline LIMIT $2) AND state = 'awaiting_payment' AND payment_deadline <= $1 \
    RETURNING id";
/// PostgreSQL's expiry sweep locks the slots of the holds it will expire first, in id
/// order (their counts change with them), as the allocations lock a slot before bookings.
pub const LOCK_LAPSED_SLOTS: &str = "SELECT id FROM slots WHERE id IN (SELECT slot_id FROM bookings \
    WHERE state = 'awaiting_payment' AND payment_deadline <= $1 ORDER BY payment_deadline LIMIT $2) \
    ORDER BY id FOR UPDATE";
/// PostgreSQL: the slots of the paid bookings `SWEEP_NO_SHOWS` will move ($1 today in zone
/// $2, $3 the batch), locked in id order before the bookings, as every writer does.
pub const LOCK_NO_SHOW_SLOTS: &str = "SELECT id FROM slots WHERE id IN (SELECT b.slot_id FROM bookings b \
    JOIN offices o ON o.code = b.office_code WHERE b.state = 'paid' AND b.service_date < $1 \
    AND o.time_zone = $2 ORDER BY b.service_date LIMIT $3) ORDER BY id FOR UPDATE";
pub const INSERT_ACCOUNT: &str = "INSERT INTO accounts (id, email, password_hash, full_name, birth_date, sex, phone, \
    locale, email_verified_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9)";
/// An office's account is nobody's login (and so gets no reset code either).
pub const ACCOUNT_AUTH: &str = "SELECT id, password_hash, email_verified_at FROM accounts \
    WHERE email = $1 AND office_code IS NULL";
pub const GET_ACCOUNT: &str = "SELECT id, email, full_name, locale, email_verified_at, office_code \
    FROM accounts WHERE id = $1";
/// The account an office holds for assisted bookings, made on its first one. Its password
/// hash is no hash at all, so no password matches it.
pub const INSERT_OFFICE_ACCOUNT: &str = "INSERT INTO accounts (id, email, password_hash, full_name, birth_date, \
    sex, phone, locale, email_verified_at, created_at, office_code) \
    VALUES ($1, $2, '!', $3, $4, 'female', '', 'id', NULL, $5, $6) ON CONFLICT DO NOTHING";
pub const OFFICE_ACCOUNT: &str = "SELECT id FROM accounts WHERE office_code = $1";
pub const UPSERT_VERIFICATION: &str = "INSERT INTO email_verifications (account_id, code_hash, expires_at, attempts) \
    VALUES ($1, $2, $3, 0) ON CONFLICT (account_id) DO UPDATE SET code_hash = excluded.code_hash, \
    expires_at = excluded.expires_at, attempts = 0";
pub const GET_VERIFICATION: &str =
    "SELECT code_hash, expires_at, attempts FROM email_verifications WHERE account_id = $1";
pub const BUMP_VERIFICATION: &str =
    "UPDATE email_verifications SET attempts = attempts + 1 WHERE account_id = $1";
pub const DELETE_VERIFICATION: &str = "DELETE FROM email_verifications WHERE account_id = $1";
pub const MARK_VERIFIED: &str = "UPDATE accounts SET email_verified_at = $2 WHERE id = $1";
pub const UPSERT_PASSWORD_RESET: &str = "INSERT INTO password_resets (account_id, code_hash, expires_at, attempts) \
    VALUES ($1, $2, $3, 0) ON CONFLICT (account_id) DO UPDATE SET code_hash = excluded.code_hash, \
    expires_at = excluded.expires_at, attempts = 0";
pub const GET_PASSWORD_RESET: &str =
    "SELECT code_hash, expires_at, attempts FROM password_resets WHERE account_id = $1";
pub const BUMP_PASSWORD_RESET: &str =
    "UPDATE password_resets SET attempts = attempts + 1 WHERE account_id = $1";
pub const DELETE_PASSWORD_RESET: &str = "DELETE FROM password_resets WHERE account_id = $1";
/// The code came by mail, so using it proves the address too.
pub const SET_PASSWORD: &str = "UPDATE accounts SET password_hash = $2, \
    email_verified_at = COALESCE(email_verified_at, $3) WHERE id = $1";

pub const INSERT_STAFF: &str = "INSERT INTO staff (id, username, password_hash, full_name, role, office_code, \
    region_code, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
pub const STAFF_AUTH: &str = "SELECT id, username, password_hash, full_name, role, office_code, region_code \
    FROM staff WHERE username = $1";

pub const INSERT_TOKEN: &str = "INSERT INTO auth_tokens (token_hash, account_id, staff_id, created_at, expires_at) \
    VALUES ($1, $2, $3, $4, $5)";
pub const TOKEN_PRINCIPAL: &str = "SELECT t.account_id, t.expires_at, a.email_verified_at, s.id AS staff_id, s.username, \
    s.full_name, s.role, s.office_code, s.region_code FROM auth_tokens t \
    LEFT JOIN accounts a ON a.id = t.account_id LEFT JOIN staff s ON s.id = t.staff_id \
    WHERE t.token_hash = $1 AND t.expires_at > $2";
/// PostgreSQL's principals of many tokens in one statement: $1 is a JSON array of token
/// hashes (see `sql_store::batched`); expired ones too, each caller compares its own now.
pub const PRINCIPALS_BY_TOKENS: &str = "SELECT p.* FROM \
    jsonb_array_elements_text(CAST($1 AS TEXT)::jsonb) AS k(h) CROSS JOIN LATERAL \
    (SELECT t.token_hash, t.account_id, t.expires_at, a.email_verified_at, s.id AS staff_id, \
    s.username, s.full_name, s.role, s.office_code, s.region_code FROM auth_tokens t \
    LEFT JOIN accounts a ON a.id = t.account_id LEFT JOIN staff s ON s.id = t.staff_id \
    WHERE t.token_hash = k.h OFFSET 0) p";
pub const DELETE_TOKEN: &str = "DELETE FROM auth_tokens WHERE token_hash = $1";
pub const DELETE_ACCOUNT_TOKENS: &str = "DELETE FROM auth_tokens WHERE account_id = $1";

pub const COUNT_APPLICANTS: &str = "SELECT COUNT(*) AS n FROM applicants WHERE account_id = $1";
pub const APPLICANT_NIK_EXISTS: &str =
    "SELECT id FROM applicants WHERE account_id = $1 AND nik = $2";
pub const INSERT_APPLICANT: &str = "INSERT INTO applicants (id, account_id, nik, full_name, birth_date, sex, married, \
    created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
pub const LIST_APPLICANTS: &str = "SELECT id, account_id, nik, full_name, birth_date, sex, married FROM applicants \
    WHERE account_id = $1 ORDER BY created_at, id";
pub const UPDATE_APPLICANT: &str = "UPDATE applicants SET full_name = $2, birth_date = $3, sex = $4, \
    married = $5 WHERE id = $1";
pub const GET_APPLICANT: &str = "SELECT id, account_id, nik, full_name, birth_date, sex, married FROM applicants \
    WHERE account_id = $1 AND id = $2";
/// PostgreSQL's applicants of many (account, id) pairs in one statement: $1 is a JSON array
/// of `{"a": account id, "i": applicant id}` (see `sql_store::batched`).
pub const APPLICANTS_BY_IDS: &str = "SELECT p.* FROM \
    jsonb_to_recordset(CAST($1 AS TEXT)::jsonb) AS k(a uuid, i uuid) CROSS JOIN LATERAL \
    (SELECT id, account_id, nik, full_name, birth_date, sex, married FROM applicants \
    WHERE id = k.i AND account_id = k.a OFFSET 0) p";

pub const INSERT_MAIL: &str = "INSERT INTO outbox (id, to_address, subject, body, created_at, sent_at, attempts) \
    VALUES ($1, $2, $3, $4, $5, NULL, 0)";
pub const UNSENT_MAIL: &str = "SELECT id, to_address, subject, body, created_at, sent_at FROM outbox \
    WHERE sent_at IS NULL AND attempts < 10 ORDER BY created_at LIMIT $1";
/// Claims a batch of unsent mail for a lease; a row claimed by one worker is skipped by the
/// others until the lease ends (then it is retried: at-least-once delivery).
pub const CLAIM_MAIL: &str = "UPDATE outbox SET claimed_until = $2 WHERE id IN (SELECT id FROM outbox \
    WHERE sent_at IS NULL AND attempts < 10 AND (claimed_until IS NULL OR claimed_until < $1) \
    ORDER BY created_at LIMIT $3) AND sent_at IS NULL AND (claimed_until IS NULL OR claimed_until < $1) \
    RETURNING id, to_address, subject, body, created_at, sent_at";
pub const MARK_MAIL_SENT: &str =
    "UPDATE outbox SET sent_at = $2, attempts = attempts + 1 WHERE id = $1";
pub const MARK_MAIL_FAILED: &str =
    "UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1";
pub const RECENT_MAIL: &str = "SELECT id, to_address, subject, body, created_at, sent_at FROM outbox \
    ORDER BY created_at DESC LIMIT $1";
pub const RECENT_MAIL_TO: &str = "SELECT id, to_address, subject, body, created_at, sent_at FROM outbox \
    WHERE to_address = $1 ORDER BY created_at DESC LIMIT $2";

/// A booking's recorded changes, oldest first (`booking_events_booking`).
pub const BOOKING_EVENTS: &str = "SELECT id, booking_id, at, from_state, to_state, actor, detail \
    FROM booking_events WHERE booking_id = $1 ORDER BY id";
/// Recorded changes not yet noticed, oldest first: the partial index
/// `booking_events_unnoticed` holds exactly these (its condition is repeated verbatim).
pub const UNNOTICED_EVENTS: &str = "SELECT id, booking_id, at, from_state, to_state, actor, detail \
    FROM booking_events WHERE noticed_at IS NULL ORDER BY id LIMIT $1";
/// Claims a recorded change for its notice: one row changes for exactly one caller.
pub const MARK_EVENT_NOTICED: &str =
    "UPDATE booking_events SET noticed_at = $2 WHERE id = $1 AND noticed_at IS NULL";
/// Claims a booking's own notice (kind $2, about $3): a row is inserted for exactly one caller.
pub const INSERT_BOOKING_NOTICE: &str = "INSERT INTO booking_notices (booking_id, kind, about, noticed_at) \
    VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";

/// Every statement with the same text on both engines, for the prepare test.
pub const SHARED: &[&str] = &[
    PING,
    UPSERT_REGION,
    REGION_NAME,
    UPSERT_OFFICE,
    DELETE_OFFICE_SESSIONS,
    INSERT_OFFICE_SESSION,
    LIST_OFFICES,
    GET_OFFICE,
    LIST_ALL_SESSIONS,
    LIST_OFFICE_SESSIONS,
    UPSERT_HOLIDAY,
    GET_HOLIDAY,
    DELETE_HOLIDAY,
    LIST_HOLIDAYS,
    UPSERT_EXCEPTION,
    GET_EXCEPTION,
    DELETE_EXCEPTION,
    LIST_EXCEPTIONS,
    DELETE_FEE_TABLES,
    INSERT_FEE_TABLE,
    LIST_FEE_TABLES,
    LIST_QUOTA_DEFAULTS,
    GET_QUOTA_DEFAULT,
    UPSERT_QUOTA_DEFAULT,
    LIST_QUOTA_OVERRIDES,
    GET_QUOTA_OVERRIDE,
    UPSERT_QUOTA_OVERRIDE,
    SLOTS_FOLLOWING_DEFAULT,
    SET_SLOT_CAPACITY,
    NEXT_TICKET_NUMBER,
    INSERT_TICKET,
    TICKETS_OF_DAY,
    GET_TICKET,
    TICKET_OF_BOOKING,
    WAITING_TICKETS,
    COUNTER_TICKET,
    RECENT_FIRST_CALLS,
    CALL_TICKET,
    SET_TICKET,
    SET_BOOKING_OUTCOME,
    CHECK_IN_BOOKING,
    BOOKING_IDS_OF_DAYS,
    CHECK_IN_RETURN,
    BOOKING_STATE,
    CLOSE_OPEN_TICKETS,
    SET_BOOKING_UNSERVED,
    SWEEP_DOCUMENTS_LAPSED,
    NEXT_FLOOR_SEQ,
    SET_OUTAGE,
    OUTAGE_ON,
    INSERT_FLOOR_EVENT,
    FLOOR_EVENTS_SINCE,
    LAST_FLOOR_SEQ,
    INSERT_AUDIT,
    LIST_AUDIT_OFFICE,
    LIST_AUDIT_ALL,
    COUNT_TAKEN,
    SLOT_USAGE,
    ADD_TAKEN,
    INSERT_SLOT,
    DELETE_SLOT,
    EXPIRE_NIK_LAPSED,
    ACTIVE_BOOKING_FOR_NIK,
    INSERT_BOOKING,
    NIK_HOLD,
    NIK_DATED_BOOKINGS,
    OFFICE_ZONES,
    OFFICE_ZONE,
    SWEEP_NO_SHOWS,
    SLOT_PLACES,
    INSERT_EVENT,
    GET_BOOKING,
    BOOKING_BY_IDEMPOTENCY,
    SLOT_IDEMPOTENCY_KEYS,
    BOOKING_BY_BILLING_CODE,
    LIST_BOOKINGS,
    SET_BOOKING_STATE,
    SET_BOOKING_PAID_AS,
    MOVE_BOOKING,
    BOOKING_SLOT,
    SLOT_ID,
    SLOT_CAPACITY,
    GET_NOTIFICATION,
    INSERT_NOTIFICATION,
    EXPIRE_OVERDUE,
    INSERT_ACCOUNT,
    ACCOUNT_AUTH,
    INSERT_OFFICE_ACCOUNT,
    OFFICE_ACCOUNT,
    GET_ACCOUNT,
    UPSERT_VERIFICATION,
    GET_VERIFICATION,
    BUMP_VERIFICATION,
    DELETE_VERIFICATION,
    MARK_VERIFIED,
    UPSERT_PASSWORD_RESET,
    GET_PASSWORD_RESET,
    BUMP_PASSWORD_RESET,
    DELETE_PASSWORD_RESET,
    SET_PASSWORD,
    INSERT_STAFF,
    STAFF_AUTH,
    INSERT_TOKEN,
    TOKEN_PRINCIPAL,
    DELETE_TOKEN,
    DELETE_ACCOUNT_TOKENS,
    COUNT_APPLICANTS,
    APPLICANT_NIK_EXISTS,
    INSERT_APPLICANT,
    UPDATE_APPLICANT,
    LIST_APPLICANTS,
    GET_APPLICANT,
    INSERT_MAIL,
    UNSENT_MAIL,
    CLAIM_MAIL,
    MARK_MAIL_SENT,
    MARK_MAIL_FAILED,
    RECENT_MAIL,
    RECENT_MAIL_TO,
    RUNNING_HOLDS,
    REMINDERS_DUE,
    UNNOTICED_EVENTS,
    BOOKING_EVENTS,
    MARK_EVENT_NOTICED,
    INSERT_BOOKING_NOTICE,
];

/// Statements that differ per engine.
pub const PER_ENGINE: &[(&str, &str)] = &[
    LOCK_OFFICE_SHARE,
    LOCK_OFFICE,
    LOCK_SLOT,
    LOCK_ACCOUNT,
    LOCK_BOOKING,
    LOCK_SLOT_BY_ID,
];

/// Statements only PostgreSQL runs (the prepare test prepares them there).
pub const POSTGRES_ONLY: &[&str] = &[
    NOTIFY_FLOOR,
    BOOKINGS_BY_IDEMPOTENCY_KEYS,
    PRINCIPALS_BY_TOKENS,
    APPLICANTS_BY_IDS,
    INSERT_BOOKINGS_IF_NIK_FREE,
    BOOK_INTO_SLOT,
    LOCK_SLOT_COUNTED,
    LOCK_LAPSED_SLOTS,
    LOCK_NO_SHOW_SLOTS,
    LOCK_UNSERVED_SLOTS,
    LOCK_DOCUMENTS_LAPSED_SLOTS,
];

#[cfg(test)]
mod tests {
    use loket_domain::BookingState;

    #[test]
    fn the_active_states_in_sql_are_the_domains() {
        let codes: Vec<String> = BookingState::ACTIVE
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        assert_eq!(super::ACTIVE_STATES, format!("({})", codes.join(", ")));
        // The index and the triggers that count places use the same list.
        for migration in [
            include_str!("../migrations/sqlite/0010_counters.sql"),
            include_str!("../migrations/postgres/0010_counters.sql"),
        ] {
            let uses = migration
                .matches(&format!("state IN {}", super::ACTIVE_STATES))
                .count();
            assert!(uses >= 3, "{uses} uses in {migration}");
            assert!(
                !migration.contains("'paid')") && !migration.contains("'checked_in')"),
                "an older list"
            );
        }
    }

    #[test]
    fn the_open_ticket_states_in_sql_are_the_domains() {
        let codes: Vec<String> = loket_domain::floor::TicketState::OPEN
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        assert_eq!(super::OPEN_TICKET_STATES, format!("({})", codes.join(", ")));
        for migration in [
            include_str!("../migrations/sqlite/0014_day_close_out.sql"),
            include_str!("../migrations/postgres/0014_day_close_out.sql"),
        ] {
            let uses = migration
                .matches(&format!("state IN {}", super::OPEN_TICKET_STATES))
                .count();
            assert_eq!(uses, 2, "{migration}");
        }
    }
}
