//! HTTP/1.1 connections on `hyper`'s client: one kept-alive connection per session role
//! (requests, event streams), opened from a chosen loopback source address so that many
//! sessions do not run out of ephemeral ports.

use std::io;
use std::net::{IpAddr, SocketAddr};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpSocket, TcpStream};

/// Largest non-streamed body accepted.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// The status line and headers of a response.
#[derive(Debug)]
pub struct Head {
    pub status: u16,
    headers: hyper::HeaderMap,
}

impl Head {
    /// The first value of a header (any case), when it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether the body is an event stream.
    pub fn is_event_stream(&self) -> bool {
        self.header("content-type")
            .is_some_and(|t| t.starts_with("text/event-stream"))
    }
}

/// One HTTP/1.1 connection; hyper drives it on a task of its own.
pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

/// Opens a connection to `addr`, from `source` when given (a loopback alias such as 127.0.0.2).
/// `buffer` is the largest read buffer hyper may grow to.
pub async fn connect(addr: SocketAddr, source: Option<IpAddr>, buffer: usize) -> io::Result<Conn> {
    let stream = match source {
        Some(ip) => {
            let socket = if ip.is_ipv4() {
                TcpSocket::new_v4()?
            } else {
                TcpSocket::new_v6()?
            };
            socket.set_reuseaddr(true)?;
            socket.bind(SocketAddr::new(ip, 0))?;
            socket.connect(addr).await?
        }
        None => TcpStream::connect(addr).await?,
    };
    stream.set_nodelay(true)?;
    let (sender, connection) = http1::Builder::new()
        .max_buf_size(buffer.max(8192))
        .handshake(TokioIo::new(stream))
        .await
        .map_err(io_error)?;
    // Ends when the connection closes; its errors surface on the requests.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(Conn {
        sender,
        host: addr.to_string(),
    })
}

fn io_error(e: hyper::Error) -> io::Error {
    if e.is_closed() || e.is_incomplete_message() {
        io::Error::new(io::ErrorKind::UnexpectedEof, e)
    } else {
        io::Error::other(e)
    }
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

impl Conn {
    /// Whether another request may follow on this connection.
    pub fn reusable(&self) -> bool {
        !self.sender.is_closed()
    }

    /// Sends one request; its response's head, and the body to read as it arrives.
    pub async fn open(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> io::Result<(Head, Body)> {
        let method = Method::from_bytes(method.as_bytes()).map_err(|e| invalid(e.to_string()))?;
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, &self.host);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = Full::new(Bytes::copy_from_slice(body.unwrap_or_default()));
        let request = request.body(body).map_err(|e| invalid(e.to_string()))?;
        self.sender.ready().await.map_err(io_error)?;
        let response = self.sender.send_request(request).await.map_err(io_error)?;
        let (parts, body) = response.into_parts();
        let head = Head {
            status: parts.status.as_u16(),
            headers: parts.headers,
        };
        Ok((head, Body(body)))
    }

    /// Sends a request and reads the whole response.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> io::Result<(Head, Vec<u8>)> {
        let (head, body) = self.open(method, path, headers, body).await?;
        Ok((head, body.read_to_end().await?))
    }
}

/// A response body, read as it arrives.
pub struct Body(Incoming);

impl Body {
    /// Appends the next bytes of the body to `out`; `false` once the body has ended.
    pub async fn next_into(&mut self, out: &mut Vec<u8>) -> io::Result<bool> {
        loop {
            match self.0.frame().await {
                None => return Ok(false),
                Some(Err(e)) => return Err(io_error(e)),
                Some(Ok(frame)) => {
                    // Trailers carry no bytes: read on.
                    if let Ok(data) = frame.into_data() {
                        out.extend_from_slice(&data);
                        return Ok(true);
                    }
                }
            }
        }
    }

    /// Reads the rest of the body.
    pub async fn read_to_end(mut self) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        while self.next_into(&mut out).await? {
            if out.len() > MAX_BODY {
                return Err(invalid("body too large"));
            }
        }
        Ok(out)
    }
}
