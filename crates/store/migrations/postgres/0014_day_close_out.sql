-- The day's close-out and the return visit with missing documents.
--
-- A booking may now have more than one ticket: the first visit's, and one for each return
-- with the documents missing at the interview. At most one of them is still on the floor
-- (waiting, called or missed): that is what keeps two desks from checking in the same
-- return twice. The first visit's own guard is the conditional move from 'paid'.
DROP INDEX tickets_booking;
CREATE UNIQUE INDEX tickets_open_booking ON tickets (booking_id)
    WHERE booking_id IS NOT NULL AND state IN ('waiting', 'called', 'missed');
CREATE INDEX tickets_booking_id ON tickets (booking_id);

-- The close-out finds the tickets still open after their day, and the bookings whose
-- missing documents are past their deadline; both are few at any time.
CREATE INDEX tickets_open_day ON tickets (service_date)
    WHERE state IN ('waiting', 'called', 'missed');
CREATE INDEX bookings_documents_missing_service_date ON bookings (service_date)
    WHERE state = 'documents_missing';
