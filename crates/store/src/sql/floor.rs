//! The office floor: queue numbers and tickets, the floor's event stream, outage mode,
//! check-in, and the close-out of a day.

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
/// PostgreSQL: the slots of the paid bookings `SWEEP_NO_SHOWS` will move ($1 today in zone
/// $2, $3 the batch), locked in id order before the bookings, as every writer does.
pub const LOCK_NO_SHOW_SLOTS: &str = "SELECT id FROM slots WHERE id IN (SELECT b.slot_id FROM bookings b \
    JOIN offices o ON o.code = b.office_code WHERE b.state = 'paid' AND b.service_date < $1 \
    AND o.time_zone = $2 ORDER BY b.service_date LIMIT $3) ORDER BY id FOR UPDATE";
