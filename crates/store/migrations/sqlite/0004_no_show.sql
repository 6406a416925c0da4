-- A paid booking whose service day ended without a check-in becomes a no-show (state
-- 'no_show'), which frees its NIK to book again. The sweep finds paid bookings by date;
-- the index holds paid rows only, so allocations (which insert unpaid holds) never write it.
CREATE INDEX bookings_paid_service_date ON bookings (service_date) WHERE state = 'paid';
