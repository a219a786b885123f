//! Reads: records, the ledger, the zone's figures, full-text search and the export.

use desk_core::model::Record;
use desk_core::model::TimeLimits;
use desk_core::stats::{Counts, Stats};
use desk_core::{time, Entity};
use pinyin::ToPinyin;
use rusqlite::functions::FunctionFlags;
use rusqlite::{params_from_iter, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use uuid::Uuid;

use crate::apply::{row_to_json, select_list};
use crate::{Result, Store, StoreError};

/// Registers the SQL functions the schema's triggers call. Returns the count of texts the
/// full-text index has been given since (each a `desk_bigrams` call): what shows that a path
/// does no index work it need not.
pub fn register_functions(conn: &Connection) -> Result<Arc<AtomicU64>> {
    let indexed = Arc::new(AtomicU64::new(0));
    let counted = indexed.clone();
    conn.create_scalar_function(
        "pinyin_initials",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(ctx.get::<Option<String>>(0)?.map(|s| pinyin_initials(&s))),
    )?;
    conn.create_scalar_function(
        "desk_bigrams",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        move |ctx| {
            counted.fetch_add(1, Ordering::Relaxed);
            Ok(ctx.get::<Option<String>>(0)?.map(|s| bigrams(&s)))
        },
    )?;
    Ok(indexed)
}

/// Overlapping pairs of letters and digits, lower-cased, space-separated: the tokens of the
/// full-text index. Punctuation and spaces end a run; a run of one character is kept whole.
pub fn bigrams(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for run in text.split(|c: char| !c.is_alphanumeric()) {
        let chars: Vec<char> = run.chars().flat_map(char::to_lowercase).collect();
        if chars.len() == 1 {
            out.push(chars[0]);
            out.push(' ');
        }
        for pair in chars.windows(2) {
            out.extend(pair);
            out.push(' ');
        }
    }
    out.pop();
    out
}

/// "湖北斯诺新材料" → "hbsnxcl", so a site is found by what people type on a phone keyboard.
pub fn pinyin_initials(text: &str) -> String {
    text.chars()
        .zip(text.to_pinyin())
        .filter_map(|(c, p)| match p {
            Some(p) => p.first_letter().chars().next(),
            None if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            None => None,
        })
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchHits {
    pub sites: Vec<Map<String, Value>>,
    pub appeals: Vec<Map<String, Value>>,
}

/// A row as the record it holds.
pub(crate) fn typed<R: Record>(row: Map<String, Value>) -> Result<R> {
    serde_json::from_value(Value::Object(row)).map_err(|_| StoreError::Corrupt(R::ENTITY.table()))
}

impl Store {
    /// A record by id, void or not.
    pub fn get<R: Record>(&self, id: Uuid) -> Result<Option<R>> {
        self.get_json(R::ENTITY, id)?.map(typed).transpose()
    }

    pub fn get_json(&self, entity: Entity, id: Uuid) -> Result<Option<Map<String, Value>>> {
        let sql = format!(
            "SELECT {} FROM {} WHERE id = ?1",
            select_list(entity),
            entity.table()
        );
        self.conn()
            .query_row(&sql, [id.to_string()], |r| Ok(row_to_json(entity, r)))
            .optional()?
            .transpose()
    }

    /// Every record of a kind in creation order (ids are UUIDv7), void ones last.
    pub fn list(&self, entity: Entity) -> Result<Vec<Map<String, Value>>> {
        self.rows(entity, "1", &[])
    }

    pub(crate) fn rows(
        &self,
        entity: Entity,
        condition: &str,
        params: &[String],
    ) -> Result<Vec<Map<String, Value>>> {
        let sql = format!(
            "SELECT {} FROM {} WHERE {condition} {}",
            select_list(entity),
            entity.table(),
            order_clause(entity)
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(params), |r| Ok(row_to_json(entity, r)))?;
        rows.map(|r| r?).collect()
    }

    /// The working-day calendar: the years built in, and those the office published since.
    pub fn calendar(&self) -> Result<desk_core::calendar::Calendar> {
        let published: Vec<String> = self
            .conn()
            .prepare(
                "SELECT days FROM calendar_years WHERE void_reason IS NULL AND days IS NOT NULL",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(desk_core::calendar::Calendar::with_published(
            published.iter().map(String::as_str),
        ))
    }

    /// The zone's time limits as the office set them, or the defaults until it has.
    pub fn time_limits(&self) -> Result<TimeLimits> {
        Ok(self
            .get::<TimeLimits>(TimeLimits::ID)?
            .filter(|l| l.void_reason.is_none())
            .unwrap_or(TimeLimits::DEFAULT))
    }

    /// Live records of a kind whose reference `field` (e.g. an appeal's `visit_id`) is `id`, in
    /// creation order.
    pub fn live_with(
        &self,
        entity: Entity,
        field: &str,
        id: Uuid,
    ) -> Result<Vec<Map<String, Value>>> {
        let field = entity
            .field(field)
            .ok_or(StoreError::Corrupt("no such field"))?
            .name;
        self.rows(
            entity,
            &format!("{field} = ? AND void_reason IS NULL"),
            &[id.to_string()],
        )
    }

    /// An appeal's ledger entries in the order they were made.
    pub fn progress_of(&self, appeal_id: Uuid) -> Result<Vec<Map<String, Value>>> {
        self.rows(Entity::Progress, "appeal_id = ?", &[appeal_id.to_string()])
    }

    /// The zone's figures over live records; "overdue" is judged on the zone's calendar today.
    pub fn stats(&self) -> Result<Stats> {
        let today = time::local_date(self.now()).to_string();
        let count =
            |sql: &str| -> Result<i64> { Ok(self.conn().query_row(sql, [&today], |r| r.get(0))?) };
        let live = "void_reason IS NULL AND ?1 = ?1";
        let sessions = count(&format!("SELECT count(*) FROM sessions WHERE {live}"))?;
        let visits = count(&format!("SELECT count(*) FROM visits WHERE {live}"))?;
        let consultations = count(&format!("SELECT count(*) FROM consultations WHERE {live}"))?;
        let appeals = count(&format!("SELECT count(*) FROM appeals WHERE {live}"))?;
        use desk_core::deadline::sql;
        let resolved_cond = sql::resolved("");
        let appeals_resolved = count(&format!(
            "SELECT count(*) FROM appeals WHERE {live} AND {resolved_cond}"
        ))?;
        let resolved_with_deadline = count(&format!(
            "SELECT count(*) FROM appeals WHERE {live} AND {resolved_cond} AND deadline IS NOT NULL"
        ))?;
        let on_time = count(&format!(
            "SELECT count(*) FROM appeals WHERE {live} AND {}",
            sql::on_time("")
        ))?;
        let overdue_appeals = count(&format!(
            "SELECT count(*) FROM appeals WHERE {live} AND {}",
            sql::overdue("", "?1")
        ))?;
        let suggestions = count(&format!("SELECT count(*) FROM suggestions WHERE {live}"))?;
        let suggestions_adopted = count(&format!(
            "SELECT count(*) FROM suggestions WHERE {live} AND adopted = 1"
        ))?;
        let (satisfaction_ratings, satisfaction_sum): (i64, i64) = self.conn().query_row(
            "SELECT count(satisfaction), coalesce(sum(satisfaction), 0) FROM appeals
             WHERE void_reason IS NULL AND satisfaction IS NOT NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let satisfied = count(&format!(
            "SELECT count(*) FROM appeals WHERE {live} AND {}",
            desk_core::stats::sql::satisfied("")
        ))?;
        let follow_up = desk_core::stats::sql::follow_up("");
        let follow_ups = count(&format!(
            "SELECT count(*) FROM appeals WHERE {live} AND {follow_up}"
        ))?;
        let follow_ups_overdue = count(&format!(
            "SELECT count(*) FROM appeals WHERE {live} AND {follow_up} AND {}",
            sql::overdue("", "?1")
        ))?;
        let policy_issues = count(&format!("SELECT count(*) FROM policy_issues WHERE {live}"))?;
        let policy_enterprises = count(&format!(
            "SELECT count(*) FROM sites t WHERE {live} AND {}",
            desk_core::stats::COVERED_BY_POLICY_ISSUES
        ))?;
        Ok(Counts {
            sessions,
            visits,
            consultations,
            appeals,
            appeals_resolved,
            resolved_with_deadline,
            resolved_on_time: on_time,
            overdue_appeals,
            suggestions,
            suggestions_adopted,
            satisfaction_ratings,
            satisfaction_sum,
            satisfied,
            follow_ups,
            follow_ups_overdue,
            policy_issues,
            policy_enterprises,
        }
        .into())
    }

    /// The week's bulletin (工作通报) over the appeals on this device, as of today.
    pub fn bulletin(
        &self,
        week: desk_core::bulletin::Week,
    ) -> Result<desk_core::bulletin::Bulletin> {
        use desk_core::deadline::sql as rules;
        let today = time::local_date(self.now()).to_string();
        let (start, end) = week.span();
        let resolved = rules::resolved("");
        let in_week = |column: &str| format!("{column} >= ?2 AND {column} < ?3");
        let count = |condition: String| {
            format!("coalesce(sum(CASE WHEN {condition} THEN 1 ELSE 0 END), 0)")
        };
        let q = format!(
            "SELECT {}, {}, {}, {}, {} FROM appeals WHERE void_reason IS NULL",
            count(in_week("raised_at")),
            count(format!("{} AND {resolved}", in_week("resolved_at"))),
            count(format!("NOT ({resolved})")),
            count(rules::overdue("", "?1")),
            count(desk_core::stats::sql::follow_up("")),
        );
        let figures =
            self.conn()
                .query_row(&q, [today, time::stamp(start), time::stamp(end)], |r| {
                    Ok(desk_core::bulletin::WeekFigures {
                        collected: r.get(0)?,
                        resolved: r.get(1)?,
                        open: r.get(2)?,
                        overdue: r.get(3)?,
                        follow_ups: r.get(4)?,
                    })
                })?;
        Ok(desk_core::bulletin::Bulletin::new(week, figures))
    }

    /// Finds sites (by name, pinyin initials, credit code, address, industry) and appeals (by
    /// description), newest first. Terms of two characters or more go through the index; a
    /// single character, or any term while the index is being built, is matched by a scan.
    pub fn search(&self, query: &str, limit: usize) -> Result<SearchHits> {
        let terms: Vec<&str> = query.split_whitespace().collect();
        if terms.is_empty() {
            return Ok(SearchHits {
                sites: vec![],
                appeals: vec![],
            });
        }
        let sites = self.search_in(
            Entity::Site,
            "sites_fts",
            &terms,
            "(t.name LIKE ?1 ESCAPE '\\' OR pinyin_initials(t.name) LIKE ?1 ESCAPE '\\' OR t.credit_code LIKE ?1 ESCAPE '\\' OR t.address LIKE ?1 ESCAPE '\\' OR t.industry LIKE ?1 ESCAPE '\\')",
            limit,
        )?;
        let appeals = self.search_in(
            Entity::Appeal,
            "appeals_fts",
            &terms,
            "t.description LIKE ?1 ESCAPE '\\'",
            limit,
        )?;
        Ok(SearchHits { sites, appeals })
    }

    fn search_in(
        &self,
        entity: Entity,
        fts: &str,
        terms: &[&str],
        like: &str,
        limit: usize,
    ) -> Result<Vec<Map<String, Value>>> {
        // While a bootstrap's index is still to be built, every term is matched by a scan:
        // slower, but search answers in full meanwhile.
        let deferred = self.search_index_deferred()?;
        let (indexed, scanned): (Vec<&str>, Vec<&str>) =
            terms.iter().partition(|t| !deferred && is_indexed_term(t));
        let mut cond = vec!["t.void_reason IS NULL".to_owned()];
        let mut params = Vec::new();
        // With an index term, the index drives the query newest first and stops at the limit;
        // otherwise the table is scanned newest first, also stopping at the limit.
        let from = if indexed.is_empty() {
            format!("{} t", entity.table())
        } else {
            let phrases = indexed
                .iter()
                .map(|t| fts_phrase(t))
                .collect::<Vec<_>>()
                .join(" AND ");
            let p = bind(&mut params, &phrases);
            cond.push(format!("{fts} MATCH {p}"));
            format!("{fts} f JOIN {} t ON t.rowid = f.rowid", entity.table())
        };
        for term in scanned {
            let p = bind(&mut params, &like_pattern(term));
            cond.push(like.replace("?1", &p));
        }
        let limit = bind(&mut params, &limit.to_string());
        let columns: Vec<String> = select_list(entity)
            .split(", ")
            .map(|c| format!("t.{c}"))
            .collect();
        let order = if indexed.is_empty() {
            "t.rowid"
        } else {
            "f.rowid"
        };
        let sql = format!(
            "SELECT {} FROM {from} WHERE {} ORDER BY {order} DESC LIMIT CAST({limit} AS INTEGER)",
            columns.join(", "),
            cond.join(" AND ")
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(params), |r| Ok(row_to_json(entity, r)))?;
        rows.map(|r| r?).collect()
    }

    /// The whole local state as one JSON value: every entity's records sorted by id, fields in
    /// schema order. Two devices that converged export the same bytes.
    pub fn export(&self) -> Result<Value> {
        let mut records = Map::new();
        for entity in Entity::ALL {
            let sql = format!(
                "SELECT {} FROM {} ORDER BY id",
                select_list(entity),
                entity.table()
            );
            let mut stmt = self.conn().prepare(&sql)?;
            let rows: Vec<Value> = stmt
                .query_map([], |r| Ok(row_to_json(entity, r)))?
                .map(|r| Ok(Value::Object(r??)))
                .collect::<Result<_>>()?;
            records.insert(entity.table().into(), Value::Array(rows));
        }
        let mut out = Map::new();
        out.insert("schema_version".into(), Value::from(crate::SCHEMA_VERSION));
        out.insert("records".into(), Value::Object(records));
        Ok(Value::Object(out))
    }

    /// Finds a park, department or site by id or by its exact name (live records only).
    pub fn resolve(&self, entity: Entity, text: &str) -> Result<Option<Uuid>> {
        let text = text.trim();
        if let Ok(id) = Uuid::parse_str(text) {
            return Ok(self.get_json(entity, id)?.map(|_| id));
        }
        if entity.field("name").is_none() {
            return Ok(None);
        }
        let sql = format!(
            "SELECT id FROM {} WHERE name = ?1 AND void_reason IS NULL ORDER BY id LIMIT 1",
            entity.table()
        );
        let id: Option<String> = self
            .conn()
            .query_row(&sql, [text], |r| r.get(0))
            .optional()?;
        Ok(id.and_then(|s| Uuid::parse_str(&s).ok()))
    }
}

/// Whether a search term goes through the index: two letters or digits make a bigram.
pub(crate) fn is_indexed_term(term: &str) -> bool {
    term.chars().filter(|c| c.is_alphanumeric()).count() >= 2
}

/// A term as an FTS5 phrase of its bigrams.
pub(crate) fn fts_phrase(term: &str) -> String {
    format!("\"{}\"", bigrams(term))
}

/// `%term%` for LIKE … ESCAPE '\\', the term's wildcards taken literally.
pub(crate) fn like_pattern(term: &str) -> String {
    let escaped = term
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Adds a parameter and returns its placeholder.
fn bind(params: &mut Vec<String>, value: &str) -> String {
    params.push(value.to_owned());
    format!("?{}", params.len())
}

fn order_clause(entity: Entity) -> String {
    if entity.field("void_reason").is_some() {
        "ORDER BY void_reason IS NOT NULL, id".into()
    } else {
        "ORDER BY id".into()
    }
}

#[cfg(test)]
mod tests {
    use super::pinyin_initials;

    #[test]
    fn bigrams_pair_letters_and_digits_within_runs() {
        use super::bigrams;
        assert_eq!(bigrams("用电价格"), "用电 电价 价格");
        assert_eq!(bigrams("偏高，希望"), "偏高 希望");
        assert_eq!(bigrams("A1-b 绿"), "a1 b 绿");
        assert_eq!(bigrams("“”"), "");
    }

    #[test]
    fn initials_of_the_demo_enterprise() {
        assert_eq!(pinyin_initials("湖北斯诺新材料"), "hbsnxcl");
        assert_eq!(pinyin_initials("污水处理厂二期"), "wsclceq");
        assert_eq!(pinyin_initials("A1 物流园"), "a1wly");
    }
}
