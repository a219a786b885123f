//! What `desk` prints: plain text for people, stable JSON with `--json`. Errors go to stderr.

use desk_core::model::Record;
use desk_core::Entity;
use desk_store::{SearchHits, Stats, StoreError};
use serde::Serialize;
use serde_json::{json, Map, Value};

/// Writes one line to stdout (see `out!`). A closed pipe ends the program with success: the
/// reader has what it wanted. Any other failure to write is an error.
pub fn line(args: std::fmt::Arguments) {
    use std::io::Write;
    if let Err(e) = writeln!(std::io::stdout().lock(), "{args}") {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("错误 (error): 无法输出 (cannot write the output): {e}");
        std::process::exit(1);
    }
}

pub struct Out {
    pub json: bool,
}

/// The fields a person wants to see in a list, per kind.
fn summary_fields(entity: Entity) -> &'static [&'static str] {
    match entity {
        Entity::Park | Entity::Department => &["name"],
        Entity::Site => &["name", "kind", "credit_code"],
        Entity::Session => &["date", "leader", "status"],
        Entity::Stop => &["session_id", "position", "slot_start", "site_id"],
        Entity::Visit => &["started_at", "site_id", "notes"],
        Entity::Appeal => &["status", "deadline", "description"],
        Entity::Resolution => &["deadline", "action", "commitment"],
        Entity::Progress => &["at", "author", "note"],
        Entity::Consultation => &["topic", "question"],
        Entity::Suggestion => &["adopted", "content"],
        Entity::CalendarYear => &["year"],
        Entity::PolicyIssue => &["status", "title"],
        Entity::TimeLimits => &["response_days", "handling_days"],
        Entity::Order => &["placed_at", "site_id", "topic", "stop_id"],
    }
}

impl Out {
    fn print_json(&self, value: &impl Serialize) {
        out!(
            "{}",
            serde_json::to_string_pretty(value).expect("serialisable")
        );
    }

    pub fn saved<R: Record>(&self, entity: Entity, record: &R) {
        if self.json {
            self.print_json(record);
        } else {
            out!("已保存 (saved) {} {}", entity.name_zh(), record.id());
        }
    }

    pub fn list(&self, entity: Entity, rows: Vec<Map<String, Value>>) {
        if self.json {
            return self.print_json(&rows);
        }
        if rows.is_empty() {
            out!("（无记录 / none）");
        }
        for row in rows {
            let mut line = vec![row["id"].as_str().unwrap_or_default().to_owned()];
            for field in summary_fields(entity) {
                line.push(match &row[*field] {
                    Value::Null => "—".into(),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                });
            }
            if row.get("void_reason").is_some_and(|v| !v.is_null()) {
                line.push("[已作废 void]".into());
            }
            out!("{}", line.join("  "));
        }
    }

    pub fn search(&self, hits: &SearchHits) {
        if self.json {
            return self.print_json(hits);
        }
        out!("企业/项目 (sites): {}", hits.sites.len());
        self.list(Entity::Site, hits.sites.clone());
        out!("诉求 (appeals): {}", hits.appeals.len());
        self.list(Entity::Appeal, hits.appeals.clone());
    }

    pub fn stats(&self, s: &Stats) {
        if self.json {
            return self.print_json(s);
        }
        let rate = |r: Option<f64>| r.map_or("—".into(), |r| format!("{r}%"));
        out!("流动办公桌活动 (sessions)        {}", s.sessions);
        out!("走访 (visits)                    {}", s.visits);
        out!("解答咨询 (consultations)         {}", s.consultations);
        out!("收集诉求 (appeals)               {}", s.appeals);
        out!("已办结 (resolved)                {}", s.appeals_resolved);
        out!(
            "办结率 (resolution rate)         {}",
            rate(s.resolution_rate)
        );
        out!("按期办结率 (on-time rate)        {}", rate(s.on_time_rate));
        out!("超期未办结 (overdue)             {}", s.overdue_appeals);
        out!(
            "金点子 (golden ideas)            {} （采纳 adopted {}）",
            s.suggestions,
            s.suggestions_adopted
        );
        out!(
            "满意度 (satisfaction, 1–5)       {}",
            s.satisfaction_average.map_or("—".into(), |a| a.to_string())
        );
        out!(
            "满意率 (satisfied)               {}",
            rate(s.satisfaction_rate)
        );
        out!(
            "差评 (dissatisfied)              {} （整改中 being put right {}，逾期 overdue {}）",
            s.dissatisfied,
            s.follow_ups,
            s.follow_ups_overdue
        );
    }

    /// Always JSON: the export is for machines and for comparing devices.
    pub fn export(&self, state: &Value) {
        self.print_json(state);
    }

    /// One answer: `json` with `--json`, `text` otherwise.
    pub fn value(&self, json: &Value, text: &str) {
        if self.json {
            self.print_json(json);
        } else {
            out!("{text}");
        }
    }

    pub fn done(&self, message: &str) {
        if self.json {
            self.print_json(&json!({ "ok": true, "message": message }));
        } else {
            out!("{message}");
        }
    }

    pub fn error(&self, e: &StoreError) {
        if self.json {
            let body = match e {
                StoreError::Invalid(v) => {
                    json!({ "error": { "code": v.code(), "field": v.field(), "message": v.to_string() } })
                }
                StoreError::Import(rows) => {
                    json!({ "error": { "code": "import_rejected", "message": e.to_string(), "rows": rows } })
                }
                other => json!({ "error": { "code": "failed", "message": other.to_string() } }),
            };
            eprintln!(
                "{}",
                serde_json::to_string_pretty(&body).expect("serialisable")
            );
            return;
        }
        eprintln!("错误 (error): {e}");
        if let StoreError::Import(rows) = e {
            for row in rows {
                eprintln!("  {row}");
            }
        }
    }
}
