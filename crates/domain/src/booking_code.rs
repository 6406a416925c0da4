//! The booking code on a receipt: eight characters an officer can read aloud or type at
//! the front desk (`7K3M-Q9XD`), taken from the random part of the booking's id, so it
//! needs no column, no sequence and no work in the booking transaction.
//!
//! Crockford's base32 (no I, L, O or U), so a typed code survives the usual confusions:
//! `o` reads as `0`, `i` and `l` as `1`, case and hyphens do not matter. Forty random bits
//! make two bookings of one office and day share a code about once in ten million days
//! (300 bookings a day); the front desk looks a code up within its office and day, and
//! the QR code carries the whole id.

use uuid::Uuid;

/// Crockford's base32 alphabet.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in a code (without the hyphen).
const LEN: usize = 8;

/// A booking's code, e.g. `7K3M-Q9XD`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BookingCode([u8; LEN]);

impl BookingCode {
    /// The code of the booking with this id: the id's last 40 bits, which are random in
    /// both version 4 and version 7 ids.
    pub fn of(id: Uuid) -> Self {
        let bits = id.as_u128() & ((1 << 40) - 1);
        let mut out = [0u8; LEN];
        for (i, c) in out.iter_mut().enumerate() {
            let shift = 5 * (LEN - 1 - i);
            *c = ALPHABET[((bits >> shift) & 31) as usize];
        }
        Self(out)
    }

    /// Reads a code as a person types it: any case, with or without the hyphen or
    /// spaces, `O` for zero and `I` or `L` for one. `None` when it is not eight such
    /// characters.
    pub fn parse(typed: &str) -> Option<Self> {
        let mut out = [0u8; LEN];
        let mut n = 0;
        for ch in typed.chars().filter(|c| !matches!(c, '-' | ' ')) {
            let c = match ch.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            let byte = u8::try_from(c).ok().filter(|b| ALPHABET.contains(b))?;
            *out.get_mut(n)? = byte;
            n += 1;
        }
        (n == LEN).then_some(Self(out))
    }

    /// Whether this is the code of the booking `id`.
    pub fn matches(self, id: Uuid) -> bool {
        Self::of(id) == self
    }
}

/// What the front desk was shown: the receipt's QR code scanned (the whole id, which a
/// USB scanner types into the field as `LOKET:…`) or the booking code typed by hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presented {
    /// The QR code: the booking's id.
    Id(Uuid),
    /// A typed booking code, looked up among the office's bookings of the day.
    Code(BookingCode),
}

/// The QR code's prefix, which tells a scan from a typed code.
const QR_PREFIX: &str = "LOKET:";

impl Presented {
    /// What the receipt's QR code carries for booking `id`: the whole id, in the
    /// characters a QR code packs most tightly (upper case, digits, `:` and `-`).
    pub fn qr_payload(id: Uuid) -> String {
        format!("{QR_PREFIX}{}", id.hyphenated()).to_uppercase()
    }

    /// Reads a scan or a typed code; surrounding spaces do not matter. `None` when it is
    /// neither.
    pub fn parse(input: &str) -> Option<Self> {
        let input = input.trim();
        let scanned = input
            .get(..QR_PREFIX.len())
            .filter(|p| p.eq_ignore_ascii_case(QR_PREFIX))
            .map(|_| &input[QR_PREFIX.len()..]);
        match scanned {
            Some(id) => Uuid::parse_str(id).ok().map(Self::Id),
            None => BookingCode::parse(input).map(Self::Code),
        }
    }
}

impl std::fmt::Display for BookingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (a, b) = self.0.split_at(LEN / 2);
        let text = |part: &[u8]| part.iter().map(|&c| char::from(c)).collect::<String>();
        write!(f, "{}-{}", text(a), text(b))
    }
}

impl std::fmt::Debug for BookingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BookingCode({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_the_ids_last_forty_bits_in_crockford_base32() {
        let id = Uuid::from_u128(0xffff_ffff_ffff_ffff_ffff_ff00_0000_0001);
        assert_eq!(BookingCode::of(id).to_string(), "0000-0001");
        let id = Uuid::from_u128((1 << 40) - 1);
        assert_eq!(BookingCode::of(id).to_string(), "ZZZZ-ZZZZ");
        let id = Uuid::from_u128(0x12_3456_789a);
        assert_eq!(BookingCode::of(id).to_string(), "28T5-CY4T");
    }

    #[test]
    fn a_typed_code_forgives_case_hyphens_and_look_alike_letters() {
        let id = Uuid::now_v7();
        let code = BookingCode::of(id);
        let shown = code.to_string();
        assert_eq!(BookingCode::parse(&shown), Some(code));
        assert_eq!(
            BookingCode::parse(&shown.to_lowercase().replace('-', " ")),
            Some(code)
        );
        assert_eq!(
            BookingCode::parse("0000-0001"),
            BookingCode::parse("oooo-ooo1")
        );
        assert_eq!(
            BookingCode::parse("1111-1111"),
            BookingCode::parse("IiLl-lLiI")
        );
        assert!(code.matches(id));
    }

    #[test]
    fn what_is_not_eight_code_characters_is_no_code() {
        for typed in [
            "",
            "ABCD-EFG",
            "ABCD-EFGHJ",
            "ABCD-EFGU",
            "ÀBCD-EFGH",
            "ABCD_EFGH",
        ] {
            assert_eq!(BookingCode::parse(typed), None, "{typed:?}");
        }
    }

    #[test]
    fn the_desk_reads_a_scanned_qr_code_or_a_typed_booking_code() {
        let id = Uuid::now_v7();
        let qr = Presented::qr_payload(id);
        assert!(qr.starts_with("LOKET:"), "{qr}");
        assert_eq!(qr, qr.to_uppercase());
        assert_eq!(Presented::parse(&qr), Some(Presented::Id(id)));
        assert_eq!(
            Presented::parse(&format!("  {}\n", qr.to_lowercase())),
            Some(Presented::Id(id))
        );
        let code = BookingCode::of(id);
        assert_eq!(
            Presented::parse(&code.to_string()),
            Some(Presented::Code(code))
        );
        for bad in ["", "LOKET:", "LOKET:not-an-id", "hello", "LOKÉT:x"] {
            assert_eq!(Presented::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ids_made_one_after_another_get_different_codes() {
        let codes: std::collections::HashSet<_> = (0..1_000)
            .map(|_| BookingCode::of(Uuid::now_v7()))
            .collect();
        // Forty random bits: a repeat among a thousand is a one-in-two-million chance.
        assert_eq!(codes.len(), 1_000);
    }
}
