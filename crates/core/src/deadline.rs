//! What "overdue" and "on time" mean, defined once for the device, the server, the figures and
//! the exports: an appeal is overdue once its deadline day (in the zone's calendar) has passed
//! and it is still open; it was resolved on time if resolved by the end of its deadline day in
//! the zone. The same rules as SQL conditions, in the SQL SQLite and PostgreSQL share, for the
//! queries that count and filter.

use chrono::{DateTime, NaiveDate, Utc};

use crate::calendar::Calendar;
use crate::model::{AppealStatus, TimeLimits};
use crate::time;

/// Open, and past its deadline day.
pub fn is_overdue(status: AppealStatus, deadline: Option<NaiveDate>, today: NaiveDate) -> bool {
    !status.is_resolved() && deadline.is_some_and(|d| d < today)
}

/// How many working days ahead "due soon" looks unless the office says otherwise.
pub const DUE_SOON_WITHIN: u32 = 3;

/// The last deadline that is due soon on `today`: `within` working days ahead, with the days
/// off that follow them (a deadline on the Sunday after is no further away than Friday's).
pub fn due_soon_until(today: NaiveDate, calendar: &Calendar, within: u32) -> NaiveDate {
    let next = calendar.add_working_days(today, within + 1).date;
    next.pred_opt().expect("dates within chrono's range")
}

/// Open, not overdue, and due within `within` working days of `today` (today's deadline is
/// due soon).
pub fn is_due_soon(
    status: AppealStatus,
    deadline: Option<NaiveDate>,
    today: NaiveDate,
    calendar: &Calendar,
    within: u32,
) -> bool {
    match deadline {
        Some(d) if !status.is_resolved() && d >= today => {
            d <= due_soon_until(today, calendar, within)
        }
        _ => false,
    }
}

/// Working days left to an open appeal's deadline (0: due today), or, once it is overdue, how
/// many working days it is late as a negative number (at least one: a deadline that passed
/// over a weekend is a day late all the same); with whether the count is provisional.
pub fn working_days_left(
    status: AppealStatus,
    deadline: Option<NaiveDate>,
    today: NaiveDate,
    calendar: &Calendar,
) -> Option<(i64, bool)> {
    let deadline = deadline.filter(|_| !status.is_resolved())?;
    if deadline >= today {
        Some(calendar.working_days(today, deadline))
    } else {
        let (late, provisional) = calendar.working_days(deadline, today);
        Some((-late.max(1), provisional))
    }
}

/// The deadline an appeal raised at `raised_at` is given when no one set one: the zone's
/// handling limit in working days (with whether that rests on an unpublished year).
pub fn handling_deadline(
    raised_at: DateTime<Utc>,
    calendar: &Calendar,
    limits: &TimeLimits,
) -> (NaiveDate, bool) {
    let due = calendar.add_working_days(time::local_date(raised_at), limits.handling());
    (due.date, due.provisional)
}

/// The working days a lead department has to put right what a dissatisfied rating found
/// (回访整改), counted from the day of the rating.
pub const FOLLOW_UP_DAYS: u32 = 5;

/// The deadline of the follow-up that a dissatisfied rating given on `rated_on` calls for
/// (with whether it rests on an unpublished year).
pub fn follow_up_deadline(rated_on: NaiveDate, calendar: &Calendar) -> (NaiveDate, bool) {
    let due = calendar.add_working_days(rated_on, FOLLOW_UP_DAYS);
    (due.date, due.provisional)
}

/// The last day on which an appeal raised at `raised_at` is answered in time (dispatched, or
/// resolved on the spot): the zone's response limit in working days.
pub fn response_due(
    raised_at: DateTime<Utc>,
    calendar: &Calendar,
    limits: &TimeLimits,
) -> NaiveDate {
    calendar
        .add_working_days(time::local_date(raised_at), limits.response())
        .date
}

/// Still received (unanswered) after the day it was to be answered by.
pub fn is_unanswered(
    status: AppealStatus,
    raised_at: DateTime<Utc>,
    today: NaiveDate,
    calendar: &Calendar,
    limits: &TimeLimits,
) -> bool {
    status == AppealStatus::Received && response_due(raised_at, calendar, limits) < today
}

/// The instant before which an appeal still received on `today` is unanswered past the
/// response limit: the start, in the zone, of the first day whose answer is not yet late. (The
/// answer day moves with the raising day, so the late ones are exactly those raised earlier.)
pub fn unanswered_before(
    today: NaiveDate,
    calendar: &Calendar,
    limits: &TimeLimits,
) -> DateTime<Utc> {
    let late =
        |raised: NaiveDate| calendar.add_working_days(raised, limits.response()).date < today;
    let mut first_in_time = today;
    while let Some(before) = first_in_time.pred_opt().filter(|d| !late(*d)) {
        first_in_time = before;
    }
    time::from_local(first_in_time, chrono::NaiveTime::MIN)
}

/// Resolved by the end of its deadline day in the zone; `None` without both.
pub fn resolved_on_time(
    deadline: Option<NaiveDate>,
    resolved_at: Option<DateTime<Utc>>,
) -> Option<bool> {
    Some(time::local_date(resolved_at?) <= deadline?)
}

/// The rules over the columns of `appeals` (prefixed with `alias`, e.g. `t.`).
pub mod sql {
    /// Resolved, as the figures count it.
    pub fn resolved(alias: &str) -> String {
        format!("{alias}status IN ('resolved', 'confirmed')")
    }

    /// Overdue on the day bound to `today` (a `YYYY-MM-DD` parameter).
    pub fn overdue(alias: &str, today: &str) -> String {
        format!("{alias}status NOT IN ('resolved', 'confirmed') AND {alias}deadline < {today}")
    }

    /// Due soon: open, with a deadline from `today` to `until` ([`super::due_soon_until`]),
    /// both bound as `YYYY-MM-DD` parameters.
    pub fn due_soon(alias: &str, today: &str, until: &str) -> String {
        format!(
            "{alias}status NOT IN ('resolved', 'confirmed') AND {alias}deadline >= {today} AND {alias}deadline <= {until}"
        )
    }

    /// Unanswered past the response limit: still received, raised before `before`
    /// ([`super::unanswered_before`], bound as UTC text like `raised_at`).
    pub fn unanswered(alias: &str, before: &str) -> String {
        format!("{alias}status = 'received' AND {alias}raised_at < {before}")
    }

    /// Resolved on time. `resolved_at` is UTC text (RFC 3339, `Z`), and a deadline day in the
    /// zone (UTC+8 all year) ends at 16:00 UTC, so the text comparison is the instant's.
    pub fn on_time(alias: &str) -> String {
        format!(
            "{} AND {alias}deadline IS NOT NULL AND {alias}resolved_at < {alias}deadline || 'T16:00:00Z'",
            resolved(alias)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn overdue_is_open_past_the_deadline_day() {
        let deadline = Some(day("2024-10-28"));
        assert!(!is_overdue(
            AppealStatus::Dispatched,
            deadline,
            day("2024-10-28")
        ));
        assert!(is_overdue(
            AppealStatus::Dispatched,
            deadline,
            day("2024-10-29")
        ));
        assert!(!is_overdue(
            AppealStatus::Resolved,
            deadline,
            day("2024-10-29")
        ));
        assert!(!is_overdue(
            AppealStatus::Dispatched,
            None,
            day("2030-01-01")
        ));
    }

    #[test]
    fn due_soon_counts_working_days() {
        let c = Calendar::built_in();
        // Friday 13 February 2026: the Spring Festival follows; 24 February is 2 working days on.
        let friday = day("2026-02-13");
        let open = AppealStatus::Dispatched;
        assert!(is_due_soon(open, Some(day("2026-02-24")), friday, &c, 2));
        assert!(!is_due_soon(open, Some(day("2026-02-25")), friday, &c, 2));
        assert!(is_due_soon(open, Some(friday), friday, &c, 0), "due today");
        assert!(
            !is_due_soon(open, Some(day("2026-02-12")), friday, &c, 2),
            "overdue instead"
        );
        assert!(!is_due_soon(
            AppealStatus::Resolved,
            Some(day("2026-02-24")),
            friday,
            &c,
            2
        ));
    }

    #[test]
    fn days_left_count_working_days_and_lateness_is_at_least_one() {
        let c = Calendar::built_in();
        let open = AppealStatus::InProgress;
        let friday = day("2026-02-13");
        // Before the Spring Festival: the 24th is two working days on, today is zero.
        assert_eq!(
            working_days_left(open, Some(day("2026-02-24")), friday, &c),
            Some((2, false))
        );
        assert_eq!(
            working_days_left(open, Some(friday), friday, &c),
            Some((0, false))
        );
        // Due on the Friday, looked at on the Sunday: late, though no working day passed.
        assert_eq!(
            working_days_left(open, Some(day("2026-03-06")), day("2026-03-08"), &c),
            Some((-1, false))
        );
        assert_eq!(
            working_days_left(open, Some(day("2026-03-06")), day("2026-03-11"), &c),
            Some((-3, false))
        );
        assert_eq!(
            working_days_left(AppealStatus::Resolved, Some(friday), friday, &c),
            None
        );
        assert_eq!(working_days_left(open, None, friday, &c), None);
        assert_eq!(
            working_days_left(open, Some(day("2031-01-06")), day("2030-12-31"), &c).map(|d| d.1),
            Some(true),
            "a year not published yet"
        );
    }

    #[test]
    fn on_time_is_by_the_end_of_the_deadline_day_in_the_zone() {
        let deadline = Some(day("2024-10-28"));
        let at = |s: &str| Some(s.parse::<DateTime<Utc>>().unwrap());
        // 23:59 on the 28th in the zone is 15:59 UTC; midnight is 16:00 UTC.
        assert_eq!(
            resolved_on_time(deadline, at("2024-10-28T15:59:00Z")),
            Some(true)
        );
        assert_eq!(
            resolved_on_time(deadline, at("2024-10-28T16:00:00Z")),
            Some(false)
        );
        assert_eq!(resolved_on_time(None, at("2024-10-28T01:00:00Z")), None);
    }

    #[test]
    fn time_limits_count_working_days() {
        let cal = &Calendar::built_in();
        let limits = TimeLimits::DEFAULT;
        // Friday 13 February 2026, before the Spring Festival: 15 working days later is
        // 12 March (15–23 February off, 14 and 28 February worked).
        let raised = time::from_local(day("2026-02-13"), chrono::NaiveTime::MIN);
        assert_eq!(
            handling_deadline(raised, cal, &limits),
            (day("2026-03-12"), false)
        );
        // Answered by the make-up Saturday, 14 February.
        assert_eq!(response_due(raised, cal, &limits), day("2026-02-14"));
        assert!(!is_unanswered(
            AppealStatus::Received,
            raised,
            day("2026-02-14"),
            cal,
            &limits
        ));
        assert!(is_unanswered(
            AppealStatus::Received,
            raised,
            day("2026-02-15"),
            cal,
            &limits
        ));
        assert!(!is_unanswered(
            AppealStatus::Dispatched,
            raised,
            day("2026-03-01"),
            cal,
            &limits
        ));
    }

    #[test]
    fn unanswered_before_agrees_with_the_rule_day_by_day() {
        let cal = &Calendar::built_in();
        for limits in [TimeLimits::DEFAULT, TimeLimits::zone(3, 15)] {
            let mut today = day("2026-01-25");
            while today <= day("2026-03-10") {
                let before = unanswered_before(today, cal, &limits);
                let mut raised = today - chrono::Days::new(40);
                while raised <= today {
                    for hour in [0, 9, 23] {
                        let at = time::from_local(
                            raised,
                            chrono::NaiveTime::from_hms_opt(hour, 30, 0).unwrap(),
                        );
                        assert_eq!(
                            at < before,
                            is_unanswered(AppealStatus::Received, at, today, cal, &limits),
                            "raised {at}, today {today}, limit {}",
                            limits.response_days
                        );
                    }
                    raised = raised.succ_opt().unwrap();
                }
                today = today.succ_opt().unwrap();
            }
        }
    }
}
