//! Drafts: what a screen is in the middle of capturing, saved as typed. They stay on this device
//! and are never synced; finishing one writes its records and discards it in one transaction
//! ([`Writer::discard_draft`]).

use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

use crate::{Result, Store, Writer};

/// A saved draft: its kind (say "visit") and its body as the screen wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub id: Uuid,
    pub kind: String,
    pub body: String,
    pub updated_at: String,
}

impl Store {
    /// Saves a draft, replacing the earlier save. This write is flushed to disk before it
    /// returns (`synchronous=FULL`), so a dead battery right after loses nothing.
    pub fn save_draft(&mut self, id: Uuid, kind: &str, body: &str) -> Result<()> {
        let now = self.now().to_rfc3339();
        let conn = self.conn();
        conn.pragma_update(None, "synchronous", "FULL")?;
        let saved = conn
            .prepare_cached(
                "INSERT INTO drafts (id, kind, body, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
            )
            .and_then(|mut s| s.execute(params![id.to_string(), kind, body, now]));
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        saved?;
        Ok(())
    }

    pub fn draft(&self, id: Uuid) -> Result<Option<Draft>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT id, kind, body, updated_at FROM drafts WHERE id = ?1")?
            .query_row([id.to_string()], read_draft)
            .optional()?)
    }

    /// The drafts of one kind, the most recently saved first.
    pub fn drafts(&self, kind: &str) -> Result<Vec<Draft>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, kind, body, updated_at FROM drafts WHERE kind = ?1
             ORDER BY updated_at DESC",
        )?;
        let rows = stmt.query_map([kind], read_draft)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn discard_draft(&mut self, id: Uuid) -> Result<()> {
        self.conn()
            .execute("DELETE FROM drafts WHERE id = ?1", [id.to_string()])?;
        Ok(())
    }
}

impl Writer<'_> {
    /// Discards a draft as part of this write: the records written from it and its removal
    /// land together.
    pub fn discard_draft(&mut self, id: Uuid) -> Result<()> {
        self.conn
            .execute("DELETE FROM drafts WHERE id = ?1", [id.to_string()])?;
        Ok(())
    }
}

fn read_draft(row: &rusqlite::Row) -> rusqlite::Result<Draft> {
    let id: String = row.get(0)?;
    Ok(Draft {
        id: id.parse().unwrap_or_default(),
        kind: row.get(1)?,
        body: row.get(2)?,
        updated_at: row.get(3)?,
    })
}

#[cfg(test)]
mod tests {
    use desk_core::model::Park;

    use super::*;

    #[test]
    fn a_draft_is_saved_replaced_listed_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("desk.db");
        let id = Uuid::now_v7();
        {
            let mut store = Store::open(&path).unwrap();
            store.save_draft(id, "visit", r#"{"notes":"a"}"#).unwrap();
            store.save_draft(id, "visit", r#"{"notes":"ab"}"#).unwrap();
            store.save_draft(Uuid::now_v7(), "other", "{}").unwrap();
        }
        let store = Store::open(&path).unwrap();
        let visits = store.drafts("visit").unwrap();
        assert_eq!(visits.len(), 1);
        assert_eq!(visits[0].body, r#"{"notes":"ab"}"#);
        assert_eq!(store.draft(id).unwrap().unwrap().kind, "visit");
        assert!(store.outbox().unwrap().is_empty(), "drafts are not synced");
    }

    #[test]
    fn a_failed_write_keeps_its_draft() {
        let mut store = Store::open_in_memory().unwrap();
        let id = Uuid::now_v7();
        store.save_draft(id, "visit", "{}").unwrap();
        let err = store.write(|w| {
            w.discard_draft(id)?;
            w.create(Park {
                id: Uuid::now_v7(),
                name: " ".into(),
                void_reason: None,
            })
        });
        assert!(err.is_err());
        assert!(store.draft(id).unwrap().is_some());
        store
            .write(|w| {
                w.discard_draft(id)?;
                w.create(Park {
                    id: Uuid::now_v7(),
                    name: "新材料产业园".into(),
                    void_reason: None,
                })
            })
            .unwrap();
        assert!(store.draft(id).unwrap().is_none());
    }
}
