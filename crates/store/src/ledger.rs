//! The ledger (台账) as the office works it: the filters, pages in a chosen order read off an
//! index after the last row shown (keyset paging, so page 2,000 costs what page 1 does), and
//! every matching row streamed in that order for the exports.

use chrono::{DateTime, NaiveDate, Utc};
use desk_core::model::{Appeal, AppealStatus, Category};
use desk_core::Entity;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Row};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::apply::{row_to_json, select_list};
use crate::query::{fts_phrase, is_indexed_term, like_pattern};
use crate::{Result, Store, StoreError};

/// An appeal as the deliberation desk groups it.
#[derive(Debug, Clone, PartialEq)]
pub struct AppealText {
    pub id: Uuid,
    pub site_id: Uuid,
    pub category: Category,
    pub status: AppealStatus,
    pub raised_at: DateTime<Utc>,
    pub description: String,
}

impl From<Appeal> for AppealText {
    fn from(a: Appeal) -> Self {
        AppealText {
            id: a.id,
            site_id: a.site_id,
            category: a.category,
            status: a.status,
            raised_at: a.raised_at,
            description: a.description,
        }
    }
}

/// The ledger's filters; every one is optional.
#[derive(Debug, Clone, Default)]
pub struct AppealFilter {
    pub status: Option<AppealStatus>,
    pub park_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub category: Option<Category>,
    pub site_id: Option<Uuid>,
    pub overdue_on: Option<NaiveDate>,
    /// Due soon: open, with a deadline from the first day to the second
    /// (`desk_core::deadline::due_soon_until`).
    pub due_between: Option<(NaiveDate, NaiveDate)>,
    /// Unanswered past the response limit: still received, raised before this instant
    /// (`desk_core::deadline::unanswered_before`).
    pub unanswered_before: Option<DateTime<Utc>>,
    /// Words that must each be found in the description or the site's name (or its pinyin
    /// initials, credit code, address, industry).
    pub search: Option<String>,
}

/// What the ledger can be ordered by. Each order has its index (migrations 0007 and 0010).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum LedgerSort {
    /// When raised (the default).
    #[default]
    Raised,
    /// By deadline; those without one last.
    Deadline,
    /// By the lifecycle: received first, confirmed last.
    Status,
    /// Normal, then urgent.
    Urgency,
    /// Unrated, then by rating.
    Satisfaction,
}

impl LedgerSort {
    pub const ALL: [LedgerSort; 5] = [
        LedgerSort::Raised,
        LedgerSort::Deadline,
        LedgerSort::Status,
        LedgerSort::Urgency,
        LedgerSort::Satisfaction,
    ];

    /// The sort key over the columns of `appeals`, word for word as migration 0007 indexes it.
    pub fn key(self) -> &'static str {
        match self {
            LedgerSort::Raised => "raised_at",
            LedgerSort::Deadline => "ifnull(deadline, '9999-12-31')",
            LedgerSort::Status => "CASE status WHEN 'received' THEN 1 WHEN 'dispatched' THEN 2 WHEN 'in_progress' THEN 3 WHEN 'resolved' THEN 4 WHEN 'rectifying' THEN 5 ELSE 6 END",
            LedgerSort::Urgency => "(urgency = 'urgent')",
            LedgerSort::Satisfaction => "ifnull(satisfaction, 0)",
        }
    }
}

/// An order: a key, and which way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct LedgerOrder {
    pub by: LedgerSort,
    pub descending: bool,
}

/// An appeal with the names the ledger shows beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerEntry {
    pub appeal: Appeal,
    pub site_name: Option<String>,
    pub park_name: Option<String>,
    pub department_name: Option<String>,
    /// The live policy issue (议题) the appeal is gathered in.
    pub policy_issue_title: Option<String>,
}

/// One page of the ledger, and where the next starts (`None` on the last).
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerPage {
    pub entries: Vec<LedgerEntry>,
    /// Opaque to callers: the last row's sort key and id.
    pub next: Option<String>,
    /// How many appeals match the filter, all pages together; counted on the first page.
    pub total: Option<i64>,
}

/// The conditions of a filter over `appeals`, with their parameters.
struct Where {
    conditions: Vec<String>,
    params: Vec<SqlValue>,
}

impl Where {
    fn bind(&mut self, value: impl Into<SqlValue>) -> String {
        self.params.push(value.into());
        format!("?{}", self.params.len())
    }

    /// The filter's conditions. `in_order` is for a query read in an order's index: a status or
    /// a category matches a large share of the ledger, so their own indexes (which would then
    /// need every match sorted) are kept out of it with SQLite's unary `+`, and the page is read
    /// off the order's index until it is full.
    fn of(filter: &AppealFilter, in_order: bool) -> Where {
        let mut w = Where {
            conditions: vec!["void_reason IS NULL".to_owned()],
            params: Vec::new(),
        };
        let plus = if in_order { "+" } else { "" };
        if let Some(s) = filter.status {
            let p = w.bind(s.as_str().to_owned());
            w.conditions.push(format!("{plus}status = {p}"));
        }
        if let Some(c) = filter.category {
            let p = w.bind(c.as_str().to_owned());
            w.conditions.push(format!("{plus}category = {p}"));
        }
        if let Some(d) = filter.department_id {
            // The department the appeal was dispatched to, or one named in a resolution.
            let d = w.bind(d.to_string());
            w.conditions.push(format!(
                "(department_id = {d} OR id IN (SELECT appeal_id FROM resolutions
                  WHERE void_reason IS NULL AND (lead_department_id = {d}
                  OR EXISTS (SELECT 1 FROM json_each(co_department_ids) WHERE value = {d}))))"
            ));
        }
        if let Some(s) = filter.site_id {
            let p = w.bind(s.to_string());
            w.conditions.push(format!("site_id = {p}"));
        }
        if let Some(p) = filter.park_id {
            let p = w.bind(p.to_string());
            w.conditions.push(format!(
                "site_id IN (SELECT id FROM sites WHERE park_id = {p})"
            ));
        }
        if let Some(day) = filter.overdue_on {
            let day = w.bind(day.to_string());
            w.conditions
                .push(desk_core::deadline::sql::overdue("", &day));
        }
        if let Some((today, until)) = filter.due_between {
            let today = w.bind(today.to_string());
            let until = w.bind(until.to_string());
            w.conditions
                .push(desk_core::deadline::sql::due_soon("", &today, &until));
        }
        if let Some(before) = filter.unanswered_before {
            let before = w.bind(desk_core::time::stamp(before));
            w.conditions
                .push(desk_core::deadline::sql::unanswered("", &before));
        }
        for term in filter.search.iter().flat_map(|s| s.split_whitespace()) {
            // Through the search indexes for two characters or more, by a scan for one.
            let condition = if is_indexed_term(term) {
                let p = w.bind(fts_phrase(term));
                format!(
                    "(rowid IN (SELECT rowid FROM appeals_fts WHERE appeals_fts MATCH {p})
                      OR site_id IN (SELECT s.id FROM sites_fts f JOIN sites s ON s.rowid = f.rowid
                                     WHERE sites_fts MATCH {p}))"
                )
            } else {
                let p = w.bind(like_pattern(term));
                format!(
                    "(description LIKE {p} ESCAPE '\\'
                      OR site_id IN (SELECT id FROM sites WHERE name LIKE {p} ESCAPE '\\'))"
                )
            };
            w.conditions.push(condition);
        }
        w
    }

    fn sql(&self) -> String {
        self.conditions.join(" AND ")
    }
}

/// The names beside an appeal of `appeals`, looked up by key per row, so the rows keep the
/// order the index gives them (a join would be free to reorder them).
const NAMES: &str = "(SELECT name FROM sites WHERE id = appeals.site_id),
     (SELECT p.name FROM sites s JOIN parks p ON p.id = s.park_id WHERE s.id = appeals.site_id),
     (SELECT name FROM departments WHERE id = appeals.department_id),
     (SELECT title FROM policy_issues WHERE id = appeals.policy_issue_id AND void_reason IS NULL)";

fn entry(row: &Row<'_>) -> Result<LedgerEntry> {
    let n = Entity::Appeal.fields().len() + 1;
    let appeal = serde_json::from_value(Value::Object(row_to_json(Entity::Appeal, row)?))
        .map_err(|_| StoreError::Corrupt("appeals"))?;
    Ok(LedgerEntry {
        appeal,
        site_name: row.get(n)?,
        park_name: row.get(n + 1)?,
        department_name: row.get(n + 2)?,
        policy_issue_title: row.get(n + 3)?,
    })
}

fn sql_to_json(v: SqlValue) -> Value {
    match v {
        SqlValue::Integer(i) => Value::from(i),
        SqlValue::Text(s) => Value::from(s),
        SqlValue::Real(f) => Value::from(f),
        SqlValue::Null | SqlValue::Blob(_) => Value::Null,
    }
}

/// The cursor after a row: its sort key and id, as JSON text.
fn cursor(key: SqlValue, id: &Uuid) -> String {
    Value::Array(vec![sql_to_json(key), Value::from(id.to_string())]).to_string()
}

fn parse_cursor(text: &str) -> Result<(SqlValue, String)> {
    let bad = || {
        StoreError::Invalid(desk_core::ValidationError::Invalid {
            field: "after",
            value: text.to_owned(),
            expected: "上一页给出的位置 (a cursor from the previous page)".to_owned(),
        })
    };
    let Ok(Value::Array(parts)) = serde_json::from_str::<Value>(text) else {
        return Err(bad());
    };
    match parts.as_slice() {
        [key, Value::String(id)] => {
            let key = match key {
                Value::String(s) => SqlValue::Text(s.clone()),
                Value::Number(n) => SqlValue::Integer(n.as_i64().ok_or_else(bad)?),
                _ => return Err(bad()),
            };
            Ok((key, id.clone()))
        }
        _ => Err(bad()),
    }
}

impl Store {
    /// The ledger (台账): live appeals matching the filter, oldest first, as records.
    pub fn appeals(&self, filter: &AppealFilter) -> Result<Vec<Map<String, Value>>> {
        let w = Where::of(filter, false);
        let sql = format!(
            "SELECT {} FROM appeals WHERE {} ORDER BY id",
            select_list(Entity::Appeal),
            w.sql()
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(&w.params), |r| {
            Ok(row_to_json(Entity::Appeal, r))
        })?;
        rows.map(|r| r?).collect()
    }

    /// The live appeals not yet linked to a policy issue, with what the deliberation desk
    /// groups them by, in id order.
    pub fn unlinked_appeal_texts(&self) -> Result<Vec<AppealText>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, site_id, category, status, raised_at, description FROM appeals
             WHERE void_reason IS NULL AND policy_issue_id IS NULL ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?.unwrap_or_default(),
            ))
        })?;
        rows.map(|r| {
            let (id, site, category, status, raised_at, description) = r?;
            match (
                id.parse(),
                site.parse(),
                Category::parse("category", &category),
                AppealStatus::parse("status", &status),
                raised_at.parse(),
            ) {
                (Ok(id), Ok(site_id), Ok(category), Ok(status), Ok(raised_at)) => Ok(AppealText {
                    id,
                    site_id,
                    category,
                    status,
                    raised_at,
                    description,
                }),
                _ => Err(StoreError::Corrupt("appeals")),
            }
        })
        .collect()
    }

    /// A page of `limit` appeals in `order` after the cursor `after` (the first page without;
    /// only the first counts the matches).
    pub fn ledger_page(
        &self,
        filter: &AppealFilter,
        order: LedgerOrder,
        after: Option<&str>,
        limit: usize,
    ) -> Result<LedgerPage> {
        let total = match after {
            Some(_) => None,
            None => {
                let w = Where::of(filter, false);
                Some(self.conn().query_row(
                    &format!("SELECT count(*) FROM appeals WHERE {}", w.sql()),
                    params_from_iter(&w.params),
                    |r| r.get(0),
                )?)
            }
        };
        let mut w = Where::of(filter, true);
        let key = order.by.key();
        let (cmp, dir) = if order.descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        if let Some(after) = after {
            let (k, id) = parse_cursor(after)?;
            let (k, id) = (w.bind(k), w.bind(id));
            // `(key, id) > (k, id)` spelt out: SQLite seeks an index to a bound on its first
            // column, not to a row value, and would scan every earlier row instead.
            w.conditions.push(format!(
                "{key} {cmp}= {k} AND ({key} {cmp} {k} OR id {cmp} {id})"
            ));
        }
        let limit_param = w.bind(limit as i64 + 1);
        let sql = format!(
            "SELECT {cols}, {NAMES}, {key} FROM appeals WHERE {cond}
             ORDER BY {key} {dir}, id {dir} LIMIT {limit_param}",
            cols = select_list(Entity::Appeal),
            cond = w.sql(),
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(&w.params))?;
        let mut entries = Vec::with_capacity(limit);
        let mut last_key = SqlValue::Null;
        let mut more = false;
        while let Some(row) = rows.next()? {
            if entries.len() == limit {
                more = true;
                break;
            }
            entries.push(entry(row)?);
            last_key = row.get(Entity::Appeal.fields().len() + 5)?;
        }
        let next = match entries.last() {
            Some(e) if more => Some(cursor(last_key, &e.appeal.id)),
            _ => None,
        };
        Ok(LedgerPage {
            entries,
            next,
            total,
        })
    }

    /// Every appeal matching the filter, in `order`, one at a time: an export of any length
    /// holds one row in memory.
    pub fn for_each_ledger_entry(
        &self,
        filter: &AppealFilter,
        order: LedgerOrder,
        mut f: impl FnMut(LedgerEntry) -> Result<()>,
    ) -> Result<()> {
        let w = Where::of(filter, true);
        let dir = if order.descending { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT {cols}, {NAMES} FROM appeals WHERE {cond} ORDER BY {key} {dir}, id {dir}",
            cols = select_list(Entity::Appeal),
            cond = w.sql(),
            key = order.by.key(),
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(&w.params))?;
        while let Some(row) = rows.next()? {
            f(entry(row)?)?;
        }
        Ok(())
    }

    /// Fills an export with the ledger as filtered and ordered, as of today on the zone's
    /// calendar; returns how many appeals it holds.
    pub fn export_ledger(
        &self,
        filter: &AppealFilter,
        order: LedgerOrder,
        export: &mut desk_export::LedgerExport,
    ) -> Result<u32> {
        let today = desk_core::time::local_date(self.now());
        let mut lines = desk_export::Lines::new(today, self.calendar()?);
        self.for_each_ledger_entry(filter, order, |e| {
            let line = lines.line(
                &e.appeal,
                desk_export::Names {
                    site: e.site_name.as_deref(),
                    park: e.park_name.as_deref(),
                    department: e.department_name.as_deref(),
                    policy_issue: e.policy_issue_title.as_deref(),
                },
            );
            Ok(export.push(&line)?)
        })?;
        Ok(export.rows())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::site;
    use desk_core::model::{Channel, Urgency};

    /// 120 appeals over two sites, their ledger fields spread so every order has ties; the
    /// fields actions own are set straight in the table (what is read here is the order).
    fn ledger() -> Store {
        let mut s = Store::open_in_memory().unwrap();
        s.set_now(|| "2024-10-26T01:00:00Z".parse().unwrap());
        let sites = [site("湖北斯诺新材料有限公司"), site("随州市污水处理厂")];
        s.write(|w| {
            for site in &sites {
                w.create(site.clone())?;
            }
            for i in 0..120 {
                w.create(Appeal {
                    id: Uuid::now_v7(),
                    site_id: sites[i % 2].id,
                    visit_id: None,
                    raised_at: format!("2024-10-{:02}T00:30:00Z", 1 + i % 25)
                        .parse()
                        .unwrap(),
                    channel: Channel::OnSite,
                    category: Category::Utilities,
                    description: if i % 10 == 0 {
                        "厂区围墙破损"
                    } else {
                        "生产用电价格偏高"
                    }
                    .into(),
                    urgency: if i % 3 == 0 {
                        Urgency::Urgent
                    } else {
                        Urgency::Normal
                    },
                    status: AppealStatus::Received,
                    department_id: None,
                    deadline: None,
                    resolved_at: None,
                    satisfaction: None,
                    ledger_head: None,
                    policy_issue_id: None,
                    void_reason: None,
                })?;
            }
            Ok(())
        })
        .unwrap();
        s.conn()
            .execute_batch(
                "UPDATE appeals SET
                   deadline = CASE WHEN rowid % 4 = 0 THEN NULL
                                   ELSE '2024-11-' || printf('%02d', 1 + rowid % 7) END,
                   status = CASE rowid % 5 WHEN 0 THEN 'received' WHEN 1 THEN 'dispatched'
                            WHEN 2 THEN 'in_progress' WHEN 3 THEN 'resolved' ELSE 'confirmed' END,
                   satisfaction = CASE WHEN rowid % 5 = 4 THEN 1 + rowid % 5 END;
                 UPDATE appeals SET void_reason = 'duplicate' WHERE rowid % 17 = 0;",
            )
            .unwrap();
        s
    }

    /// Every page in turn, as (sort key, id) of each row.
    fn walk(s: &Store, filter: &AppealFilter, order: LedgerOrder, size: usize) -> Vec<Uuid> {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = s
                .ledger_page(filter, order, after.as_deref(), size)
                .unwrap();
            assert!(page.entries.len() <= size);
            seen.extend(page.entries.iter().map(|e| e.appeal.id));
            match page.next {
                Some(next) => after = Some(next),
                None => return seen,
            }
        }
    }

    /// The same order computed by SQLite over every row at once.
    fn sorted(s: &Store, filter: &AppealFilter, order: LedgerOrder) -> Vec<Uuid> {
        let mut ids = Vec::new();
        s.for_each_ledger_entry(filter, order, |e| {
            ids.push(e.appeal.id);
            Ok(())
        })
        .unwrap();
        ids
    }

    #[test]
    fn pages_in_every_order_cover_the_ledger_once_in_order() {
        let s = ledger();
        let live: i64 = s
            .conn()
            .query_row(
                "SELECT count(*) FROM appeals WHERE void_reason IS NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        for by in LedgerSort::ALL {
            for descending in [false, true] {
                let order = LedgerOrder { by, descending };
                let all = sorted(&s, &AppealFilter::default(), order);
                assert_eq!(all.len() as i64, live);
                assert_eq!(
                    walk(&s, &AppealFilter::default(), order, 7),
                    all,
                    "{order:?}"
                );
            }
        }
        // Ascending by deadline: the dated ones first, each no later than the next.
        let order = LedgerOrder {
            by: LedgerSort::Deadline,
            descending: false,
        };
        let page = s
            .ledger_page(&AppealFilter::default(), order, None, 200)
            .unwrap();
        let deadlines: Vec<_> = page.entries.iter().map(|e| e.appeal.deadline).collect();
        let dated = deadlines.iter().take_while(|d| d.is_some()).count();
        assert!(deadlines[..dated].windows(2).all(|w| w[0] <= w[1]));
        assert!(deadlines[dated..].iter().all(Option::is_none));
        assert_eq!(page.total, Some(live));
        assert!(page.next.is_none());
    }

    #[test]
    fn a_filtered_walk_holds_only_matching_rows_and_counts_them() {
        let s = ledger();
        let filter = AppealFilter {
            status: Some(AppealStatus::Dispatched),
            search: Some("用电".into()),
            ..AppealFilter::default()
        };
        let order = LedgerOrder {
            by: LedgerSort::Urgency,
            descending: true,
        };
        let ids = walk(&s, &filter, order, 5);
        let first = s.ledger_page(&filter, order, None, 5).unwrap();
        assert_eq!(first.total, Some(ids.len() as i64));
        assert!(!ids.is_empty());
        for id in ids {
            let a: Appeal = s.get(id).unwrap().unwrap();
            assert_eq!(a.status, AppealStatus::Dispatched);
            assert!(a.description.contains("用电"));
        }
        // Names are found too: by a site's name and by one character.
        for q in ["污水", "污"] {
            let filter = AppealFilter {
                search: Some(q.into()),
                ..AppealFilter::default()
            };
            let page = s
                .ledger_page(&filter, LedgerOrder::default(), None, 500)
                .unwrap();
            assert!(!page.entries.is_empty());
            assert!(
                page.entries
                    .iter()
                    .all(|e| e.site_name.as_deref() == Some("随州市污水处理厂")),
                "{q}"
            );
        }
    }

    #[test]
    fn every_order_reads_its_page_off_an_index() {
        let s = ledger();
        for by in LedgerSort::ALL {
            for (cmp, dir) in [(">", "ASC"), ("<", "DESC")] {
                let key = by.key();
                // Also with a status chosen, as `Where::of(_, true)` writes it.
                for status in ["", "AND +status = 'dispatched'"] {
                    let plan: Vec<String> = s
                        .conn()
                        .prepare(&format!(
                            "EXPLAIN QUERY PLAN SELECT * FROM appeals
                             WHERE void_reason IS NULL {status}
                               AND {key} {cmp}= ?1 AND ({key} {cmp} ?1 OR id {cmp} ?2)
                             ORDER BY {key} {dir}, id {dir} LIMIT 51"
                        ))
                        .unwrap()
                        .query_map([SqlValue::Null, SqlValue::Null], |r| r.get::<_, String>(3))
                        .unwrap()
                        .map(Result::unwrap)
                        .collect();
                    let plan = plan.join("; ");
                    // A search (a seek to the cursor), not a scan from the start.
                    assert!(
                        plan.contains("SEARCH appeals USING INDEX appeals_by_"),
                        "{by:?}: {plan}"
                    );
                    assert!(!plan.contains("TEMP B-TREE"), "{by:?} sorts: {plan}");
                }
            }
        }
    }

    #[test]
    fn a_cursor_that_is_not_one_is_refused_by_name() {
        let s = ledger();
        for bad in ["", "[1]", "{\"a\":1}", "[true, \"x\"]"] {
            let err = s
                .ledger_page(
                    &AppealFilter::default(),
                    LedgerOrder::default(),
                    Some(bad),
                    5,
                )
                .unwrap_err();
            let v = err.validation().expect("a validation error");
            assert_eq!(v.field(), "after", "{bad}");
        }
    }
}
