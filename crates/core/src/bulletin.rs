//! The week's bulletin (工作通报) that the office posts to the enterprises' groups: what the
//! desks collected and resolved that week, and what is still open and overdue, in one
//! paragraph. The server and the app count the same figures over what each holds and word them
//! here, once.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::time;

/// A week, Monday to Sunday, in the zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Week {
    pub monday: NaiveDate,
}

impl Week {
    /// The week `day` falls in.
    pub fn of(day: NaiveDate) -> Week {
        Week {
            monday: day - Duration::days(day.weekday().num_days_from_monday().into()),
        }
    }

    pub fn sunday(self) -> NaiveDate {
        self.monday + Duration::days(6)
    }

    /// The instants the week spans, `[start, end)`, as stored (UTC text sorts like the
    /// instant), for counting what was raised or resolved in it.
    pub fn span(self) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = time::from_local(self.monday, NaiveTime::MIN);
        (start, start + Duration::days(7))
    }
}

/// What the bulletin says, counted by whoever words it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeekFigures {
    /// Appeals raised in the week.
    pub collected: i64,
    /// Appeals resolved in the week.
    pub resolved: i64,
    /// Appeals open at the time of writing, and of those the ones past their deadline.
    pub open: i64,
    pub overdue: i64,
    /// Dissatisfied ratings being put right (整改中).
    pub follow_ups: i64,
}

/// The week's bulletin, as posted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bulletin {
    /// Monday and Sunday of the week, YYYY-MM-DD.
    pub from: String,
    pub to: String,
    pub figures: WeekFigures,
    /// The paragraph to post, Chinese (the enterprises' groups are Chinese).
    pub text: String,
}

impl Bulletin {
    pub fn new(week: Week, figures: WeekFigures) -> Bulletin {
        let (monday, sunday) = (week.monday, week.sunday());
        let to = if sunday.month() == monday.month() {
            format!("{}日", sunday.day())
        } else {
            format!("{}月{}日", sunday.month(), sunday.day())
        };
        let f = &figures;
        let mut text = format!(
            "【流动办公桌工作通报】{}年{}月{}日至{to}，流动办公桌收集企业诉求 {} 件，办结 {} 件；目前在办 {} 件",
            monday.year(),
            monday.month(),
            monday.day(),
            f.collected,
            f.resolved,
            f.open
        );
        if f.overdue > 0 {
            text += &format!("，其中超期 {} 件，已督促责任单位加快办理", f.overdue);
        }
        if f.follow_ups > 0 {
            text += &format!("；企业评价不满意、正在整改的 {} 件", f.follow_ups);
        }
        text += "。欢迎各企业通过“企业服务”页面点单、查看办理进度并对办理结果作出评价。";
        Bulletin {
            from: monday.to_string(),
            to: sunday.to_string(),
            figures,
            text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_week_runs_monday_to_sunday_in_the_zone() {
        let week = Week::of(day("2024-10-26")); // a Saturday
        assert_eq!(
            (week.monday, week.sunday()),
            (day("2024-10-21"), day("2024-10-27"))
        );
        assert_eq!(Week::of(day("2024-10-21")), week);
        assert_eq!(Week::of(day("2024-10-27")), week);
        let (start, end) = week.span();
        assert_eq!(time::stamp(start), "2024-10-20T16:00:00Z");
        assert_eq!(time::stamp(end), "2024-10-27T16:00:00Z");
    }

    #[test]
    fn the_bulletin_says_what_there_is_and_nothing_that_is_not() {
        let quiet = Bulletin::new(
            Week::of(day("2024-10-26")),
            WeekFigures {
                collected: 2,
                resolved: 1,
                open: 3,
                ..Default::default()
            },
        );
        assert_eq!(
            quiet.text,
            "【流动办公桌工作通报】2024年10月21日至27日，流动办公桌收集企业诉求 2 件，办结 1 件；目前在办 3 件。欢迎各企业通过“企业服务”页面点单、查看办理进度并对办理结果作出评价。"
        );
        let late = Bulletin::new(
            Week::of(day("2024-10-30")),
            WeekFigures {
                collected: 0,
                resolved: 4,
                open: 5,
                overdue: 2,
                follow_ups: 1,
            },
        );
        assert!(
            late.text.contains("2024年10月28日至11月3日"),
            "{}",
            late.text
        );
        assert!(late.text.contains("其中超期 2 件"), "{}", late.text);
        assert!(late.text.contains("正在整改的 1 件"), "{}", late.text);
        assert_eq!(
            (late.from.as_str(), late.to.as_str()),
            ("2024-10-28", "2024-11-03")
        );
    }
}
