-- Assisted booking: the front desk books for a person without a phone. Such bookings
-- belong to an account the office holds (one per office), not to a person's own account:
-- it has no mailbox, nobody logs into it, and its people are the ones the desk typed in
-- from their ID cards. The office marks the account; an applicant's own account has none.
ALTER TABLE accounts ADD COLUMN office_code TEXT REFERENCES offices (code);
CREATE UNIQUE INDEX accounts_office ON accounts (office_code) WHERE office_code IS NOT NULL;
