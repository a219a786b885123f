//! The server's database layer on each backend: rows inserted together ([`Sql::insert`]) land
//! before the transaction reads or commits, and a bad one fails its transaction whole.

use desk_server::db::{Db, DbError, Sql, SqlValue};

use crate::server_harness::{backends, TestDb};

/// A row of `scopes`: text, an integer and a null, the kinds of column the server writes.
fn scope(id: &str, public: i64) -> Vec<SqlValue> {
    vec![
        "sites".into(),
        id.into(),
        public.into(),
        SqlValue::Null,
        "owner".into(),
    ]
}

const COLUMNS: &str = "entity, record_id, public, park_id, owner_id";

fn scopes(sql: &mut dyn Sql) -> Result<Vec<(String, i64, bool)>, DbError> {
    Ok(sql
        .rows(
            "SELECT record_id, public, park_id FROM scopes WHERE owner_id = 'owner' ORDER BY record_id",
            &[],
        )?
        .iter()
        .map(|r| {
            (
                r.text("record_id").unwrap_or_default().to_owned(),
                r.int("public").unwrap_or(-1),
                r.get("park_id") == &SqlValue::Null,
            )
        })
        .collect())
}

#[test]
fn inserted_rows_land_before_the_next_read_and_a_bad_one_fails_its_transaction() {
    for backend in backends() {
        let test_db = TestDb::new(&backend);
        let db = Db::open(&test_db.url).expect("open");
        let read = db
            .tx_blocking(|sql| {
                for (i, public) in [(1, 0), (2, 1), (3, 0)] {
                    sql.insert("scopes", COLUMNS, scope(&format!("s{i}"), public))?;
                }
                scopes(sql)
            })
            .expect("three rows inserted");
        let three = vec![
            ("s1".to_owned(), 0, true),
            ("s2".to_owned(), 1, true),
            ("s3".to_owned(), 0, true),
        ];
        assert_eq!(read, three, "{backend:?}: read in their own transaction");

        let failed = db.tx_blocking(|sql| {
            sql.insert("scopes", COLUMNS, scope("s4", 0))?;
            sql.insert("scopes", COLUMNS, scope("s2", 0))
        });
        let message = failed.expect_err("a duplicate key fails").to_string();
        assert!(
            message.contains("duplicate") || message.contains("UNIQUE"),
            "{backend:?}: {message}"
        );
        let after = db.tx_blocking(scopes).expect("read");
        assert_eq!(
            after, three,
            "{backend:?}: nothing of the failed transaction stays"
        );
    }
}
