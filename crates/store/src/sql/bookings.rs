//! Slots and bookings: the locks and counts of places, the allocation statements (one
//! booking, and PostgreSQL's batches), reads of bookings, payments and the expiry sweep.

/// A statement whose text differs per engine is a pair: (sqlite, postgres).
pub const LOCK_SLOT: (&str, &str) = (
    "SELECT id, capacity FROM slots WHERE office_code = $1 AND service_date = $2 AND session_code = $3 AND class = $4",
    "SELECT id, capacity FROM slots WHERE office_code = $1 AND service_date = $2 AND session_code = $3 AND class = $4 FOR UPDATE",
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
/// Places held or paid at $2: paid, being confirmed, or unpaid with time left (the
/// predicate of `BookingState::holds_place` in the domain). `slots.taken` counts the
/// slot's active bookings, kept by triggers (migration 0005); the unpaid holds whose
/// deadline has passed by $2 are subtracted: a hold stops counting by the clock alone, and
/// until the expiry worker records that, the row is still active. That subtraction is a
/// range in `bookings_slot_state` over the lapsed holds not yet swept, which the worker
/// keeps few; the cost no longer grows with the slot's bookings.
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
