-- Outage mode: on a day an office cannot take online bookings (the service is down, the
-- network is out), its front desk serves people who come without a booking as B-series
-- walk-ins. The switch is per office and day, set and cleared by the desk (audited).
CREATE TABLE floor_modes (
    office_code TEXT NOT NULL REFERENCES offices (code),
    service_date TEXT NOT NULL,
    outage INTEGER NOT NULL,
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL,
    PRIMARY KEY (office_code, service_date)
);
