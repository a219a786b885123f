//! Hybrid logical clock (Kulkarni et al., 2014).
//!
//! Tablet clocks are wrong, so no write is ordered by wall time alone. A stamp is
//! (wall milliseconds, counter, node): it never goes backwards on one node, it moves past every
//! stamp the node has seen, and the node id breaks ties, so any two stamps are totally ordered
//! and every device picks the same winner.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hlc {
    pub wall_ms: u64,
    pub counter: u32,
    pub node: Uuid,
}

impl Hlc {
    /// The smallest stamp of a node; stands for "never written".
    pub fn zero(node: Uuid) -> Self {
        Hlc {
            wall_ms: 0,
            counter: 0,
            node,
        }
    }
}

/// Fixed-width lower-case hex, so the text form sorts exactly like the stamp.
impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:013x}-{:08x}-{}",
            self.wall_ms,
            self.counter,
            self.node.simple()
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("hlc：“{0}”不是有效的时钟戳 (not a valid clock stamp)")]
pub struct ParseHlcError(String);

impl FromStr for Hlc {
    type Err = ParseHlcError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseHlcError(s.to_owned());
        let mut parts = s.splitn(3, '-');
        let (wall, counter, node) = (
            parts.next().ok_or_else(bad)?,
            parts.next().ok_or_else(bad)?,
            parts.next().ok_or_else(bad)?,
        );
        if wall.len() != 13 || counter.len() != 8 || node.len() != 32 {
            return Err(bad());
        }
        Ok(Hlc {
            wall_ms: u64::from_str_radix(wall, 16).map_err(|_| bad())?,
            counter: u32::from_str_radix(counter, 16).map_err(|_| bad())?,
            node: Uuid::try_parse(node).map_err(|_| bad())?,
        })
    }
}

impl Serialize for Hlc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hlc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The clock of one node. The caller supplies the physical time, already corrected by the
/// offset learnt from the server, so this type stays free of I/O.
#[derive(Debug, Clone)]
pub struct Clock {
    last: Hlc,
}

impl Clock {
    pub fn new(last: Hlc) -> Self {
        Clock { last }
    }

    pub fn last(&self) -> Hlc {
        self.last
    }

    /// A stamp for a local event: later than every stamp this node has issued or seen.
    pub fn tick(&mut self, now_ms: u64) -> Hlc {
        let wall = self.last.wall_ms.max(now_ms);
        let counter = if wall == self.last.wall_ms {
            self.last.counter + 1
        } else {
            0
        };
        self.last = Hlc {
            wall_ms: wall,
            counter,
            node: self.last.node,
        };
        self.last
    }

    /// Takes a stamp received from elsewhere into account, so later local stamps follow it.
    pub fn observe(&mut self, remote: &Hlc, now_ms: u64) {
        let wall = self.last.wall_ms.max(remote.wall_ms).max(now_ms);
        let counter = match (wall == self.last.wall_ms, wall == remote.wall_ms) {
            (true, true) => self.last.counter.max(remote.counter) + 1,
            (true, false) => self.last.counter + 1,
            (false, true) => remote.counter + 1,
            (false, false) => 0,
        };
        self.last = Hlc {
            wall_ms: wall,
            counter,
            node: self.last.node,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn text_form_round_trips_and_sorts_like_the_stamp() {
        let a = Hlc {
            wall_ms: 1_729_903_800_000,
            counter: 2,
            node: node(1),
        };
        let b = Hlc {
            wall_ms: 1_729_903_800_000,
            counter: 10,
            node: node(0),
        };
        assert_eq!(a.to_string().parse::<Hlc>().unwrap(), a);
        assert!(a < b);
        assert!(a.to_string() < b.to_string());
    }

    #[test]
    fn rejects_malformed_text() {
        assert!("".parse::<Hlc>().is_err());
        assert!("12-34-56".parse::<Hlc>().is_err());
        assert!("zzzzzzzzzzzzz-00000000-00000000000000000000000000000001"
            .parse::<Hlc>()
            .is_err());
    }

    #[test]
    fn never_goes_backwards_when_the_wall_clock_does() {
        let mut c = Clock::new(Hlc::zero(node(1)));
        let a = c.tick(5_000);
        let b = c.tick(1_000); // the tablet's clock was set back
        assert!(b > a);
        assert_eq!(b.wall_ms, 5_000);
    }

    #[test]
    fn moves_past_what_it_observes() {
        let mut c = Clock::new(Hlc::zero(node(1)));
        let remote = Hlc {
            wall_ms: 9_000,
            counter: 7,
            node: node(2),
        };
        c.observe(&remote, 1_000);
        assert!(c.tick(1_000) > remote);
    }
}
