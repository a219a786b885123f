//! The roles of accounts, and what each may do to an appeal. Devices use the same rules to offer
//! only the actions an account may take; the server enforces them.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including parks, departments, accounts and devices.
    Admin,
    /// The whole zone.
    Leader,
    /// The records of one or more parks.
    Officer,
    /// The appeals dispatched to a department or naming it in a resolution.
    Department,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Leader, Role::Officer, Role::Department];

    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Leader => "leader",
            Role::Officer => "officer",
            Role::Department => "department",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Admin => "管理员",
            Role::Leader => "领导",
            Role::Officer => "园区工作人员",
            Role::Department => "责任单位",
        }
    }

    /// The office (管委会 and its park offices): dispatches, confirms with the enterprise's
    /// rating, reopens.
    pub fn is_office(self) -> bool {
        matches!(self, Role::Admin | Role::Leader | Role::Officer)
    }
}
