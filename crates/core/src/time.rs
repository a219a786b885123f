//! Time as the zone lives it. Stamps are stored in UTC and shown in Asia/Shanghai, which has
//! been UTC+8 all year since 1991, so a fixed offset is exact and needs no time-zone database.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// The calendar day in the zone at an instant.
pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&shanghai()).date_naive()
}

/// An instant from a local date and time in the zone.
pub fn from_local(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    shanghai()
        .from_local_datetime(&date.and_time(time))
        .single()
        .expect("a fixed offset has no gaps")
        .with_timezone(&Utc)
}

/// An instant as synced records hold it: RFC 3339 in UTC, as serde writes a `DateTime<Utc>`.
pub fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// "2024-10-26 08:30" in the zone's time.
pub fn display(at: DateTime<Utc>) -> String {
    at.with_timezone(&shanghai())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_past_eight_in_suizhou_is_half_past_midnight_utc() {
        let d = NaiveDate::from_ymd_opt(2024, 10, 26).unwrap();
        let at = from_local(d, NaiveTime::from_hms_opt(8, 30, 0).unwrap());
        assert_eq!(at.to_rfc3339(), "2024-10-26T00:30:00+00:00");
        assert_eq!(display(at), "2024-10-26 08:30");
        assert_eq!(local_date(at), d);
    }
}
