//! Working days in China (工作日). Saturdays and Sundays are off unless the State Council lists
//! them as make-up working days (调休); listed holidays are off. The lists come one year at a
//! time, from the open holiday-cn data (one JSON file a year, `data/holidays/`), built in for
//! the years published and updatable without a new build.
//!
//! A count that reaches into a year not yet published is made on weekends alone and marked
//! provisional (暂定); it firms up when the year's list arrives.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// The holidays and make-up working days of one year.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Year {
    pub year: i32,
    off: BTreeSet<NaiveDate>,
    working: BTreeSet<NaiveDate>,
}

/// A year's list as holiday-cn publishes it.
#[derive(Debug, Deserialize, Serialize)]
struct YearFile {
    year: i32,
    days: Vec<DayFile>,
}

#[derive(Debug, Deserialize, Serialize)]
struct DayFile {
    name: String,
    date: NaiveDate,
    #[serde(rename = "isOffDay")]
    is_off_day: bool,
}

impl Year {
    /// Reads a year in holiday-cn's JSON form; every listed day must fall in that year (a list
    /// may name days of the next January, which belong to that year's own list).
    pub fn from_json(text: &str) -> Result<Year, ValidationError> {
        let file: YearFile = serde_json::from_str(text).map_err(|e| ValidationError::Invalid {
            field: "calendar",
            value: e.to_string(),
            expected:
                "holiday-cn JSON: {\"year\": 2026, \"days\": [{\"name\", \"date\", \"isOffDay\"}]}"
                    .into(),
        })?;
        if !(2000..=2100).contains(&file.year) {
            return Err(ValidationError::Invalid {
                field: "year",
                value: file.year.to_string(),
                expected: "2000–2100".into(),
            });
        }
        let mut year = Year {
            year: file.year,
            ..Year::default()
        };
        for day in file.days {
            if day.is_off_day {
                year.off.insert(day.date);
            } else {
                year.working.insert(day.date);
            }
        }
        Ok(year)
    }

    /// The year in holiday-cn's JSON form (what devices receive).
    pub fn to_json(&self) -> String {
        let mut days: Vec<DayFile> = self
            .off
            .iter()
            .map(|d| (d, true))
            .chain(self.working.iter().map(|d| (d, false)))
            .map(|(d, off)| DayFile {
                name: String::new(),
                date: *d,
                is_off_day: off,
            })
            .collect();
        days.sort_by_key(|d| d.date);
        serde_json::to_string(&YearFile {
            year: self.year,
            days,
        })
        .expect("serialises")
    }

    pub fn holidays(&self) -> usize {
        self.off.len()
    }

    pub fn make_up_days(&self) -> usize {
        self.working.len()
    }
}

/// The years the build carries (holiday-cn, MIT licence; see data/holidays/LICENSE).
const BUILT_IN: &[&str] = &[
    include_str!("../../../data/holidays/2007.json"),
    include_str!("../../../data/holidays/2008.json"),
    include_str!("../../../data/holidays/2009.json"),
    include_str!("../../../data/holidays/2010.json"),
    include_str!("../../../data/holidays/2011.json"),
    include_str!("../../../data/holidays/2012.json"),
    include_str!("../../../data/holidays/2013.json"),
    include_str!("../../../data/holidays/2014.json"),
    include_str!("../../../data/holidays/2015.json"),
    include_str!("../../../data/holidays/2016.json"),
    include_str!("../../../data/holidays/2017.json"),
    include_str!("../../../data/holidays/2018.json"),
    include_str!("../../../data/holidays/2019.json"),
    include_str!("../../../data/holidays/2020.json"),
    include_str!("../../../data/holidays/2021.json"),
    include_str!("../../../data/holidays/2022.json"),
    include_str!("../../../data/holidays/2023.json"),
    include_str!("../../../data/holidays/2024.json"),
    include_str!("../../../data/holidays/2025.json"),
    include_str!("../../../data/holidays/2026.json"),
];

/// A day counted forward in working days, and whether the count crossed into a year whose list
/// is not published yet (暂定).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct WorkingDate {
    pub date: NaiveDate,
    pub provisional: bool,
}

/// The working-day calendar: the years known, built in or loaded since.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    years: BTreeMap<i32, Year>,
}

impl Calendar {
    /// The years this build carries.
    pub fn built_in() -> Calendar {
        // Parsed once: the ledger asks for the calendar on every page.
        static PARSED: std::sync::OnceLock<Calendar> = std::sync::OnceLock::new();
        PARSED
            .get_or_init(|| {
                let mut c = Calendar::default();
                for text in BUILT_IN {
                    c.insert(Year::from_json(text).expect("built-in holiday data parses"));
                }
                c
            })
            .clone()
    }

    /// The built-in years with those the office published since (which win).
    pub fn with_published<'a>(published: impl IntoIterator<Item = &'a str>) -> Calendar {
        let mut c = Calendar::built_in();
        for text in published {
            if let Ok(year) = Year::from_json(text) {
                c.insert(year);
            }
        }
        c
    }

    /// Adds a year, or replaces the list of one already known (a correction, or a newer
    /// publication).
    pub fn insert(&mut self, year: Year) {
        self.years.insert(year.year, year);
    }

    pub fn published(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    pub fn years(&self) -> impl Iterator<Item = &Year> {
        self.years.values()
    }

    /// Is `day` a working day? The second part says the answer rests on weekends alone, the
    /// year's list not being published.
    pub fn is_working_day(&self, day: NaiveDate) -> (bool, bool) {
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        match self.years.get(&day.year()) {
            Some(y) if y.off.contains(&day) => (false, false),
            Some(y) if y.working.contains(&day) => (true, false),
            Some(_) => (!weekend, false),
            None => (!weekend, true),
        }
    }

    /// The day `n` working days after `from` (`from` itself not counted): 5 个工作日 from a
    /// Friday is the Friday after, holidays and make-up days considered.
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> WorkingDate {
        let mut day = from;
        let mut left = n;
        let mut provisional = false;
        while left > 0 {
            day = day.succ_opt().expect("dates within chrono's range");
            let (working, guessed) = self.is_working_day(day);
            if working {
                left -= 1;
                provisional |= guessed;
            }
        }
        WorkingDate {
            date: day,
            provisional,
        }
    }

    /// Working days after `from` up to and including `to` (negative when `to` comes first),
    /// and whether the count rests on a year not yet published.
    pub fn working_days(&self, from: NaiveDate, to: NaiveDate) -> (i64, bool) {
        let (start, end, sign) = if to >= from {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let mut count = 0;
        let mut provisional = false;
        let mut day = start;
        while day < end {
            day = day.succ_opt().expect("dates within chrono's range");
            let (working, guessed) = self.is_working_day(day);
            if working {
                count += 1;
                provisional |= guessed;
            }
        }
        (sign * count, provisional)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn working(c: &Calendar, s: &str) -> bool {
        c.is_working_day(d(s)).0
    }

    /// 国务院办公厅关于2024年部分节假日安排的通知: Spring Festival 10–17 February off, 4 and 18
    /// February (a Sunday) working; National Day 1–7 October off, 29 September and 12 October
    /// (Saturdays) working; New Year's Eve is a working day.
    #[test]
    fn the_2024_notice() {
        let c = Calendar::built_in();
        for day in [
            "2024-02-10",
            "2024-02-12",
            "2024-02-17",
            "2024-10-01",
            "2024-10-07",
        ] {
            assert!(!working(&c, day), "{day} is off");
        }
        for day in [
            "2024-02-04",
            "2024-02-18",
            "2024-09-29",
            "2024-10-12",
            "2024-12-31",
        ] {
            assert!(working(&c, day), "{day} is a working day");
        }
        assert!(!working(&c, "2024-12-28"), "an ordinary Saturday");
    }

    /// 2025: Spring Festival 28 January (New Year's Eve, 除夕) – 4 February off, 26 January and
    /// 8 February working; National Day and Mid-Autumn 1–8 October off, 28 September and
    /// 11 October working.
    #[test]
    fn the_2025_notice() {
        let c = Calendar::built_in();
        for day in [
            "2025-01-28",
            "2025-02-04",
            "2025-10-01",
            "2025-10-08",
            "2025-05-05",
        ] {
            assert!(!working(&c, day), "{day} is off");
        }
        for day in [
            "2025-01-26",
            "2025-02-08",
            "2025-09-28",
            "2025-10-11",
            "2025-04-27",
        ] {
            assert!(working(&c, day), "{day} is a working day");
        }
    }

    /// 2026: Spring Festival 15–23 February off, 14 and 28 February (Saturdays) working.
    #[test]
    fn the_2026_spring_festival() {
        let c = Calendar::built_in();
        for day in ["2026-02-15", "2026-02-17", "2026-02-23"] {
            assert!(!working(&c, day), "{day} is off");
        }
        assert!(working(&c, "2026-02-14") && working(&c, "2026-02-28"));
        let due = c.add_working_days(d("2026-02-13"), 5);
        assert_eq!(
            due,
            WorkingDate {
                date: d("2026-02-27"),
                provisional: false
            }
        );
        assert_eq!(c.working_days(d("2026-02-13"), d("2026-02-27")), (5, false));
        assert_eq!(
            c.working_days(d("2026-02-27"), d("2026-02-13")),
            (-5, false)
        );
    }

    #[test]
    fn a_count_into_an_unpublished_year_is_provisional_until_the_year_arrives() {
        let mut c = Calendar::built_in();
        let last = c.years().map(|y| y.year).max().unwrap();
        let next = last + 1;
        let from = NaiveDate::from_ymd_opt(last, 12, 28).unwrap();
        let guess = c.add_working_days(from, 5);
        assert!(guess.provisional, "{guess:?}");
        // The year's list arrives: 1–3 January off.
        let json = format!(
            r#"{{"year": {next}, "papers": [], "days": [
                {{"name": "元旦", "date": "{next}-01-01", "isOffDay": true}},
                {{"name": "元旦", "date": "{next}-01-02", "isOffDay": true}},
                {{"name": "元旦", "date": "{next}-01-03", "isOffDay": true}}]}}"#
        );
        c.insert(Year::from_json(&json).unwrap());
        let firm = c.add_working_days(from, 5);
        assert!(!firm.provisional);
        assert!(firm.date >= guess.date);
    }

    #[test]
    fn a_bad_year_file_names_the_problem() {
        let err = Year::from_json("{\"year\": 2027}").unwrap_err();
        assert_eq!(err.field(), "calendar");
        let err = Year::from_json(r#"{"year": 1800, "days": []}"#).unwrap_err();
        assert_eq!(err.field(), "year");
        let y = Year::from_json(
            r#"{"year": 2027, "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}]}"#,
        )
        .unwrap();
        assert_eq!(Year::from_json(&y.to_json()).unwrap(), y, "round trip");
    }
}
