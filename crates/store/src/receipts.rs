//! Visit receipts (走访回执) on the device: the token behind a receipt's QR code stays here,
//! never synced; the visit carries only its hash (`desk_core::receipt`).

use rand::RngCore;
use rusqlite::OptionalExtension;
use uuid::Uuid;

use crate::{Result, Store, Writer};

impl Writer<'_> {
    /// A new receipt for `visit_id`, kept on this device: its token, and the hash the visit
    /// carries.
    pub fn new_receipt(&mut self, visit_id: Uuid) -> Result<(String, String)> {
        let mut bytes = [0u8; desk_core::receipt::TOKEN_LEN / 2];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let token = hex::encode(bytes);
        self.conn.execute(
            "INSERT INTO receipts (visit_id, token) VALUES (?1, ?2)
             ON CONFLICT (visit_id) DO UPDATE SET token = excluded.token",
            [visit_id.to_string(), token.clone()],
        )?;
        let hash = desk_core::receipt::hash(&token);
        Ok((token, hash))
    }
}

impl Store {
    /// The token of the receipt this device made for `visit_id`, if it made one.
    pub fn receipt(&self, visit_id: Uuid) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT token FROM receipts WHERE visit_id = ?1",
                [visit_id.to_string()],
                |r| r.get(0),
            )
            .optional()?)
    }
}
