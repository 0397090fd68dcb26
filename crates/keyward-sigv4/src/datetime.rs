//! SigV4 timestamps: `YYYYMMDDTHHMMSSZ` (and the RFC 1123 `Date` header as a
//! fallback), handled as Unix seconds so no arithmetic can overflow or panic.

use std::time::{SystemTime, UNIX_EPOCH};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// Unix seconds of a `SystemTime`, saturating far outside the representable range.
pub(crate) fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs())
            .map(|s| -s)
            .unwrap_or(i64::MIN),
    }
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn to_unix(year: u32, month: u32, day: u32, h: u32, m: u32, s: u32) -> Option<i64> {
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date =
        Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
    let time = Time::from_hms(
        u8::try_from(h).ok()?,
        u8::try_from(m).ok()?,
        u8::try_from(s).ok()?,
    )
    .ok()?;
    Some(
        PrimitiveDateTime::new(date, time)
            .assume_utc()
            .unix_timestamp(),
    )
}

/// Parses `20150830T123600Z` strictly.
pub(crate) fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let (date, time) = (s.get(0..8)?, s.get(9..15)?);
    to_unix(
        digits(date.get(0..4)?)?,
        digits(date.get(4..6)?)?,
        digits(date.get(6..8)?)?,
        digits(time.get(0..2)?)?,
        digits(time.get(2..4)?)?,
        digits(time.get(4..6)?)?,
    )
}

/// Parses an RFC 1123 `Date` header: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) fn parse_http_date(s: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut it = s.split_ascii_whitespace();
    let _weekday = it.next().filter(|w| w.len() == 4 && w.ends_with(','))?;
    let day = digits(it.next().filter(|d| d.len() <= 2)?)?;
    let mon = it.next()?;
    let month = MONTHS.iter().position(|m| *m == mon)? as u32 + 1;
    let year = digits(it.next().filter(|y| y.len() == 4)?)?;
    let hms: Vec<&str> = it.next()?.split(':').collect();
    if it.next()? != "GMT"
        || it.next().is_some()
        || hms.len() != 3
        || hms.iter().any(|p| p.len() != 2)
    {
        return None;
    }
    to_unix(
        year,
        month,
        day,
        digits(hms[0])?,
        digits(hms[1])?,
        digits(hms[2])?,
    )
}

/// Formats Unix seconds as `YYYYMMDDTHHMMSSZ`; out-of-range values are clamped.
pub(crate) fn format_amz_date(secs: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp(secs.clamp(0, 253_402_300_799))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_date_round_trips() {
        let t = parse_amz_date("20150830T123600Z").unwrap();
        assert_eq!(t, 1_440_938_160);
        assert_eq!(format_amz_date(t), "20150830T123600Z");
        for bad in [
            "20150830T123600",
            "2015083OT123600Z",
            "20151330T123600Z",
            "20150830T250000Z",
            "",
            "+0150830T123600Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn http_date_parses() {
        assert_eq!(
            parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT"),
            parse_amz_date("20150830T123600Z")
        );
        assert_eq!(parse_http_date("Sun, 30 Aug 2015 12:36:00 UTC"), None);
        assert_eq!(parse_http_date("30 Aug 2015 12:36:00 GMT"), None);
    }
}
