//! What the administrator's routes (`/v1/admin/…`) and the app's administration screens
//! exchange: accounts, devices and integration keys.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::Role;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// An account as the administrator sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Account {
    pub id: Uuid,
    pub name: String,
    pub display_name: String,
    pub role: Role,
    pub parks: Vec<Uuid>,
    pub departments: Vec<Uuid>,
    pub created_at: String,
    /// When an administrator disabled it; none while it may sign in.
    pub disabled_at: Option<String>,
}

/// A new account: an officer serves at least one park, a department account belongs to a
/// department, the password has at least 8 characters.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    pub name: String,
    #[serde(default)]
    pub display_name: String,
    pub role: Role,
    pub password: String,
    #[serde(default)]
    pub parks: Vec<Uuid>,
    #[serde(default)]
    pub departments: Vec<Uuid>,
}

/// What an administrator changes of an account; what is absent stays.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccountChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parks: Option<Vec<Uuid>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub departments: Option<Vec<Uuid>>,
    /// true disables the account (it cannot sign in, its devices stop); false enables it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    pub password: String,
}

/// A device that signed in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DeviceInfo {
    pub id: Uuid,
    /// The account's user name.
    pub user: String,
    pub name: String,
    pub created_at: String,
    pub last_seen_at: Option<String>,
    pub revoked_at: Option<String>,
    /// When an administrator marked it lost; it erases itself at its next contact.
    pub lost_at: Option<String>,
    /// When, marked lost, it handed over the changes it had not pushed.
    pub handed_over_at: Option<String>,
}

/// A new park (园区) or department (责任单位), by name; a department's level is zone,
/// district, city or other (zone unless given).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewPlace {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Created {
    pub id: Uuid,
}

/// An integrating system's Open311 key, as listed (never the key itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct KeyInfo {
    pub name: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// The system, e.g. "12345热线".
    pub name: String,
}

/// A key just issued: shown this once, the server keeps only its hash.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct IssuedKey {
    pub name: String,
    pub key: String,
}
