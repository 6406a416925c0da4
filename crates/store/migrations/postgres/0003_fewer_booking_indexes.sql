-- Every booking insert writes every index of the table. These three served no query that
-- another index does not serve as well:
-- * lookups by NIK all ask for an active booking and use bookings_one_active_per_nik (the
--   statements repeat its condition verbatim, which SQLite needs to use a partial index);
-- * an account's bookings are found through the (account_id, idempotency_key) unique index;
-- * no query looks bookings up by office and date (the slots table does that).
DROP INDEX bookings_nik_state;
DROP INDEX bookings_account;
DROP INDEX bookings_office_date;
