//! A small authoritative DNS responder on loopback UDP that publishes an export's mail records:
//! the SPF TXT records at each domain, DKIM TXT records at `selector1._domainkey.<domain>` and
//! DMARC TXT records at `_dmarc.<domain>`, as ScubaGear read them. Other names are NXDOMAIN.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use hickory_resolver::proto::op::{Message, MessageType, ResponseCode};
use hickory_resolver::proto::rr::rdata::TXT;
use hickory_resolver::proto::rr::{RData, Record, RecordType};
use serde_json::Value;

/// TXT records by lower-case name (no trailing dot).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailZone {
    records: HashMap<String, Vec<String>>,
}

impl MailZone {
    /// The records of an export's `spf_records`, `dkim_records` and `dmarc_records`.
    pub fn from_export(export: &Value) -> MailZone {
        let mut zone = MailZone::default();
        for (key, prefix) in [
            ("spf_records", ""),
            ("dkim_records", "selector1._domainkey."),
            ("dmarc_records", "_dmarc."),
        ] {
            for entry in items(export.get(key)) {
                let Some(domain) = entry.get("domain").and_then(Value::as_str) else {
                    continue;
                };
                let name = format!("{prefix}{}", domain.trim_end_matches('.')).to_lowercase();
                let texts = items(entry.get("rdata"))
                    .into_iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string);
                let list = zone.records.entry(name).or_default();
                for text in texts {
                    if !list.contains(&text) {
                        list.push(text);
                    }
                }
            }
        }
        zone
    }

    /// The TXT strings at `name`.
    pub fn txt(&self, name: &str) -> Option<&[String]> {
        self.records
            .get(&name.trim_end_matches('.').to_lowercase())
            .map(Vec::as_slice)
    }
}

fn items(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().filter(|x| !x.is_null()).collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![other],
    }
}

/// A running responder; it stops when dropped.
pub struct DnsServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl DnsServer {
    /// Serves `zone` on 127.0.0.1 (an ephemeral UDP port) from a thread of its own.
    pub fn start(zone: MailZone) -> std::io::Result<DnsServer> {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
        socket.set_nonblocking(true)?;
        let addr = socket.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()?;
        std::thread::Builder::new()
            .name("standin-dns".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(socket) = tokio::net::UdpSocket::from_std(socket) else {
                        return;
                    };
                    tokio::select! {
                        _ = serve(socket, Arc::new(zone)) => {}
                        _ = stopped => {}
                    }
                });
            })?;
        Ok(DnsServer {
            addr,
            stop: Some(stop),
        })
    }

    /// The UDP address to use as the nameserver (`AETHER365_DNS_SERVER`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn serve(socket: tokio::net::UdpSocket, zone: Arc<MailZone>) {
    let mut buf = vec![0u8; 4096];
    loop {
        let Ok((len, peer)) = socket.recv_from(&mut buf).await else {
            return;
        };
        let Ok(request) = Message::from_vec(&buf[..len]) else {
            continue;
        };
        let Some(query) = request.queries().first().cloned() else {
            continue;
        };
        let qname = query.name().to_ascii();
        let mut response = Message::new();
        response
            .set_id(request.id())
            .set_message_type(MessageType::Response)
            .set_op_code(request.op_code())
            .set_recursion_desired(request.recursion_desired())
            .set_recursion_available(true)
            .set_authoritative(true)
            .add_query(query.clone());
        match zone.txt(&qname) {
            Some(texts) if query.query_type() == RecordType::TXT => {
                for text in texts {
                    // A TXT character-string holds at most 255 bytes: long keys are split.
                    let chunks: Vec<String> = text
                        .as_bytes()
                        .chunks(255)
                        .map(|c| String::from_utf8_lossy(c).into_owned())
                        .collect();
                    response.add_answer(Record::from_rdata(
                        query.name().clone(),
                        60,
                        RData::TXT(TXT::new(chunks)),
                    ));
                }
            }
            // The name exists without this type: NOERROR, no data.
            Some(_) => {}
            None => {
                response.set_response_code(ResponseCode::NXDomain);
            }
        }
        if let Ok(bytes) = response.to_vec() {
            let _ = socket.send_to(&bytes, peer).await;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn zone_from_export_records() {
        let zone = MailZone::from_export(&json!({
            "spf_records": [{"domain": "Contoso.com", "rdata": ["v=spf1 -all"]}],
            "dkim_records": {"domain": "contoso.com", "rdata": ["v=DKIM1; k=rsa; p=AB"]},
            "dmarc_records": [{"domain": "contoso.com", "rdata": ["v=DMARC1;p=reject"]}]
        }));
        assert_eq!(
            zone.txt("contoso.com."),
            Some(&["v=spf1 -all".to_string()][..])
        );
        assert_eq!(
            zone.txt("selector1._domainkey.contoso.com"),
            Some(&["v=DKIM1; k=rsa; p=AB".to_string()][..])
        );
        assert_eq!(
            zone.txt("_dmarc.contoso.com"),
            Some(&["v=DMARC1;p=reject".to_string()][..])
        );
        assert!(zone.txt("other.example").is_none());
    }
}
