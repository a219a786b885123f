//! Sessions (plan, start, finish) and visit capture, the core screen.

use desk_core::Entity;
use serde_json::{Map, Value};

use super::{Desk, Result};

impl Desk {
    /// Sessions, newest first, each with its stops in order.
    pub fn sessions(&self) -> Result<Vec<Value>> {
        let store = self.store();
        let stops = store.list(Entity::Stop)?;
        let sites = store.list(Entity::Site)?;
        let site_name = |id: &Value| {
            sites
                .iter()
                .find(|s| &s["id"] == id)
                .map(|s| s["name"].clone())
                .unwrap_or(Value::Null)
        };
        let mut sessions = store.list(Entity::Session)?;
        sessions.retain(|s| s["void_reason"].is_null());
        sessions.sort_by(|a, b| b["date"].as_str().cmp(&a["date"].as_str()));
        Ok(sessions
            .into_iter()
            .map(|mut s| {
                let mut mine: Vec<Map<String, Value>> = stops
                    .iter()
                    .filter(|st| st["session_id"] == s["id"])
                    .cloned()
                    .collect();
                mine.sort_by_key(|st| st["position"].as_i64());
                let mine: Vec<Value> = mine
                    .into_iter()
                    .map(|mut st| {
                        st.insert("site_name".into(), site_name(&st["site_id"]));
                        Value::Object(st)
                    })
                    .collect();
                s.insert("stops".into(), Value::Array(mine));
                Value::Object(s)
            })
            .collect())
    }
}
