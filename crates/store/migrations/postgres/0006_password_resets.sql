-- A password reset code per account, as for email verification: only its hash is kept,
-- it expires, and it takes at most five tries. Using it sets the new password, ends the
-- account's sessions and removes the row, in one transaction.
CREATE TABLE password_resets (
    account_id UUID PRIMARY KEY REFERENCES accounts (id),
    code_hash TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0
);

-- A reset ends every session of the account: found by account, not by a scan.
CREATE INDEX auth_tokens_account ON auth_tokens (account_id) WHERE account_id IS NOT NULL;
