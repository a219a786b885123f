//! The tamper-evident ledger. Each appeal's entries form a hash chain in the order the server
//! accepted them: an entry carries its place (`position`, from 1), the hash of the entry before
//! it (`prev_hash`), and the SHA-256 of its own content with those two (`hash`); the appeal
//! carries the hash of its last entry (`ledger_head`). Changing, removing or reordering any
//! entry, or cutting the ledger short, breaks the chain at that entry, and [`verify`] names it.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::model::Progress;

/// The `prev_hash` of an appeal's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of an entry: everything it says, where it stands and what it follows.
pub fn entry_hash(entry: &Progress) -> String {
    let text = |v: &Option<String>| v.as_deref().map_or(Value::Null, Value::from);
    let mut content = json!([
        "desk-ledger-1",
        entry.prev_hash,
        entry.position,
        entry.id,
        entry.appeal_id,
        crate::time::stamp(entry.at),
        entry.author,
        entry.device_id,
        entry.note,
        entry.action.map(|a| a.as_str()),
        entry.department_id,
        entry.deadline.map(|d| d.to_string()),
        entry.satisfaction,
        text(&entry.reason),
        entry.from_status.map(|s| s.as_str()),
        entry.to_status.map(|s| s.as_str()),
    ]);
    // Added later: hashed only where set, so the chains sealed before stay whole.
    if let (Some(rater), Value::Array(items)) = (entry.rated_by, &mut content) {
        items.push(Value::from(rater.as_str()));
    }
    hex::encode(Sha256::digest(content.to_string().as_bytes()))
}

/// Places `entry` after the entry at `position - 1` whose hash is `prev_hash`.
pub fn seal(entry: &mut Progress, position: i64, prev_hash: &str) {
    entry.position = Some(position);
    entry.prev_hash = Some(prev_hash.to_owned());
    entry.hash = Some(entry_hash(entry));
}

/// Where a chain breaks, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub appeal_id: Uuid,
    /// The place in the chain where it breaks (1 is the first entry).
    pub position: i64,
    /// The entry found there, if any.
    pub entry_id: Option<Uuid>,
    pub problem: Problem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The entry was never sealed by the server.
    Unsealed,
    /// An entry is missing here, or one stands in another's place.
    OutOfPlace,
    /// The entry does not follow the one before it.
    Relinked,
    /// The entry's content no longer matches its hash.
    Altered,
    /// The ledger does not end where the appeal says it does: entries were removed or added
    /// at its end.
    Truncated,
    /// The appeal's status is not the one its last action led to.
    Status,
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let entry = self
            .entry_id
            .map(|e| format!("（{e}）"))
            .unwrap_or_default();
        let (zh, en) = match self.problem {
            Problem::Unsealed => ("未经服务器确认", "was never sealed by the server"),
            Problem::OutOfPlace => ("缺失或位置不符", "is missing or out of place"),
            Problem::Relinked => ("与前一条衔接不上", "does not follow the entry before it"),
            Problem::Altered => ("内容被改动", "was altered"),
            Problem::Truncated => (
                "之后的记录被删除或增添",
                "is not where the ledger ends: entries were removed or added after it",
            ),
            Problem::Status => (
                "所致的状态与诉求现在的状态不符",
                "does not lead to the status the appeal now has",
            ),
        };
        write!(
            f,
            "诉求 {} 的台账第 {} 条{entry}{zh} (entry {} of the ledger of appeal {} {en})",
            self.appeal_id, self.position, self.position, self.appeal_id
        )
    }
}

/// Walks one appeal's sealed entries, in `position` order, against the appeal's `head`.
/// Returns how many entries it checked.
pub fn verify(appeal_id: Uuid, head: Option<&str>, entries: &[Progress]) -> Result<usize, Break> {
    let broken = |position: i64, entry: Option<&Progress>, problem| Break {
        appeal_id,
        position,
        entry_id: entry.map(|e| e.id),
        problem,
    };
    let mut prev = GENESIS.to_owned();
    for (i, entry) in entries.iter().enumerate() {
        let position = i as i64 + 1;
        let Some(hash) = &entry.hash else {
            return Err(broken(position, Some(entry), Problem::Unsealed));
        };
        if entry.position != Some(position) || entry.appeal_id != appeal_id {
            return Err(broken(position, Some(entry), Problem::OutOfPlace));
        }
        if entry.prev_hash.as_deref() != Some(prev.as_str()) {
            return Err(broken(position, Some(entry), Problem::Relinked));
        }
        if entry_hash(entry) != *hash {
            return Err(broken(position, Some(entry), Problem::Altered));
        }
        prev = hash.clone();
    }
    let last = entries.len() as i64;
    match head {
        Some(h) if h == prev => Ok(entries.len()),
        None if entries.is_empty() => Ok(0),
        _ => Err(broken(last.max(1), entries.last(), Problem::Truncated)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ActionKind, AppealStatus};

    fn chain(appeal: Uuid, n: usize) -> (Vec<Progress>, String) {
        let mut prev = GENESIS.to_owned();
        let entries = (1..=n)
            .map(|i| {
                let at = format!("2024-10-2{i}T02:00:00Z").parse().unwrap();
                let mut e = Progress::note(appeal, at, "张三", &format!("第{i}次回访"));
                if i == 1 {
                    e.action = Some(ActionKind::Dispatch);
                    e.department_id = Some(Uuid::now_v7());
                    e.from_status = Some(AppealStatus::Received);
                    e.to_status = Some(AppealStatus::Dispatched);
                }
                seal(&mut e, i as i64, &prev);
                prev = e.hash.clone().unwrap();
                e
            })
            .collect();
        (entries, prev)
    }

    #[test]
    fn a_sealed_chain_verifies() {
        let appeal = Uuid::now_v7();
        let (entries, head) = chain(appeal, 4);
        assert_eq!(verify(appeal, Some(&head), &entries), Ok(4));
        assert_eq!(verify(appeal, None, &[]), Ok(0));
    }

    #[test]
    fn each_kind_of_tampering_names_the_entry() {
        let appeal = Uuid::now_v7();
        let (entries, head) = chain(appeal, 4);

        let mut altered = entries.clone();
        altered[2].note = "已解决".into();
        let b = verify(appeal, Some(&head), &altered).unwrap_err();
        assert_eq!((b.position, b.problem), (3, Problem::Altered));
        assert_eq!(b.entry_id, Some(entries[2].id));
        assert!(b.to_string().contains("第 3 条"), "{b}");

        let mut removed = entries.clone();
        removed.remove(1);
        let b = verify(appeal, Some(&head), &removed).unwrap_err();
        assert_eq!((b.position, b.problem), (2, Problem::OutOfPlace));

        let cut = &entries[..3];
        let b = verify(appeal, Some(&head), cut).unwrap_err();
        assert_eq!((b.position, b.problem), (3, Problem::Truncated));

        // A whole entry recomputed after an edit still does not follow the one before it…
        let mut forged = entries.clone();
        forged[1].prev_hash = Some(GENESIS.into());
        forged[1].hash = Some(entry_hash(&forged[1]));
        let b = verify(appeal, Some(&head), &forged).unwrap_err();
        assert_eq!((b.position, b.problem), (2, Problem::Relinked));

        // …and the time of an entry is part of what it says.
        let mut moved = entries.clone();
        moved[0].at = "2024-10-20T02:00:00Z".parse().unwrap();
        assert_eq!(
            verify(appeal, Some(&head), &moved).unwrap_err().problem,
            Problem::Altered
        );
    }
}
