//! The enterprise portal's messages: what an enterprise signs in with and what it is shown of
//! its own appeals. Shared by the server, which serves them, and the portal's pages (ts-rs).
//!
//! An enterprise sees its appeals as the office handles them: the status, the department in
//! charge, the deadline in working days and each step's note, in the zone's time. It never sees
//! who among the officials wrote a step, or anything of another enterprise.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::model::{AppealStatus, Category, Rater, TimeWindow};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// An enterprise signs in with its unified social credit code and the access code the office
/// issued to it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PortalSignIn {
    pub credit_code: String,
    pub access_code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PortalSession {
    /// Sent as `Authorization: Bearer <token>`; stored by the server only hashed.
    pub token: String,
    pub site_name: String,
    /// Milliseconds since the Unix epoch; the portal signs in again after.
    #[ts(type = "number")]
    pub expires_at: i64,
}

/// The signed-in enterprise's appeals, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PortalAppeals {
    pub site_name: String,
    /// Agreed to be named on its park's public board.
    pub public_on_board: bool,
    pub appeals: Vec<PortalAppeal>,
    /// Its orders for a visit, newest first.
    pub orders: Vec<PortalOrder>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PortalAppeal {
    pub id: Uuid,
    /// Its name in the data, e.g. "utilities"; the portal shows its label.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub category: Category,
    pub description: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub status: AppealStatus,
    /// YYYY-MM-DD in the zone.
    pub raised_on: String,
    /// The department in charge, once dispatched.
    pub department: Option<String>,
    /// YYYY-MM-DD.
    pub deadline: Option<String>,
    /// Working days left to the deadline of an open appeal, negative once late.
    #[ts(type = "number | null")]
    pub days_left: Option<i64>,
    /// The count rests on a year whose holidays are not published yet (暂定).
    pub provisional: bool,
    /// YYYY-MM-DD in the zone.
    pub resolved_on: Option<String>,
    /// 1 to 5, once rated. A rating of 2 or less leaves the appeal rectifying (整改中) until
    /// its department has put it right, by `deadline`.
    #[ts(type = "number | null")]
    pub satisfaction: Option<i64>,
    /// Who gave the rating: the enterprise, or an official on its behalf.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub rated_by: Option<Rater>,
    /// What was done, oldest first.
    pub steps: Vec<PortalStep>,
}

/// One step of an appeal's handling as the enterprise sees it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PortalStep {
    /// "2024-10-26 08:30" in the zone.
    pub at: String,
    /// The status the step led to, when it changed one.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub status: Option<AppealStatus>,
    pub note: String,
}

/// The enterprise's rating of one of its resolved appeals (好差评, 一事一评).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PortalRating {
    /// The five national levels: 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意.
    #[ts(type = "number")]
    pub satisfaction: i64,
    #[serde(default)]
    pub comment: Option<String>,
}

/// Whether the enterprise agrees to be named, with its appeals' descriptions, on its park's
/// public board.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BoardConsent {
    pub public: bool,
}

/// A park with a public board (群众监督), and how many appeals it lists.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct BoardPark {
    pub id: Uuid,
    pub name: String,
    #[ts(type = "number")]
    pub appeals: i64,
}

/// A park's public board: its appeals as the office handles them, newest first, open to
/// anyone. An enterprise is named, and its description shown, only if it agreed.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Board {
    pub park: String,
    /// YYYY-MM-DD: the day the counts are as of.
    pub as_of: String,
    pub appeals: Vec<BoardAppeal>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct BoardAppeal {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub category: Category,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub status: AppealStatus,
    pub department: Option<String>,
    /// YYYY-MM-DD in the zone.
    pub raised_on: String,
    pub deadline: Option<String>,
    /// Working days from raising to resolution, or to today while open.
    #[ts(type = "number")]
    pub days_taken: i64,
    pub overdue: bool,
    /// Only for an enterprise that agreed to be named.
    pub enterprise: Option<String>,
    pub description: Option<String>,
}

/// An order for a visit of the desk (点单): what the enterprise wants to raise, and the times
/// that suit it (错时办理), one to three.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PortalOrderRequest {
    pub topic: String,
    #[serde(default)]
    pub wishes: Option<String>,
    pub windows: Vec<TimeWindow>,
}

/// An appeal raised online (线上诉求).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PortalAppealRequest {
    /// The category's name ("utilities") or label (要素保障).
    pub category: String,
    pub description: String,
}

/// An order as the enterprise sees it: waiting, or the visit it was dispatched to.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PortalOrder {
    pub id: Uuid,
    /// YYYY-MM-DD in the zone.
    pub placed_on: String,
    pub topic: String,
    pub wishes: Option<String>,
    pub windows: Vec<TimeWindow>,
    /// The visit it was dispatched to (派单), once it is.
    pub visit: Option<PortalVisit>,
}

/// The desk's visit an order was dispatched to.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PortalVisit {
    /// YYYY-MM-DD.
    pub date: String,
    /// "15:00".
    pub start: Option<String>,
    pub end: Option<String>,
    /// The desk that comes, e.g. 流动办公桌.
    pub desk: String,
}

/// What a visit receipt's link opens (走访回执), without signing in.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PortalReceipt {
    /// False until the tablet has uploaded the visit (记录尚未上传), or for a wrong link.
    pub uploaded: bool,
    /// The office took the receipt back.
    pub revoked: bool,
    pub site_name: Option<String>,
    /// YYYY-MM-DD in the zone.
    pub visited_on: Option<String>,
    /// The appeals raised at the visit, as they stand.
    pub appeals: Vec<PortalAppeal>,
}
