//! The orders list (待派单): enterprises' orders for a visit, from the portal, waiting for the
//! office to dispatch each to a stop of a session in one of its windows (派单).

use desk_core::model::{Order, Site};
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use super::{Desk, Result};

/// An order as the list shows it: with its enterprise's name.
#[derive(Debug, Clone, Serialize, TS)]
pub struct OrderView {
    pub order: Order,
    pub site_name: Option<String>,
}

impl Desk {
    /// Orders waiting to be dispatched, oldest first.
    pub fn orders(&self) -> Result<Vec<OrderView>> {
        let store = self.store();
        store
            .waiting_orders()?
            .into_iter()
            .map(|order| {
                let site_name = store.get::<Site>(order.site_id)?.map(|s| s.name);
                Ok(OrderView { order, site_name })
            })
            .collect()
    }

    /// Dispatches an order in its `window`-th time window (from 1): a stop of that day's
    /// session, or of a new one this account leads; the orders still waiting.
    pub fn dispatch_order(&self, id: Uuid, window: usize) -> Result<Vec<OrderView>> {
        let leader = self.author();
        self.store()
            .write(|w| w.dispatch_order(id, window, &leader).map(drop))?;
        self.orders()
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::demo_desk;

    #[test]
    fn the_demo_order_waits_and_is_dispatched_to_a_session_that_day() {
        let (_dir, desk) = demo_desk(Some("2024-10-28"));
        let waiting = desk.orders().unwrap();
        assert_eq!(waiting.len(), 1);
        assert_eq!(
            waiting[0].site_name.as_deref(),
            Some("湖北斯诺新材料有限公司")
        );
        let err = desk.dispatch_order(waiting[0].order.id, 9).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("window"), "{err:?}");
        assert!(desk
            .dispatch_order(waiting[0].order.id, 1)
            .unwrap()
            .is_empty());
        let sessions = desk.sessions().unwrap();
        let day = sessions
            .iter()
            .find(|s| s.session.date.to_string() == "2024-11-05")
            .expect("a session on the first window's day");
        assert_eq!(day.stops[0].stop.slot_start.as_deref(), Some("14:00"));
    }
}
