//! Business hours for the off-hours rule, in a named time zone (the system's tz
//! database, so daylight saving time is right).
//!
//! ```toml
//! [[alert.rules.off_hours.business_hours]]
//! secrets = "prod/"             # a name prefix (an environment); omit for every secret
//! time_zone = "Europe/Berlin"
//! days = "mon-fri"              # or "mon,wed,fri", "sat-sun", "all"
//! hours = "08:00-18:00"         # local time; "22:00-06:00" crosses midnight
//! ```

use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;
use serde::Deserialize;
use time::OffsetDateTime;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessHoursConfig {
    #[serde(default)]
    pub secrets: Option<String>,
    pub time_zone: String,
    #[serde(default)]
    pub days: Option<String>,
    pub hours: String,
}

/// A resolved business-hours window.
#[derive(Debug, Clone)]
pub struct BusinessHours {
    prefix: String,
    tz: TimeZone,
    tz_name: String,
    days: [bool; 7],
    start: Time,
    end: Time,
    text: String,
}

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn day_index(s: &str) -> Result<usize, String> {
    let s = s.trim().to_ascii_lowercase();
    DAY_NAMES
        .iter()
        .position(|d| s.starts_with(d))
        .ok_or_else(|| format!("{s:?} is not a day (mon, tue, wed, thu, fri, sat, sun)"))
}

fn parse_days(s: &str) -> Result<[bool; 7], String> {
    let mut days = [false; 7];
    if s.trim().eq_ignore_ascii_case("all") {
        return Ok([true; 7]);
    }
    for part in s.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day_index(a)?, day_index(b)?);
                let mut i = a;
                loop {
                    days[i] = true;
                    if i == b {
                        break;
                    }
                    i = (i + 1) % 7;
                }
            }
            None => days[day_index(part)?] = true,
        }
    }
    Ok(days)
}

fn parse_time(s: &str) -> Result<Time, String> {
    let (h, m) = s
        .trim()
        .split_once(':')
        .ok_or_else(|| format!("{s:?} is not a time like 08:00"))?;
    let h: i8 = h
        .parse()
        .map_err(|_| format!("{s:?} is not a time like 08:00"))?;
    let m: i8 = m
        .parse()
        .map_err(|_| format!("{s:?} is not a time like 08:00"))?;
    if h == 24 && m == 0 {
        return Ok(Time::MAX);
    }
    Time::new(h, m, 0, 0).map_err(|_| format!("{s:?} is not a time of day"))
}

impl BusinessHoursConfig {
    pub fn resolve(&self) -> Result<BusinessHours, String> {
        let tz = TimeZone::get(&self.time_zone).map_err(|e| {
            format!(
                "time_zone {:?} is not known ({e}); use an IANA name such as Europe/Berlin or UTC",
                self.time_zone
            )
        })?;
        let days_text = self.days.clone().unwrap_or_else(|| "mon-fri".into());
        let days = parse_days(&days_text)?;
        let (a, b) = self
            .hours
            .split_once('-')
            .ok_or_else(|| format!("hours {:?} must look like 08:00-18:00", self.hours))?;
        let (start, end) = (parse_time(a)?, parse_time(b)?);
        if start == end {
            return Err(format!("hours {:?} is an empty window", self.hours));
        }
        Ok(BusinessHours {
            prefix: self.secrets.clone().unwrap_or_default(),
            tz,
            tz_name: self.time_zone.clone(),
            days,
            start,
            end,
            text: format!("{days_text} {} {}", self.hours, self.time_zone),
        })
    }
}

fn weekday_index(w: Weekday) -> usize {
    w.to_monday_zero_offset() as usize
}

impl BusinessHours {
    pub fn applies_to(&self, secret: &str) -> bool {
        secret.starts_with(&self.prefix)
    }

    pub fn describe(&self) -> &str {
        &self.text
    }

    pub fn time_zone(&self) -> &str {
        &self.tz_name
    }

    /// Whether `at` is inside business hours, in the window's time zone. A window
    /// that crosses midnight belongs to the day it starts on.
    pub fn contains(&self, at: OffsetDateTime) -> bool {
        let Ok(ts) = jiff::Timestamp::from_nanosecond(at.unix_timestamp_nanos()) else {
            return false;
        };
        let local = ts.to_zoned(self.tz.clone());
        let t = local.time();
        let day = weekday_index(local.weekday());
        if self.start < self.end {
            self.days[day] && t >= self.start && t < self.end
        } else {
            // e.g. 22:00-06:00: late on a business day, or early the day after one.
            let yesterday = (day + 6) % 7;
            (self.days[day] && t >= self.start) || (self.days[yesterday] && t < self.end)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn hours(tz: &str, days: &str, h: &str) -> BusinessHours {
        BusinessHoursConfig {
            secrets: None,
            time_zone: tz.into(),
            days: Some(days.into()),
            hours: h.into(),
        }
        .resolve()
        .expect("valid")
    }

    #[test]
    fn windows_follow_the_time_zone_and_its_daylight_saving_time() {
        let berlin = hours("Europe/Berlin", "mon-fri", "08:00-18:00");
        // Wed 2026-01-14 07:30 UTC is 08:30 in Berlin (CET, +1).
        assert!(berlin.contains(datetime!(2026-01-14 07:30 UTC)));
        // Wed 2026-07-15 06:30 UTC is 08:30 in Berlin (CEST, +2).
        assert!(berlin.contains(datetime!(2026-07-15 06:30 UTC)));
        // ...and 06:30 UTC in January is 07:30 there: before hours.
        assert!(!berlin.contains(datetime!(2026-01-14 06:30 UTC)));
        // Saturday.
        assert!(!berlin.contains(datetime!(2026-01-17 10:00 UTC)));
    }

    #[test]
    fn a_window_across_midnight_belongs_to_its_first_day() {
        let night = hours("UTC", "mon-fri", "22:00-06:00");
        assert!(night.contains(datetime!(2026-01-16 23:00 UTC))); // Fri late
        assert!(night.contains(datetime!(2026-01-17 05:00 UTC))); // Sat early, Fri's shift
        assert!(!night.contains(datetime!(2026-01-18 05:00 UTC))); // Sun early: Sat is off
        assert!(!night.contains(datetime!(2026-01-16 12:00 UTC)));
    }

    #[test]
    fn bad_windows_are_refused_with_a_reason() {
        let bad = |tz: &str, days: &str, h: &str| {
            BusinessHoursConfig {
                secrets: None,
                time_zone: tz.into(),
                days: Some(days.into()),
                hours: h.into(),
            }
            .resolve()
            .expect_err("refused")
        };
        assert!(bad("Mars/Olympus", "mon-fri", "08:00-18:00").contains("time_zone"));
        assert!(bad("UTC", "funday", "08:00-18:00").contains("not a day"));
        assert!(bad("UTC", "mon", "8-18").contains("time"));
        assert!(bad("UTC", "mon", "08:00-08:00").contains("empty"));
    }
}
