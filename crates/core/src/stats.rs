//! The zone's figures, as DOMAIN.md reports them: the same on a device and on the server,
//! which count over what they hold and may see.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What is counted; the rates follow from it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub sessions: i64,
    pub visits: i64,
    pub consultations: i64,
    pub appeals: i64,
    pub appeals_resolved: i64,
    /// Resolved appeals that had a deadline, and of those the ones resolved by the end of the
    /// deadline day in the zone.
    pub resolved_with_deadline: i64,
    pub resolved_on_time: i64,
    pub overdue_appeals: i64,
    pub suggestions: i64,
    pub suggestions_adopted: i64,
    pub satisfaction_ratings: i64,
    pub satisfaction_sum: i64,
    /// Ratings of 基本满意 or better.
    pub satisfied: i64,
    /// Appeals being put right after a dissatisfied rating (整改中), and those of them past
    /// their follow-up's deadline.
    pub follow_ups: i64,
    pub follow_ups_overdue: i64,
    pub policy_issues: i64,
    pub policy_enterprises: i64,
}

/// The conditions, over the columns of `appeals` (prefixed with `alias`), that the figures
/// count by; devices and the server count with them.
pub mod sql {
    use crate::model::{AppealStatus, DISSATISFIED_AT_MOST};

    /// Rated 基本满意 or better.
    pub fn satisfied(alias: &str) -> String {
        format!("{alias}satisfaction > {DISSATISFIED_AT_MOST}")
    }

    /// Being put right after a dissatisfied rating.
    pub fn follow_up(alias: &str) -> String {
        format!("{alias}status = '{}'", AppealStatus::Rectifying.as_str())
    }
}

/// The condition, over a table of sites `t`, for the enterprises a live policy issue covers
/// through their live appeals; devices and the server count with it.
pub const COVERED_BY_POLICY_ISSUES: &str = "t.id IN (SELECT a.site_id FROM appeals a
     JOIN policy_issues p ON p.id = a.policy_issue_id
     WHERE a.void_reason IS NULL AND p.void_reason IS NULL)";

/// Rates are percentages with one decimal, absent when there is nothing to divide by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stats {
    pub sessions: i64,
    pub visits: i64,
    pub consultations: i64,
    pub appeals: i64,
    pub appeals_resolved: i64,
    pub resolution_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub overdue_appeals: i64,
    pub suggestions: i64,
    pub suggestions_adopted: i64,
    /// 1 to 5, with one decimal.
    pub satisfaction_average: Option<f64>,
    /// The share of ratings that are 基本满意 or better (满意率), in percent.
    pub satisfaction_rate: Option<f64>,
    /// Ratings of 不满意 or 非常不满意 (差评).
    pub dissatisfied: i64,
    /// Follow-ups of dissatisfied ratings still open (整改中), and those overdue.
    pub follow_ups: i64,
    pub follow_ups_overdue: i64,
    /// Policy issues taken up for deliberation (议题), and the enterprises whose appeals they
    /// gather.
    pub policy_issues: i64,
    pub policy_enterprises: i64,
}

fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

impl From<Counts> for Stats {
    fn from(c: Counts) -> Stats {
        Stats {
            sessions: c.sessions,
            visits: c.visits,
            consultations: c.consultations,
            appeals: c.appeals,
            appeals_resolved: c.appeals_resolved,
            resolution_rate: percent(c.appeals_resolved, c.appeals),
            on_time_rate: percent(c.resolved_on_time, c.resolved_with_deadline),
            overdue_appeals: c.overdue_appeals,
            suggestions: c.suggestions,
            suggestions_adopted: c.suggestions_adopted,
            satisfaction_average: (c.satisfaction_ratings > 0).then(|| {
                (c.satisfaction_sum as f64 * 10.0 / c.satisfaction_ratings as f64).round() / 10.0
            }),
            satisfaction_rate: percent(c.satisfied, c.satisfaction_ratings),
            dissatisfied: c.satisfaction_ratings - c.satisfied,
            follow_ups: c.follow_ups,
            follow_ups_overdue: c.follow_ups_overdue,
            policy_issues: c.policy_issues,
            policy_enterprises: c.policy_enterprises,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zones_reported_figures() {
        // Since August: 22 problems collected, 22 resolved; 33 golden ideas (DOMAIN.md).
        let s = Stats::from(Counts {
            consultations: 220,
            appeals: 22,
            appeals_resolved: 22,
            suggestions: 33,
            ..Counts::default()
        });
        assert_eq!(s.resolution_rate, Some(100.0));
        assert_eq!(s.on_time_rate, None, "no deadlines, no rate");
        assert_eq!(s.satisfaction_average, None);
        let s = Stats::from(Counts {
            appeals: 3,
            appeals_resolved: 1,
            satisfaction_ratings: 3,
            satisfaction_sum: 9,
            satisfied: 2,
            follow_ups: 1,
            ..Counts::default()
        });
        assert_eq!(
            (s.resolution_rate, s.satisfaction_average),
            (Some(33.3), Some(3.0))
        );
        assert_eq!(
            (s.satisfaction_rate, s.dissatisfied, s.follow_ups),
            (Some(66.7), 1, 1)
        );
    }
}
