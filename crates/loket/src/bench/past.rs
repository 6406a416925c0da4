//! A database with history: a million past bookings written with SQL.

use anyhow::bail;

/// Writes `n` bookings of past dates (a year and more ago, 730 sessions of one office;
/// seven in ten paid and so, their day over with no check-in, no-shows; two expired, one
/// cancelled) with SQL, all of the first applicant registered. The triggers keep the
/// slots' counters as for any write. (Written as `paid`, they would keep the no-show sweep
/// busy moving them during the phases, which no real database a year on would do.)
pub async fn seed_past_bookings(url: &str, n: usize) -> anyhow::Result<()> {
    use sqlx::Connection as _;
    const SLOTS: usize = 730;
    let service = serde_json::to_string(&loket_domain::catalogue::ServiceRequest {
        kind: loket_domain::catalogue::ApplicationKind::New,
        passport_type: loket_domain::catalogue::PassportType::Ordinary,
        validity: loket_domain::catalogue::Validity::FiveYears,
        processing: loket_domain::catalogue::Processing::Regular,
        force_majeure: false,
    })?;
    let state =
        "CASE WHEN n % 10 < 7 THEN 'no_show' WHEN n % 10 < 9 THEN 'expired' ELSE 'cancelled' END";
    let columns = "id, account_id, applicant_id, nik, slot_id, office_code, service_date, \
        session_code, class, state, billing_code, payment_deadline, service, travel_purpose, \
        fee_table_code, fee_total, fee_lines, reschedules_used, created_at, updated_at, paid_at";
    if url.starts_with("sqlite:") {
        let day = "date('now', '-' || (366 + (n % 730) / 2) || ' days')";
        let statements = [
            format!(
                "WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n < {last}) \
                 INSERT INTO slots (office_code, service_date, session_code, class, capacity) \
                 SELECT 'palembang', date('now', '-' || (366 + n / 2) || ' days'), \
                 CASE n % 2 WHEN 0 THEN 's1' ELSE 's2' END, 'online', 10000 FROM k ORDER BY n",
                last = SLOTS - 1
            ),
            format!(
                "WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n < {last}), \
                 a AS (SELECT id, account_id FROM applicants ORDER BY created_at LIMIT 1), \
                 b AS (SELECT MIN(id) AS base FROM slots WHERE service_date < date('now', '-365 days')) \
                 INSERT INTO bookings ({columns}) \
                 SELECT randomblob(16), a.account_id, a.id, printf('99%014d', n), b.base + n % {SLOTS}, \
                 'palembang', {day}, CASE (n % {SLOTS}) % 2 WHEN 0 THEN 's1' ELSE 's2' END, 'online', \
                 {state}, printf('9%014d', n), {day} || 'T01:00:00+00:00', '{service}', 'tourism', \
                 'pp-45-2024', 350000, '[]', 0, {day} || 'T00:00:00+00:00', {day} || 'T00:00:00+00:00', \
                 CASE WHEN n % 10 < 7 THEN {day} || 'T00:30:00+00:00' END FROM k, a, b",
                last = n - 1
            ),
            "ANALYZE".to_owned(),
            // The WAL now holds the whole load; copy it back and empty it, as the
            // checkpointer would in time, so the phases measure a database with history
            // rather than the aftermath of a bulk load.
            "PRAGMA wal_checkpoint(TRUNCATE)".to_owned(),
        ];
        // The server's workers write now and then; wait for them rather than fail.
        let opts = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(url)?
            .busy_timeout(std::time::Duration::from_secs(60));
        let mut conn = sqlx::SqliteConnection::connect_with(&opts).await?;
        for sql in statements {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await?;
        }
        let written: i64 = sqlx::query_scalar(SEEDED).fetch_one(&mut conn).await?;
        conn.close().await?;
        check_seeded(written, n)?;
    } else {
        let day = "(CURRENT_DATE - (366 + (n % 730) / 2))";
        let statements = [
            format!(
                "INSERT INTO slots (office_code, service_date, session_code, class, capacity) \
                 SELECT 'palembang', CURRENT_DATE - (366 + n / 2), \
                 CASE n % 2 WHEN 0 THEN 's1' ELSE 's2' END, 'online', 10000 \
                 FROM generate_series(0, {last}) n ORDER BY n",
                last = SLOTS - 1
            ),
            format!(
                "WITH a AS (SELECT id, account_id FROM applicants ORDER BY created_at LIMIT 1), \
                 b AS (SELECT MIN(id) AS base FROM slots WHERE service_date < CURRENT_DATE - 365) \
                 INSERT INTO bookings ({columns}) \
                 SELECT gen_random_uuid(), a.account_id, a.id, '99' || lpad(n::text, 14, '0'), \
                 b.base + n % {SLOTS}, 'palembang', {day}, \
                 CASE (n % {SLOTS}) % 2 WHEN 0 THEN 's1' ELSE 's2' END, 'online', {state}, \
                 '9' || lpad(n::text, 14, '0'), {day} + time '01:00', '{service}', 'tourism', \
                 'pp-45-2024', 350000, '[]', 0, {day} + time '00:00', {day} + time '00:00', \
                 CASE WHEN n % 10 < 7 THEN {day} + time '00:30' END \
                 FROM generate_series(0, {last}) n, a, b",
                last = n - 1
            ),
            "VACUUM ANALYZE bookings".to_owned(),
            "VACUUM ANALYZE slots".to_owned(),
            // Write the load's pages out now rather than in a checkpoint during the phases.
            "CHECKPOINT".to_owned(),
        ];
        let mut conn = sqlx::PgConnection::connect(url).await?;
        for sql in statements {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await?;
        }
        let written: i64 = sqlx::query_scalar(SEEDED).fetch_one(&mut conn).await?;
        conn.close().await?;
        check_seeded(written, n)?;
    }
    Ok(())
}

/// How many past bookings the seed wrote (their NIKs start with 99, no real one does).
const SEEDED: &str = "SELECT COUNT(*) FROM bookings WHERE nik LIKE '99%'";

fn check_seeded(written: i64, wanted: usize) -> anyhow::Result<()> {
    if usize::try_from(written).ok() != Some(wanted) {
        bail!("wrote {written} past bookings instead of {wanted}");
    }
    Ok(())
}
