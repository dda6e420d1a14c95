//! Periods of the calendar (day, ISO week, month, quarter, year) as consecutive integers.

use crate::error::{Error, Result};

/// The length of the periods demand is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day,
    /// Weeks starting on Monday.
    Week,
    Month,
    Quarter,
    Year,
}

impl Period {
    /// Parses the pandas-style codes "D", "W", "M", "Q" and "Y".
    pub fn parse(code: &str) -> Result<Self> {
        match code {
            "D" => Ok(Period::Day),
            "W" => Ok(Period::Week),
            "M" => Ok(Period::Month),
            "Q" => Ok(Period::Quarter),
            "Y" => Ok(Period::Year),
            _ => Err(Error::invalid(
                "period",
                format!("must be one of 'D', 'W', 'M', 'Q', 'Y', got {code:?}"),
            )),
        }
    }

    /// The index of the period holding day `day` (days since 1970-01-01): consecutive periods
    /// have consecutive indices.
    pub fn of_day(self, day: i64) -> i64 {
        match self {
            Period::Day => day,
            // 1970-01-01 was a Thursday: day -3 is a Monday.
            Period::Week => (day + 3).div_euclid(7),
            Period::Month => {
                let (y, m, _) = civil_from_days(day);
                y * 12 + (m - 1)
            }
            Period::Quarter => {
                let (y, m, _) = civil_from_days(day);
                y * 4 + (m - 1) / 3
            }
            Period::Year => civil_from_days(day).0,
        }
    }
}

/// (year, month 1..=12, day 1..=31) of the proleptic Gregorian calendar for a day number since
/// 1970-01-01 (H. Hinnant's `civil_from_days`, "chrono-compatible low-level date algorithms").
pub fn civil_from_days(day: i64) -> (i64, i64, i64) {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        // 2000-02-29 is day 11016; 2011-12-09 is day 15317.
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(15_317), (2011, 12, 9));
        assert_eq!(Period::Month.of_day(15_317), 2011 * 12 + 11);
        assert_eq!(Period::Quarter.of_day(15_317), 2011 * 4 + 3);
        // 2011-12-05 (day 15313) is a Monday, 2011-12-04 a Sunday.
        assert_eq!(Period::Week.of_day(15_313), Period::Week.of_day(15_319));
        assert_eq!(Period::Week.of_day(15_312) + 1, Period::Week.of_day(15_313));
        assert!(Period::parse("X").is_err());
    }
}
