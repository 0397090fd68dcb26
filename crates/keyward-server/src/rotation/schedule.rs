//! AWS's `RotationRules`: `AutomaticallyAfterDays`, `ScheduleExpression`
//! (`rate(N days|hours)` or a six-field `cron(...)`) and `Duration` (the window),
//! with AWS's limits, and the next run they give.
//!
//! AWS's minimum rate (4 hours) holds unless the server config's documented test
//! setting (`[rotation] test_minimum_rate`) lowers it; only then are `minutes` and
//! `seconds` accepted as units too, so schedules can fire inside a test.

use std::time::Duration;
use time::OffsetDateTime;

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);
/// AWS's shortest `rate()`.
pub const AWS_MINIMUM_RATE: Duration = Duration::from_secs(4 * 3600);

/// What the rules allow.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub minimum_rate: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            minimum_rate: AWS_MINIMUM_RATE,
        }
    }
}

impl Limits {
    fn test_units(&self) -> bool {
        self.minimum_rate < AWS_MINIMUM_RATE
    }
}

/// A parsed `ScheduleExpression`.
#[derive(Debug, Clone)]
pub enum Expression {
    Rate(Duration),
    Cron(Box<croner::Cron>),
}

/// Parsed rules.
#[derive(Debug, Clone)]
pub struct Rules {
    pub every: Option<Expression>,
    pub window: Option<Duration>,
}

fn invalid(msg: impl Into<String>) -> String {
    msg.into()
}

/// Parses `rate(N unit)` or `cron(...)`; the error is AWS-style prose.
pub fn parse_expression(text: &str, limits: Limits) -> Result<Expression, String> {
    let t = text.trim();
    if let Some(inner) = t.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
        let mut parts = inner.split_whitespace();
        let (Some(n), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid(format!(
                "ScheduleExpression {t:?} is not rate(N days) or rate(N hours)"
            )));
        };
        let n: u64 = n
            .parse()
            .ok()
            .filter(|n| (1..=1000 * 24).contains(n))
            .ok_or_else(|| {
                invalid(format!(
                    "ScheduleExpression {t:?}: N must be a positive whole number"
                ))
            })?;
        let unit = match unit {
            "day" | "days" => DAY,
            "hour" | "hours" => HOUR,
            "minute" | "minutes" if limits.test_units() => Duration::from_secs(60),
            "second" | "seconds" if limits.test_units() => Duration::from_secs(1),
            other => {
                return Err(invalid(format!(
                    "ScheduleExpression {t:?}: unknown unit {other:?}; use days or hours"
                )));
            }
        };
        let every = unit * u32::try_from(n).unwrap_or(u32::MAX);
        if every < limits.minimum_rate {
            return Err(invalid(format!(
                "ScheduleExpression {t:?} rotates more often than every {} hours, the shortest rotation interval",
                limits.minimum_rate.as_secs() / 3600
            )));
        }
        if every > DAY * 1000 {
            return Err(invalid(format!(
                "ScheduleExpression {t:?} is longer than 1000 days"
            )));
        }
        return Ok(Expression::Rate(every));
    }
    if let Some(inner) = t.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
        let fields: Vec<&str> = inner.split_whitespace().collect();
        if fields.len() != 6 {
            return Err(invalid(format!(
                "ScheduleExpression {t:?}: cron() takes six fields: minutes hours day-of-month month day-of-week year"
            )));
        }
        if fields[2] != "?" && fields[4] != "?" {
            return Err(invalid(format!(
                "ScheduleExpression {t:?}: one of day-of-month and day-of-week must be ?"
            )));
        }
        // AWS's fields, seconds pinned to 0; its day-of-week counts 1 = SUN (Quartz).
        let pattern = format!("0 {}", fields.join(" "));
        let cron = croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Required)
            .year(croner::parser::Year::Required)
            .alternative_weekdays(true)
            .build()
            .parse(&pattern)
            .map_err(|e| {
                invalid(format!(
                    "ScheduleExpression {t:?} is not a valid cron expression: {e}"
                ))
            })?;
        return Ok(Expression::Cron(Box::new(cron)));
    }
    Err(invalid(format!(
        "ScheduleExpression {t:?} must be rate(...) or cron(...)"
    )))
}

/// Parses `Duration`: `Nh`, 1 to 24 hours (and `Nm`/`Ns` under the test setting).
pub fn parse_window(text: &str, limits: Limits) -> Result<Duration, String> {
    let t = text.trim();
    let (n, unit) = t.split_at(t.len().saturating_sub(1));
    let n: u64 = n
        .parse()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| invalid(format!("Duration {t:?} must be hours, e.g. 3h")))?;
    let d = match unit {
        "h" if n <= 24 => HOUR * u32::try_from(n).unwrap_or(24),
        "m" if limits.test_units() => Duration::from_secs(60 * n),
        "s" if limits.test_units() => Duration::from_secs(n),
        _ => return Err(invalid(format!("Duration {t:?} must be 1h to 24h"))),
    };
    Ok(d)
}

impl Rules {
    /// The rules of a rotation row; `None` when it has no schedule.
    pub fn from_config(
        after_days: Option<i64>,
        expression: Option<&str>,
        window: Option<&str>,
        limits: Limits,
    ) -> Result<Option<Rules>, String> {
        let every = match (expression, after_days) {
            (Some(e), _) => Some(parse_expression(e, limits)?),
            (None, Some(d)) if (1..=1000).contains(&d) => {
                Some(Expression::Rate(DAY * u32::try_from(d).unwrap_or(1)))
            }
            (None, Some(_)) => {
                return Err("AutomaticallyAfterDays must be within 1-1000".into());
            }
            (None, None) => None,
        };
        let window = window.map(|w| parse_window(w, limits)).transpose()?;
        Ok(every.map(|every| Rules {
            every: Some(every),
            window,
        }))
    }

    /// The start of the next window after `from` (a rotation that last ran at
    /// `last`, or never) and its length.
    pub fn next_window(
        &self,
        last: Option<OffsetDateTime>,
        from: OffsetDateTime,
    ) -> Option<(OffsetDateTime, Duration)> {
        match self.every.as_ref()? {
            Expression::Rate(every) => {
                let base = last.unwrap_or(from).max(from - *every);
                let start = base + *every;
                // AWS: an hourly rate's window closes after an hour, a daily one's
                // at the end of the UTC day; test units get a quarter period.
                let default = if *every >= DAY {
                    let midnight = (start.date() + time::Duration::days(1))
                        .midnight()
                        .assume_utc();
                    Duration::try_from(midnight - start).unwrap_or(HOUR)
                } else if *every >= HOUR {
                    HOUR
                } else {
                    *every / 4
                };
                Some((start, self.window.unwrap_or(default).min(*every)))
            }
            Expression::Cron(cron) => {
                let from_chrono =
                    chrono::DateTime::<chrono::Utc>::from_timestamp(from.unix_timestamp(), 0)?;
                let next = cron.find_next_occurrence(&from_chrono, false).ok()?;
                let start = OffsetDateTime::from_unix_timestamp(next.timestamp()).ok()?;
                let default = {
                    let midnight = (start.date() + time::Duration::days(1))
                        .midnight()
                        .assume_utc();
                    Duration::try_from(midnight - start).unwrap_or(HOUR)
                };
                Some((start, self.window.unwrap_or(default)))
            }
        }
    }

    /// The next run: a random moment in the first half of the next window (jitter,
    /// so secrets sharing a schedule do not all rotate at once).
    pub fn next_run(
        &self,
        last: Option<OffsetDateTime>,
        from: OffsetDateTime,
    ) -> Option<OffsetDateTime> {
        let (start, window) = self.next_window(last, from)?;
        let spread = (window / 2).as_millis().max(1);
        let jitter = rand::random::<u64>() % u64::try_from(spread).unwrap_or(1);
        Some(start + Duration::from_millis(jitter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn aws_limits_hold_by_default() {
        let aws = Limits::default();
        assert!(parse_expression("rate(4 hours)", aws).is_ok());
        assert!(parse_expression("rate(30 days)", aws).is_ok());
        assert!(
            parse_expression("rate(3 hours)", aws).is_err(),
            "below AWS's 4 hours"
        );
        assert!(
            parse_expression("rate(10 seconds)", aws).is_err(),
            "seconds only in tests"
        );
        assert!(parse_expression("rate(1001 days)", aws).is_err());
        assert!(
            parse_expression("cron(0 3 * * * *)", aws).is_err(),
            "needs a ?"
        );
        assert!(
            parse_expression("cron(0 3 ? * SUN)", aws).is_err(),
            "six fields"
        );
        assert!(parse_window("25h", aws).is_err());
        assert!(parse_window("30s", aws).is_err());
        assert_eq!(
            parse_window("3h", aws).unwrap(),
            Duration::from_secs(3 * 3600)
        );
    }

    #[test]
    fn the_test_setting_admits_seconds() {
        let test = Limits {
            minimum_rate: Duration::from_secs(1),
        };
        assert!(
            matches!(parse_expression("rate(5 seconds)", test), Ok(Expression::Rate(d)) if d == Duration::from_secs(5))
        );
        assert_eq!(parse_window("2s", test).unwrap(), Duration::from_secs(2));
    }

    #[test]
    fn cron_uses_aws_fields_sunday_at_three() {
        let rules = Rules::from_config(
            None,
            Some("cron(0 3 ? * SUN *)"),
            Some("2h"),
            Limits::default(),
        )
        .unwrap()
        .unwrap();
        // 2026-12-05 is a Saturday.
        let (start, window) = rules
            .next_window(None, datetime!(2026-12-05 12:00 UTC))
            .unwrap();
        assert_eq!(start, datetime!(2026-12-06 03:00 UTC));
        assert_eq!(window, Duration::from_secs(7200));
        let run = rules
            .next_run(None, datetime!(2026-12-05 12:00 UTC))
            .unwrap();
        assert!(
            run >= start && run < start + Duration::from_secs(3600),
            "jitter stays in the window's first half"
        );
        // AWS counts 1 = Sunday too.
        let numeric = Rules::from_config(None, Some("cron(0 3 ? * 1 *)"), None, Limits::default())
            .unwrap()
            .unwrap();
        assert_eq!(
            numeric
                .next_window(None, datetime!(2026-12-05 12:00 UTC))
                .unwrap()
                .0,
            start
        );
    }

    #[test]
    fn a_rate_runs_once_after_downtime_not_once_per_missed_period() {
        let rules = Rules::from_config(Some(1), None, None, Limits::default())
            .unwrap()
            .unwrap();
        let last = datetime!(2026-11-01 00:00 UTC);
        let now = datetime!(2026-12-05 12:00 UTC);
        let (start, _) = rules.next_window(Some(last), now).unwrap();
        assert!(start <= now, "overdue: due at once");
        // After that run (at `now`), the next is a day later, not 34 more catch-ups.
        let (after, _) = rules.next_window(Some(now), now).unwrap();
        assert_eq!(after, now + Duration::from_secs(86_400));
    }
}
