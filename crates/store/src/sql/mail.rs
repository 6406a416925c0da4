//! The outbox, the recorded booking changes, and the notices that turn them into mail.

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
/// PostgreSQL: claims many booking notices and queues the mail of those it claimed, in one
/// statement. $1 is a JSON array of `{"o": place in claim order, "b": booking id, "k": kind,
/// "a": about, "m": mail id, "t": to, "s": subject, "x": body}` without repeats (no mail:
/// "m" null); $2 is now. Answers the number of mails queued.
pub const RECORD_BOOKING_NOTICES: &str = "WITH n AS (SELECT * FROM \
    jsonb_to_recordset(CAST($1 AS TEXT)::jsonb) AS n(o int, b uuid, k text, a text, m uuid, t text, s text, x text)), \
    claimed AS (INSERT INTO booking_notices (booking_id, kind, about, noticed_at) \
    SELECT b, k, a, $2 FROM n ORDER BY o ON CONFLICT DO NOTHING RETURNING booking_id, kind, about), \
    mailed AS (INSERT INTO outbox (id, to_address, subject, body, created_at, sent_at, attempts) \
    SELECT n.m, n.t, n.s, n.x, $2, NULL, 0 FROM n JOIN claimed c ON c.booking_id = n.b AND c.kind = n.k \
    AND c.about = n.a WHERE n.m IS NOT NULL ORDER BY n.o RETURNING 1) \
    SELECT COUNT(*) AS n FROM mailed";
