//! Enterprises' orders for a visit (企业点单) and their dispatch (派单): an order becomes a stop
//! at its site, in a time window it asked for, of a desk session on that day.

use desk_core::model::{DeskType, Order, Origin, Session, SessionStatus, Stop};
use desk_core::{Entity, ValidationError};
use rusqlite::OptionalExtension;
use uuid::Uuid;

use crate::{Result, Store, Writer};

impl Store {
    /// Orders waiting to be dispatched (待派单), oldest first.
    pub fn waiting_orders(&self) -> Result<Vec<Order>> {
        self.rows(
            Entity::Order,
            "stop_id IS NULL AND void_reason IS NULL",
            &[],
        )?
        .into_iter()
        .map(crate::query::typed)
        .collect()
    }
}

impl Writer<'_> {
    /// Dispatches an order (派单) in its `window`-th time window (from 1): a stop at its site in
    /// that window, on the day's first session not yet finished, or on a new session the
    /// enterprise ordered (企业点单) led by `leader`; the order then names the stop.
    pub fn dispatch_order(&mut self, order_id: Uuid, window: usize, leader: &str) -> Result<Stop> {
        let order: Order = self.get_live(order_id, "order_id")?;
        if let Some(stop) = order.stop_id {
            return Err(ValidationError::Invalid {
                field: "order_id",
                value: order_id.to_string(),
                expected: format!("an order not yet dispatched (it is, to stop {stop})"),
            }
            .into());
        }
        let chosen = window
            .checked_sub(1)
            .and_then(|i| order.windows.get(i))
            .cloned()
            .ok_or_else(|| ValidationError::Invalid {
                field: "window",
                value: window.to_string(),
                expected: format!("1 to {}", order.windows.len()),
            })?;
        let day = chosen.date.to_string();
        let session: Option<String> = self
            .conn
            .query_row(
                "SELECT id FROM sessions WHERE date = ?1 AND void_reason IS NULL
                 AND status <> 'finished' ORDER BY id LIMIT 1",
                [&day],
                |r| r.get(0),
            )
            .optional()?;
        let session_id = match session.and_then(|s| s.parse::<Uuid>().ok()) {
            Some(id) => id,
            None => {
                self.create(Session {
                    id: Uuid::now_v7(),
                    date: chosen.date,
                    leader: leader.to_owned(),
                    participants: vec![],
                    desk_types: vec![DeskType::Office],
                    origin: Origin::Ordered,
                    status: SessionStatus::Planned,
                    summary: None,
                    void_reason: None,
                })?
                .id
            }
        };
        let position: i64 = self.conn.query_row(
            "SELECT COALESCE(MAX(position), 0) + 1 FROM stops
             WHERE session_id = ?1 AND void_reason IS NULL",
            [session_id.to_string()],
            |r| r.get(0),
        )?;
        let stop = self.create(Stop {
            id: Uuid::now_v7(),
            session_id,
            position,
            site_id: order.site_id,
            slot_start: Some(chosen.start),
            slot_end: Some(chosen.end),
            void_reason: None,
        })?;
        self.update::<Order>(order_id, |o| o.stop_id = Some(stop.id))?;
        Ok(stop)
    }
}
