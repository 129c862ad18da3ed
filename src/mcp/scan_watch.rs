//! Following one scan from a request: the scan's events, from whichever instance runs it,
//! straight off the cluster bus.

use std::sync::Arc;

use aether365_actors::Backend;
use aether365_actors::cluster::ClusterEvent;
use aether365_actors::scans::{ScanEvent, event_of};
use aether365_entities::scan;
use sea_orm::EntityTrait;
use tokio::sync::broadcast;

/// The events of one scan, from the moment it is created.
pub struct ScanWatch {
    rx: broadcast::Receiver<Arc<ClusterEvent>>,
    scan_id: i64,
    backend: Backend,
}

impl ScanWatch {
    /// Follows `scan_id`; events published after this call are received.
    pub fn start(backend: &Backend, scan_id: i64) -> ScanWatch {
        ScanWatch {
            rx: backend.bus.subscribe(),
            scan_id,
            backend: backend.clone(),
        }
    }

    /// The next event of the scan, or `None` when the bus closed. After a gap in the events
    /// (a lost listener, or this reader fell behind) the scan's stored state stands in.
    pub async fn next(&mut self) -> Option<ScanEvent> {
        loop {
            let gap = match self.rx.recv().await {
                Ok(event) => match &*event {
                    ClusterEvent::Scan(event) if event.scan_id == self.scan_id => {
                        return Some(event.clone());
                    }
                    ClusterEvent::Resync { .. } => true,
                    _ => false,
                },
                Err(broadcast::error::RecvError::Lagged(_)) => true,
                Err(broadcast::error::RecvError::Closed) => return None,
            };
            if gap {
                match scan::Entity::find_by_id(self.scan_id)
                    .one(&self.backend.db)
                    .await
                {
                    Ok(Some(row)) => return Some(event_of(&row)),
                    Ok(None) => return None,
                    Err(e) => tracing::warn!(scan = self.scan_id, "cannot re-read a scan: {e}"),
                }
            }
        }
    }
}
