//! Reference data: regions, offices and their sessions, holidays, office exceptions, fee
//! tables and quotas.

pub const LOCK_OFFICE_SHARE: (&str, &str) = (
    "SELECT code FROM offices WHERE code = $1",
    "SELECT code FROM offices WHERE code = $1 FOR SHARE",
);
pub const LOCK_OFFICE: (&str, &str) = (
    "SELECT code FROM offices WHERE code = $1",
    "SELECT code FROM offices WHERE code = $1 FOR UPDATE",
);
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
pub const OFFICE_ZONE: &str = "SELECT time_zone FROM offices WHERE code = $1";
/// The time zones offices are in (a handful): the no-show sweep runs once per zone.
pub const OFFICE_ZONES: &str = "SELECT DISTINCT time_zone FROM offices ORDER BY time_zone";
