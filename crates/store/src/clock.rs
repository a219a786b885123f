//! The device's time. Tablet clocks are wrong, and get set right (or wrong) by hand while
//! offline. At every exchange with the server the store learns the server's time against two
//! readings of its own: the wall clock, and the uptime, which nobody sets. Until the device
//! restarts, the time is counted from the server's by the uptime since ([`Anchor`]), so a wall
//! clock changed in between changes nothing; after a restart, the wall clock is corrected by
//! the last offset learnt.
//!
//! When the server's time shows the device's was wrong by more than a minute, the device says
//! so (`本设备时间有误，已按服务器时间校正`), and operations not yet pushed that were stamped
//! in the future are stamped again at the time they were really written (known from the
//! uptime when the device has not restarted since), together with the times they took from
//! the clock. Nothing else is re-stamped: what the server acknowledged stays as it is.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use desk_core::{Clock, Entity, FieldClocks, Hlc};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{meta, set_meta, Result, Store, StoreError};

/// How far the device's time may be off before it is corrected out loud.
pub const TOLERANCE_MS: i64 = 60_000;

/// The time since the device booted, and which boot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uptime {
    pub boot: String,
    pub ms: i64,
}

pub type UptimeSource = Arc<dyn Fn() -> Option<Uptime> + Send + Sync>;

/// Linux and Android say both in /proc; elsewhere the wall clock and the offset are all there is.
pub fn system_uptime() -> Option<Uptime> {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let uptime = std::fs::read_to_string("/proc/uptime").ok()?;
    let secs: f64 = uptime.split_whitespace().next()?.parse().ok()?;
    Some(Uptime {
        boot: boot.trim().to_owned(),
        ms: (secs * 1000.0) as i64,
    })
}

/// What the device reads at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub wall_ms: i64,
    pub uptime: Option<Uptime>,
}

/// The server's time at a known uptime.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Anchor {
    server_ms: i64,
    uptime: Uptime,
}

impl Anchor {
    pub(crate) fn load(conn: &Connection) -> Result<Option<Anchor>> {
        Ok(meta(conn, "clock.anchor")?.and_then(|a| serde_json::from_str(&a).ok()))
    }

    /// The server's time at `reading`, if the device has not restarted since.
    pub(crate) fn server_ms_at(&self, reading: &Reading) -> Option<i64> {
        let now = reading.uptime.as_ref()?;
        (now.boot == self.uptime.boot && now.ms >= self.uptime.ms)
            .then(|| self.server_ms + (now.ms - self.uptime.ms))
    }
}

/// When a local operation was written: the time its writer used, and the uptime then.
#[derive(Debug, Clone)]
pub(crate) struct Written {
    pub ms: i64,
    pub uptime: Option<Uptime>,
}

impl Written {
    pub(crate) fn at(now: DateTime<Utc>, uptime: Option<Uptime>) -> Written {
        Written {
            ms: now.timestamp_millis(),
            uptime,
        }
    }
}

/// The last time the device's clock was found wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ClockCorrection {
    /// When it was found, in the server's time.
    pub at: String,
    /// How far ahead the device's time was (negative: behind), in milliseconds.
    pub ahead_ms: i64,
    /// Operations not yet pushed that were stamped again.
    pub restamped: i64,
    /// For people, Chinese first.
    pub message: String,
}

impl Store {
    /// Learns the server's time (`server_ms`, from a reply) against readings taken when the
    /// request left and when the reply came. Returns the correction when the device's time
    /// was off by more than [`TOLERANCE_MS`].
    pub fn learn_time(
        &mut self,
        server_ms: i64,
        sent: &Reading,
        received: &Reading,
    ) -> Result<Option<ClockCorrection>> {
        let wall_mid = (sent.wall_ms + received.wall_ms) / 2;
        let believed = |r: &Reading| {
            self.anchor
                .as_ref()
                .and_then(|a| a.server_ms_at(r))
                .unwrap_or(r.wall_ms + self.offset_ms)
        };
        let ahead = (believed(sent) + believed(received)) / 2 - server_ms;
        let anchor = match (&sent.uptime, &received.uptime) {
            (Some(a), Some(b)) if a.boot == b.boot => Some(Anchor {
                server_ms,
                uptime: Uptime {
                    boot: b.boot.clone(),
                    ms: (a.ms + b.ms) / 2,
                },
            }),
            _ => None,
        };
        let offset = server_ms - wall_mid;
        // Round trips jitter by milliseconds; only a real change is worth a write.
        if ahead.abs() > 1_000 || (offset - self.offset_ms).abs() > 1_000 || self.anchor.is_none() {
            set_meta(self.conn(), "sync.clock_offset_ms", &offset.to_string())?;
            self.offset_ms = offset;
            match &anchor {
                Some(a) => set_meta(
                    self.conn(),
                    "clock.anchor",
                    &serde_json::to_string(a).expect("anchors serialise"),
                )?,
                None => {
                    self.conn()
                        .execute("DELETE FROM meta WHERE key = 'clock.anchor'", [])?;
                }
            }
            self.anchor = anchor;
        }
        // Stamps made while the clock was ahead may be further ahead than the clock is now.
        let stamped_ahead = self.clock.last().wall_ms as i64 - server_ms;
        let restamped = self.restamp_future(server_ms, received)?;
        if ahead.abs() <= TOLERANCE_MS && restamped == 0 {
            return Ok(None);
        }
        let ahead = if ahead.abs() <= TOLERANCE_MS {
            stamped_ahead
        } else {
            ahead
        };
        let correction = ClockCorrection {
            at: desk_core::time::stamp(
                DateTime::from_timestamp_millis(server_ms).unwrap_or_else(Utc::now),
            ),
            ahead_ms: ahead,
            restamped: restamped as i64,
            message: format!(
                "本设备时间有误（{}），已按服务器时间校正 (this device's clock was wrong, {}: corrected to the server's time)",
                describe_zh(ahead),
                describe_en(ahead)
            ),
        };
        set_meta(
            self.conn(),
            "clock.correction",
            &serde_json::to_string(&correction).expect("serialises"),
        )?;
        Ok(Some(correction))
    }

    /// The last time the device's clock was found wrong, if ever.
    pub fn clock_correction(&self) -> Result<Option<ClockCorrection>> {
        Ok(meta(self.conn(), "clock.correction")?.and_then(|c| serde_json::from_str(&c).ok()))
    }

    /// Stamps again, at the time they were really written, the operations not yet pushed
    /// whose stamps lie in the future of `server_ms`; moves the device's clock back to the
    /// latest stamp it holds. Returns how many operations were stamped again.
    fn restamp_future(&mut self, server_ms: i64, now: &Reading) -> Result<usize> {
        let limit = server_ms + TOLERANCE_MS;
        let ahead = self.clock.last().wall_ms as i64 > limit
            || meta(self.conn(), "clock")?
                .and_then(|c| c.parse::<Hlc>().ok())
                .is_some_and(|c| c.wall_ms as i64 > limit);
        if !ahead {
            return Ok(0);
        }
        let device = self.device_id();
        let tx = self.conn_mut().transaction()?;
        let held: Option<String> = tx.query_row(
            "SELECT MAX(hlc) FROM oplog WHERE NOT (local = 1 AND acked = 0)",
            [],
            |r| r.get(0),
        )?;
        let held = held
            .and_then(|h| h.parse::<Hlc>().ok())
            .unwrap_or(Hlc::zero(device));
        let mut clock = Clock::new(Hlc {
            node: device,
            ..held
        });
        let pending = pending_writes(&tx)?;
        let mut remap: HashMap<Hlc, Hlc> = HashMap::new();
        let mut restamped = 0;
        // Everything a device writes after a stamp in the future is stamped after it too: from
        // the first such operation on, all are stamped again, in the order they were written.
        let mut reached = false;
        for p in pending {
            let future = p.hlc.wall_ms as i64 > limit;
            reached |= future;
            if !reached {
                clock.observe(&p.hlc, 0);
                continue;
            }
            let true_ms = if future {
                match (&p.uptime, &now.uptime) {
                    (Some(then), Some(now_u)) if then.boot == now_u.boot => {
                        server_ms - (now_u.ms - then.ms)
                    }
                    _ => server_ms,
                }
            } else {
                p.hlc.wall_ms as i64
            };
            let new = clock.tick(true_ms.max(0) as u64);
            if new == p.hlc {
                continue;
            }
            let shift = match p.written_ms {
                Some(w) if future => true_ms - w,
                _ => 0,
            };
            let mut fields = p.fields.clone();
            if shift != 0 {
                for value in fields.values_mut() {
                    shift_instant(value, p.written_ms.unwrap_or_default(), shift);
                }
            }
            let prev: std::collections::BTreeMap<String, Hlc> = p
                .prev
                .iter()
                .map(|(k, v)| (k.clone(), *remap.get(v).unwrap_or(v)))
                .collect();
            remap.insert(p.hlc, new);
            tx.execute(
                "UPDATE oplog SET hlc = ?1, fields = ?2, prev = ?3, written_ms = ?4 WHERE op_id = ?5",
                rusqlite::params![
                    new.to_string(),
                    Value::Object(fields.clone()).to_string(),
                    serde_json::to_string(&prev).expect("stamps serialise"),
                    p.written_ms.map(|w| w + shift),
                    p.op_id,
                ],
            )?;
            restamp_row(&tx, p.entity, &p.record_id, &remap, &fields, p.hlc)?;
            if p.entity == Entity::Progress {
                // The appeal it moved carries its stamp too.
                if let Some(appeal) = fields.get("appeal_id").and_then(Value::as_str) {
                    restamp_row(&tx, Entity::Appeal, appeal, &remap, &Map::new(), p.hlc)?;
                }
            }
            if future {
                restamped += 1;
            }
        }
        set_meta(&tx, "clock", &clock.last().to_string())?;
        tx.commit()?;
        self.clock = clock;
        Ok(restamped)
    }
}

struct PendingWrite {
    op_id: String,
    entity: Entity,
    record_id: String,
    fields: Map<String, Value>,
    hlc: Hlc,
    prev: std::collections::BTreeMap<String, Hlc>,
    written_ms: Option<i64>,
    uptime: Option<Uptime>,
}

fn pending_writes(conn: &Connection) -> Result<Vec<PendingWrite>> {
    let mut stmt = conn.prepare(
        "SELECT op_id, entity, record_id, fields, hlc, prev, written_ms, written_uptime_ms, written_boot
         FROM oplog WHERE local = 1 AND acked = 0 ORDER BY seq",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, Option<i64>>(6)?,
            r.get::<_, Option<i64>>(7)?,
            r.get::<_, Option<String>>(8)?,
        ))
    })?;
    let corrupt = || StoreError::Corrupt("oplog");
    rows.map(|row| {
        let (op_id, entity, record_id, fields, hlc, prev, written_ms, uptime, boot) = row?;
        Ok(PendingWrite {
            op_id,
            entity: Entity::ALL
                .into_iter()
                .find(|e| e.table() == entity)
                .ok_or_else(corrupt)?,
            record_id,
            fields: serde_json::from_str(&fields).map_err(|_| corrupt())?,
            hlc: hlc.parse().map_err(|_| corrupt())?,
            prev: serde_json::from_str(&prev).map_err(|_| corrupt())?,
            written_ms,
            uptime: uptime.zip(boot).map(|(ms, boot)| Uptime { boot, ms }),
        })
    })
    .collect()
}

/// Moves an instant the write took from the clock by `shift`: one within a few seconds of its
/// write time (a time typed by a person is not).
fn shift_instant(value: &mut Value, written_ms: i64, shift: i64) {
    let Some(at) = value.as_str().and_then(|s| s.parse::<DateTime<Utc>>().ok()) else {
        return;
    };
    if (at.timestamp_millis() - written_ms).abs() <= 5_000 {
        if let Some(moved) = DateTime::from_timestamp_millis(at.timestamp_millis() + shift) {
            *value = Value::from(desk_core::time::stamp(moved));
        }
    }
}

/// Gives a row the new stamps of `remap` (and the shifted values of `fields` where the row
/// still holds what the operation stamped `old` wrote).
fn restamp_row(
    conn: &Connection,
    entity: Entity,
    id: &str,
    remap: &HashMap<Hlc, Hlc>,
    fields: &Map<String, Value>,
    old: Hlc,
) -> Result<()> {
    let Some((base, stamps)): Option<(String, String)> = conn
        .query_row(
            &format!("SELECT _hlc, _clocks FROM {} WHERE id = ?1", entity.table()),
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
    else {
        return Ok(());
    };
    let clocks = FieldClocks::from_columns(&base, &stamps).ok_or(StoreError::Corrupt("_clocks"))?;
    let mapped = |h: &Hlc| *remap.get(h).unwrap_or(h);
    let new = FieldClocks {
        base: mapped(&clocks.base),
        fields: clocks
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), mapped(v)))
            .collect(),
    };
    let still_written = fields
        .iter()
        .filter(|(name, _)| clocks.of(name) == old && entity.field(name).is_some())
        .map(|(name, value)| (name.as_str(), value));
    crate::apply::update_row(conn, entity, id, still_written, Some(&new))
}

fn describe_zh(ahead_ms: i64) -> String {
    let (word, ms) = if ahead_ms >= 0 {
        ("快了", ahead_ms)
    } else {
        ("慢了", -ahead_ms)
    };
    let minutes = (ms + 30_000) / 60_000;
    if minutes >= 60 * 24 {
        format!("{word} {:.1} 天", ms as f64 / 86_400_000.0)
    } else if minutes >= 60 {
        format!("{word} {:.1} 小时", ms as f64 / 3_600_000.0)
    } else {
        format!("{word} {minutes} 分钟")
    }
}

fn describe_en(ahead_ms: i64) -> String {
    let (word, ms) = if ahead_ms >= 0 {
        ("ahead", ahead_ms)
    } else {
        ("behind", -ahead_ms)
    };
    let minutes = (ms + 30_000) / 60_000;
    if minutes >= 60 * 24 {
        format!("{:.1} days {word}", ms as f64 / 86_400_000.0)
    } else if minutes >= 60 {
        format!("{:.1} hours {word}", ms as f64 / 3_600_000.0)
    } else {
        format!("{minutes} minutes {word}")
    }
}
