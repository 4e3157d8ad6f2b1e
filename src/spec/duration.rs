//! ISO 8601 durations as a Key Vault key rotation policy takes them (`timeAfterCreate`,
//! `timeBeforeExpiry`, `expiryTime`).
//!
//! What Key Vault accepts: Microsoft documents these fields as "ISO 8601 duration format" and
//! only ever shows years, months and days — `P90D`, `P3M`, `P1Y10D`, `P18M`, `P2Y` (the SDKs'
//! `KeyRotationPolicyAttributes.expiryTime` doc string; the 2026-02-01 ARM schema; "you can
//! configure notification with days, months and years before expiry" on learn.microsoft.com
//! "Configure cryptographic key auto-rotation in Azure Key Vault"). The Java SDK dropped its one
//! time-of-day example (`PT48H`) from the docs (Azure/azure-sdk-for-java#26910), and no source
//! shows weeks. So the spec accepts `P[nY][nM][nW][nD]`: weeks are a convenience of the spec and
//! are written to the template as days, which means the template only ever holds the forms
//! Microsoft documents. Time-of-day components (`PT…`) are refused: every Key Vault limit is
//! in days (research memo §2.2), so they are never needed.
//!
//! Months and years have no fixed length, and Microsoft does not say how Key Vault counts them
//! against its limits (expiry at least 28 days, triggers at least 7 days). [`Duration::days`]
//! therefore gives the shortest and the longest span a duration can cover on the calendar,
//! and the spec checks use the side that makes a check hold whatever the start date.

use std::ops::RangeInclusive;

/// A whole-day duration: years, months and days (weeks are folded into days).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Duration {
    pub years: u64,
    pub months: u64,
    pub days: u64,
}

/// What is wrong with a duration text: a byte range of the text, a message and a hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DurationError {
    pub at: std::ops::Range<usize>,
    pub message: String,
    /// A few words for the labelled span.
    pub label: &'static str,
    pub help: String,
}

/// No component may exceed this: 10,000 years is far beyond any key lifetime, and the bound
/// keeps every day count far from overflow.
const MAX_COMPONENT: u64 = 120_000;

/// Month lengths over one 4-year cycle (the first year a leap year).
const CYCLE: [u64; 48] = {
    let year = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut out = [0; 48];
    let mut i = 0;
    while i < 48 {
        out[i] = year[i % 12];
        i += 1;
    }
    out[1] = 29;
    out
};

impl Duration {
    pub const fn of_days(days: u64) -> Duration {
        Duration {
            years: 0,
            months: 0,
            days,
        }
    }

    pub const fn of_months(months: u64) -> Duration {
        Duration {
            years: 0,
            months,
            days: 0,
        }
    }

    pub const fn of_years(years: u64) -> Duration {
        Duration {
            years,
            months: 0,
            days: 0,
        }
    }

    /// The fewest and the most days this duration can span, over every start date of the
    /// Gregorian calendar's 4-year leap cycle (the century exceptions move a span of more than
    /// a century by one day at most, far outside the limits checked here).
    pub fn days(&self) -> RangeInclusive<u64> {
        let months = self.years * 12 + self.months;
        // Every 48 consecutive months hold exactly 1461 days.
        let cycles = months / 48;
        let rest = (months % 48) as usize;
        let (mut lo, mut hi) = (u64::MAX, 0);
        for start in 0..48 {
            let span: u64 = (0..rest).map(|i| CYCLE[(start + i) % 48]).sum();
            lo = lo.min(span);
            hi = hi.max(span);
        }
        let fixed = cycles * 1461 + self.days;
        (lo + fixed)..=(hi + fixed)
    }

    pub fn min_days(&self) -> u64 {
        *self.days().start()
    }

    pub fn max_days(&self) -> u64 {
        *self.days().end()
    }

    /// The canonical text written to the template: `P1Y6M`, `P30D`.
    pub fn iso(&self) -> String {
        let mut s = String::from("P");
        for (n, unit) in [(self.years, 'Y'), (self.months, 'M'), (self.days, 'D')] {
            if n > 0 {
                s.push_str(&n.to_string());
                s.push(unit);
            }
        }
        s
    }

    /// In words, for messages: "2 years", "18 months", "1 year, 10 days".
    pub fn words(&self) -> String {
        let part = |n: u64, one: &str| match n {
            1 => format!("1 {one}"),
            n => format!("{n} {one}s"),
        };
        let mut parts = Vec::new();
        for (n, unit) in [
            (self.years, "year"),
            (self.months, "month"),
            (self.days, "day"),
        ] {
            if n > 0 {
                parts.push(part(n, unit));
            }
        }
        parts.join(", ")
    }

    /// "90 days", or "365 to 366 days" when the calendar decides.
    pub fn days_words(&self) -> String {
        let (lo, hi) = (self.min_days(), self.max_days());
        if lo == hi {
            format!("{lo} days")
        } else {
            format!("{lo} to {hi} days")
        }
    }
}

const FORMS: &str =
    "an ISO 8601 duration in years, months, weeks or days, such as P90D, P4W, P18M, P2Y or P1Y6M";

fn error(
    at: std::ops::Range<usize>,
    label: &'static str,
    message: impl Into<String>,
    help: impl Into<String>,
) -> DurationError {
    DurationError {
        at,
        message: message.into(),
        label,
        help: help.into(),
    }
}

/// Parse `P[nY][nM][nW][nD]` (designators in this order, each at most once; letters in either
/// case). The error's range is a byte range of `text`.
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    let b = text.as_bytes();
    if b.first().map(u8::to_ascii_uppercase) != Some(b'P') {
        return Err(error(
            0..text.len(),
            "not a duration",
            format!("\"{text}\" is not an ISO 8601 duration"),
            format!("write {FORMS}"),
        ));
    }
    let units = [b'Y', b'M', b'W', b'D'];
    let mut values = [0u64; 4];
    // Index into `units` of the next designator allowed.
    let mut next = 0;
    let mut i = 1;
    if i == b.len() {
        return Err(error(
            0..text.len(),
            "no value after P",
            "the duration has no value after P",
            format!("write {FORMS}"),
        ));
    }
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &text[start..i];
        let Some(&unit) = b.get(i) else {
            return Err(error(
                start..i,
                "no unit",
                format!("the number {digits} has no unit"),
                "end it with Y (years), M (months), W (weeks) or D (days)",
            ));
        };
        let unit = unit.to_ascii_uppercase();
        if unit == b'T' && digits.is_empty() {
            return Err(error(
                i..text.len(),
                "time of day",
                "a key rotation policy is set in whole days; hours, minutes and seconds are not used",
                "Key Vault's limits are in days (expiry at least 28, triggers at least 7): write days, e.g. P2D instead of PT48H",
            ));
        }
        if digits.is_empty() {
            return Err(error(
                i..i + 1,
                "no number",
                format!("a number must come before {}", unit as char),
                format!("write {FORMS}"),
            ));
        }
        if unit == b'.' || unit == b',' {
            return Err(error(
                start..i + 1,
                "fraction",
                "fractions are not used in a key rotation policy",
                "write a whole number of days instead, e.g. P45D rather than P1.5M",
            ));
        }
        let Some(pos) = units.iter().position(|u| *u == unit) else {
            let c = text[i..].chars().next().unwrap_or('?');
            return Err(error(
                i..i + c.len_utf8(),
                "not a unit",
                format!("'{c}' is not a duration unit here"),
                "the units are Y (years), M (months), W (weeks) and D (days)",
            ));
        };
        if pos < next {
            return Err(error(
                i..i + 1,
                "out of order",
                format!("{} is out of order or repeated", unit as char),
                "write the parts in the order years, months, weeks, days, each once (P1Y6M, not P6M1Y)",
            ));
        }
        let value = digits
            .parse::<u64>()
            .ok()
            .filter(|v| *v <= MAX_COMPONENT)
            .ok_or_else(|| {
                error(
                    start..i,
                    "too large",
                    format!("{digits} is too large for a duration"),
                    "a key lifetime is measured in days to a few years",
                )
            })?;
        values[pos] = value;
        next = pos + 1;
        i += 1;
    }
    let [years, months, weeks, days] = values;
    let d = Duration {
        years,
        months,
        days: weeks * 7 + days,
    };
    if d.max_days() == 0 {
        return Err(error(
            0..text.len(),
            "zero",
            "the duration is zero",
            format!("write {FORMS}"),
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Duration {
        parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    fn err(s: &str) -> DurationError {
        parse(s).expect_err(s)
    }

    #[test]
    fn documented_forms_parse_and_print_canonically() {
        assert_eq!(ok("P90D"), Duration::of_days(90));
        assert_eq!(ok("P18M"), Duration::of_months(18));
        assert_eq!(ok("P2Y"), Duration::of_years(2));
        assert_eq!(ok("P1Y10D").iso(), "P1Y10D");
        assert_eq!(ok("p1y6m").iso(), "P1Y6M");
        // Weeks become days: the template holds only documented forms.
        assert_eq!(ok("P4W").iso(), "P28D");
        assert_eq!(ok("P1M2W3D").iso(), "P1M17D");
    }

    #[test]
    fn calendar_bounds() {
        assert_eq!(Duration::of_days(30).days(), 30..=30);
        assert_eq!(Duration::of_months(1).days(), 28..=31);
        assert_eq!(Duration::of_years(1).days(), 365..=366);
        assert_eq!(Duration::of_months(18).days(), 546..=550);
        assert_eq!(Duration::of_years(2).days(), 730..=731);
        assert_eq!(Duration::of_years(4).days(), 1461..=1461);
        assert_eq!(ok("P1Y10D").days(), 375..=376);
        assert_eq!(Duration::of_months(1).days_words(), "28 to 31 days");
        assert_eq!(ok("P1Y10D").words(), "1 year, 10 days");
    }

    #[test]
    fn errors_point_at_the_offending_part() {
        let e = err("PT48H");
        assert_eq!(e.at, 1..5);
        assert!(e.help.contains("P2D"));
        let e = err("P6M1Y");
        assert_eq!(e.at, 4..5);
        assert_eq!(err("P1Y1Y").at, 4..5);
        assert_eq!(err("P18").at, 1..3);
        assert_eq!(err("P1H").at, 2..3);
        assert!(
            err("18 months")
                .message
                .contains("not an ISO 8601 duration")
        );
        assert!(err("P").message.contains("no value"));
        assert!(err("P0D").message.contains("zero"));
        assert!(err("P1.5M").message.contains("fractions"));
        assert!(err("PD").message.contains("number must come before D"));
        assert!(err("P99999999999999999999D").message.contains("too large"));
        assert!(err("").message.contains("not an ISO 8601"));
        // Non-ASCII never splits a character.
        let e = err("P1é");
        assert_eq!(&"P1é"[e.at.clone()], "é");
    }
}
