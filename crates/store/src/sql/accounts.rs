//! Accounts, their verification and password codes, staff, login tokens, and applicants.

pub const LOCK_ACCOUNT: (&str, &str) = (
    "SELECT id FROM accounts WHERE id = $1",
    "SELECT id FROM accounts WHERE id = $1 FOR UPDATE",
);
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
/// PostgreSQL's accounts of many ids in one statement: $1 is a JSON array of account ids
/// (see `sql_store::batched`).
pub const ACCOUNTS_BY_IDS: &str = "SELECT id, email, full_name, locale, email_verified_at, office_code \
    FROM accounts WHERE id IN (SELECT CAST(x AS uuid) FROM jsonb_array_elements_text(CAST($1 AS TEXT)::jsonb) AS x)";
