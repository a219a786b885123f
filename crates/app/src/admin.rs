//! The administrator's screens: accounts (create, role, parks and departments, password,
//! disable) and devices (list, revoke), through the server's admin routes with this device's
//! token. The server checks the role; the app only shows the screens to an administrator.

use desk_core::admin::{Account, AccountChange, DeviceInfo, IssuedKey, KeyInfo, NewAccount};
use desk_sync::admin::{AdminClient, Refusal};
use desk_sync::credentials;
use uuid::Uuid;

use super::{AppError, Desk, Result};

/// What an administrator adds besides accounts.
#[derive(Debug, Clone, Copy, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    Park,
    Department,
}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        AppError {
            code: r.code,
            params: Default::default(),
            field: r.field,
            message: r.message,
        }
    }
}

impl Desk {
    fn admin(&self) -> Result<AdminClient> {
        let c = credentials::load(&self.dir)
            .ok()
            .flatten()
            .ok_or_else(|| AppError {
                code: "not_signed_in".into(),
                params: Default::default(),
                field: None,
                message: "尚未登录服务器 (not signed in to a server)".into(),
            })?;
        Ok(AdminClient::new(&c.server, &c.token))
    }

    pub async fn accounts(&self) -> Result<Vec<Account>> {
        Ok(self.admin()?.accounts().await?)
    }

    pub async fn create_account(&self, new: NewAccount) -> Result<Account> {
        Ok(self.admin()?.create_account(&new).await?)
    }

    pub async fn change_account(&self, id: Uuid, change: AccountChange) -> Result<Account> {
        Ok(self.admin()?.change_account(id, &change).await?)
    }

    pub async fn reset_password(&self, id: Uuid, password: String) -> Result<()> {
        Ok(self.admin()?.reset_password(id, &password).await?)
    }

    pub async fn devices(&self) -> Result<Vec<DeviceInfo>> {
        Ok(self.admin()?.devices().await?)
    }

    pub async fn revoke_device(&self, id: Uuid) -> Result<()> {
        Ok(self.admin()?.revoke_device(id).await?)
    }

    /// A new park or department, on the server; this device takes it at the sync that follows at
    /// once.
    pub async fn create_place(
        &self,
        kind: Place,
        name: String,
        level: Option<String>,
    ) -> Result<()> {
        let admin = self.admin()?;
        match kind {
            Place::Park => admin.create_park(&name).await?,
            Place::Department => {
                admin
                    .create_department(&name, level.as_deref().unwrap_or("zone"))
                    .await?
            }
        };
        // Made on the server whatever happens now; if this sync fails, a later one brings it.
        if let Some(engine) = self.engine() {
            let _ = engine.sync().await;
        }
        Ok(())
    }

    pub async fn api_keys(&self) -> Result<Vec<KeyInfo>> {
        Ok(self.admin()?.api_keys().await?)
    }

    pub async fn issue_api_key(&self, name: String) -> Result<IssuedKey> {
        Ok(self.admin()?.issue_api_key(&name).await?)
    }

    pub async fn revoke_api_key(&self, name: String) -> Result<()> {
        Ok(self.admin()?.revoke_api_key(&name).await?)
    }
}
