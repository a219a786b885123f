//! A weak link: a TCP proxy on loopback between a device and the server that adds delay,
//! limits bandwidth, and cuts connections (all at once, on demand or after a number of bytes),
//! as a tablet's link behaves in the field. The kernel's
//! netem would do this below TCP; it is not available on the machines that run these.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// What the link does to the bytes it carries.
#[derive(Debug, Clone, Copy, Default)]
pub struct Link {
    /// One way; a round trip takes twice this.
    pub delay: Duration,
    /// Each direction's capacity, shared by every connection; `None` is unlimited.
    pub bytes_per_second: Option<u64>,
}

impl Link {
    /// A mobile link at the edge of coverage: 300 ms round trip, 1 Mbit/s.
    pub const FIELD: Link = Link {
        delay: Duration::from_millis(150),
        bytes_per_second: Some(125_000),
    };
}

/// A direction on the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// Device → server: requests, pushes.
    Up = 0,
    /// Server → device: replies, pulls, bootstrap pages.
    Down = 1,
}

/// Bytes are timed onto the wire in pieces this size, so a throttled reply trickles in as it
/// would rather than arriving in one burst at the end.
const PIECE: usize = 4096;

pub struct Proxy {
    /// `http://` and the proxy's address: where the device is pointed.
    pub url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

struct Shared {
    link: Link,
    /// Each change drops every open connection.
    cuts: watch::Sender<u64>,
    /// While set, the link is down: connections are dropped as they arrive.
    down: AtomicBool,
    /// Bytes delivered, each way.
    carried: [AtomicU64; 2],
    /// When a way's `carried` reaches this, every connection is cut once.
    cut_at: [AtomicU64; 2],
    /// When each direction's wire is next free (device → server, server → device).
    wire: [Mutex<Instant>; 2],
}

impl Proxy {
    /// A clear link to `target` (`http://host:port` or `host:port`).
    pub async fn start(target: &str) -> Proxy {
        Proxy::start_with(target, Link::default()).await
    }

    pub async fn start_with(target: &str, link: Link) -> Proxy {
        let target = target.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy port");
        let url = format!("http://{}", listener.local_addr().expect("proxy address"));
        let shared = Arc::new(Shared {
            link,
            cuts: watch::Sender::new(0),
            down: AtomicBool::new(false),
            carried: [AtomicU64::new(0), AtomicU64::new(0)],
            cut_at: [AtomicU64::new(u64::MAX), AtomicU64::new(u64::MAX)],
            wire: [Mutex::new(Instant::now()), Mutex::new(Instant::now())],
        });
        let task = tokio::spawn(accept(listener, target, shared.clone()));
        Proxy { url, shared, task }
    }

    /// Takes the link down (every connection dropped, new ones refused) or brings it back.
    pub fn set_down(&self, down: bool) {
        self.shared.down.store(down, Ordering::SeqCst);
        if down {
            self.cut();
        }
    }

    /// Drops every connection open through the proxy; new ones go through.
    pub fn cut(&self) {
        self.shared.cut();
    }

    /// Bytes the link has delivered so far one way.
    pub fn carried(&self, way: Way) -> u64 {
        self.shared.carried[way as usize].load(Ordering::SeqCst)
    }

    /// Cuts every connection once the link has delivered `bytes` more one way, mid-transfer.
    pub fn cut_after(&self, way: Way, bytes: u64) {
        self.shared.cut_at[way as usize].store(self.carried(way) + bytes, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        self.cut();
    }
}

impl Shared {
    fn cut(&self) {
        self.cuts.send_modify(|n| *n += 1);
    }
}

async fn accept(listener: TcpListener, target: String, shared: Arc<Shared>) {
    while let Ok((inbound, _)) = listener.accept().await {
        if shared.down.load(Ordering::SeqCst) {
            continue; // dropped: the link is down
        }
        let target = target.clone();
        let shared = shared.clone();
        let mut cut = shared.cuts.subscribe();
        tokio::spawn(async move {
            let Ok(outbound) = TcpStream::connect(&target).await else {
                return;
            };
            let _ = inbound.set_nodelay(true);
            let _ = outbound.set_nodelay(true);
            let (in_read, in_write) = inbound.into_split();
            let (out_read, out_write) = outbound.into_split();
            tokio::select! {
                _ = async {
                    tokio::join!(
                        carry(in_read, out_write, Way::Up, &shared),
                        carry(out_read, in_write, Way::Down, &shared),
                    )
                } => {}
                // Both ends dropped mid-transfer, whatever was in flight lost: the link is gone.
                _ = cut.changed() => {}
            }
        });
    }
}

/// One direction of one connection: what is read is delivered `delay` later, no faster than
/// the direction's wire allows.
async fn carry(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, way: Way, shared: &Shared) {
    let wire = way as usize;
    let (queue, mut queued) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let read = async move {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n @ 1..) = from.read(&mut buf).await {
            if queue
                .send((Instant::now() + shared.link.delay, buf[..n].to_vec()))
                .is_err()
            {
                break;
            }
        }
    };
    let write = async move {
        while let Some((due, bytes)) = queued.recv().await {
            tokio::time::sleep_until(due).await;
            for piece in bytes.chunks(PIECE) {
                if let Some(rate) = shared.link.bytes_per_second {
                    let free = {
                        let mut next = shared.wire[wire].lock().expect("wire");
                        let start = (*next).max(Instant::now());
                        *next = start + Duration::from_secs_f64(piece.len() as f64 / rate as f64);
                        *next
                    };
                    tokio::time::sleep_until(free).await;
                }
                if to.write_all(piece).await.is_err() {
                    return;
                }
                let carried = shared.carried[wire].fetch_add(piece.len() as u64, Ordering::SeqCst)
                    + piece.len() as u64;
                if carried >= shared.cut_at[wire].load(Ordering::SeqCst) {
                    shared.cut_at[wire].store(u64::MAX, Ordering::SeqCst);
                    shared.cut();
                    return;
                }
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(read, write);
}
