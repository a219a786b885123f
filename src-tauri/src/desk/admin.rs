//! The administrator's screens: accounts (create, role, parks and departments, password,
//! disable) and devices (list, revoke), through the server's admin routes with this device's
//! token. The server checks the role; the app only shows the screens to an administrator.

use desk_core::admin::{Account, AccountChange, DeviceInfo, NewAccount};
use desk_sync::admin::{AdminClient, Refusal};
use desk_sync::credentials;
use uuid::Uuid;

use super::{AppError, Desk, Result};

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        AppError {
            code: r.code,
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
}
