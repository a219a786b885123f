//! Bulk import of enterprises and projects from CSV. The whole file is checked first; one bad
//! row rejects the file, with every bad row and field named, and nothing is written.

use std::collections::HashMap;
use std::path::Path;

use desk_core::model::{Site, SiteKind};
use desk_core::{Entity, ValidationError};
use uuid::Uuid;

use crate::{ImportRowError, Result, Store, StoreError};

/// Columns, by English or Chinese header.
const COLUMNS: &[(&str, &str)] = &[
    ("name", "名称"),
    ("kind", "类型"),
    ("credit_code", "统一社会信用代码"),
    ("park", "园区"),
    ("address", "地址"),
    ("industry", "行业"),
    ("contact", "联系人"),
    ("phone", "电话"),
];

/// Imports every row of `path` as a site, or none. Returns how many were imported.
pub fn import_sites_csv(store: &mut Store, path: &Path) -> Result<usize> {
    let file = std::fs::File::open(path).map_err(|source| StoreError::File {
        path: path.display().to_string(),
        source,
    })?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let mut errors = Vec::new();
    let headers = reader
        .headers()
        .map_err(|e| csv_error(&mut errors, 1, e))
        .ok()
        .cloned()
        .unwrap_or_default();
    let index: HashMap<&str, usize> = COLUMNS
        .iter()
        .filter_map(|(en, zh)| {
            headers
                .iter()
                .position(|h| {
                    let h = h.trim().trim_start_matches('\u{feff}');
                    h == *en || h == *zh
                })
                .map(|i| (*en, i))
        })
        .collect();
    if !headers.is_empty() && !index.contains_key("name") {
        errors.push(ImportRowError {
            line: 1,
            field: "name".into(),
            message: "缺少“name/名称”列 (missing column name)".into(),
        });
    }

    let mut sites = Vec::new();
    let mut codes_in_file: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                csv_error(&mut errors, line, e);
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let cell = |col: &str| {
            index
                .get(col)
                .and_then(|&i| record.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let mut bad = |e: ValidationError| {
            errors.push(ImportRowError {
                line,
                field: e.field().into(),
                message: e.to_string(),
            })
        };
        let kind = match cell("kind") {
            None => SiteKind::Enterprise,
            Some(k) => match SiteKind::parse("kind", &k) {
                Ok(k) => k,
                Err(e) => {
                    bad(e);
                    continue;
                }
            },
        };
        let park_id = match cell("park") {
            None => None,
            Some(p) => match store.resolve(Entity::Park, &p)? {
                Some(id) => Some(id),
                None => {
                    bad(ValidationError::NotFound {
                        field: "park",
                        entity: "park",
                        entity_zh: "园区",
                        id: p,
                    });
                    continue;
                }
            },
        };
        let mut site = Site {
            id: Uuid::now_v7(),
            kind,
            name: cell("name").unwrap_or_default(),
            credit_code: cell("credit_code"),
            park_id,
            address: cell("address"),
            industry: cell("industry"),
            contact: cell("contact"),
            phone: cell("phone"),
            void_reason: None,
        };
        if let Err(e) = desk_core::model::Record::validate(&mut site) {
            bad(e);
            continue;
        }
        if let Some(code) = &site.credit_code {
            if let Some(first) = codes_in_file.insert(code.clone(), line) {
                bad(ValidationError::Duplicate {
                    field: "credit_code",
                    value: format!("{code}（与第 {first} 行重复 / same as line {first}）"),
                });
                continue;
            }
        }
        sites.push((line, site));
    }
    if !errors.is_empty() {
        return Err(StoreError::Import(errors));
    }

    // Checks that need the store (existing codes) run inside the transaction; the first
    // failure rolls everything back, and is reported with its line.
    let count = sites.len();
    let mut failed = Vec::new();
    let result = store.write_bulk(|w| {
        for (line, site) in sites {
            if let Err(e) = w.create(site) {
                match e {
                    StoreError::Invalid(v) => failed.push(ImportRowError {
                        line,
                        field: v.field().into(),
                        message: v.to_string(),
                    }),
                    other => return Err(other),
                }
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(StoreError::Import(std::mem::take(&mut failed)))
        }
    });
    result.map(|()| count)
}

fn csv_error(errors: &mut Vec<ImportRowError>, line: u64, e: csv::Error) {
    errors.push(ImportRowError {
        line,
        field: "file".into(),
        message: format!("CSV 格式错误 (malformed CSV): {e}"),
    });
}
