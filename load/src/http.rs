//! A small HTTP/1.1 client over a tokio `TcpStream`: keep-alive requests, bodies by
//! `Content-Length` or chunked, and incremental reading for event streams.

use std::io;
use std::net::{IpAddr, SocketAddr};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};

/// Largest response head or chunk-size line accepted.
const MAX_LINE: usize = 16 * 1024;
/// Largest non-streamed body accepted.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// The status line and headers of a response.
#[derive(Debug)]
pub struct Head {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// The first value of a header (name in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the body is an event stream.
    pub fn is_event_stream(&self) -> bool {
        self.header("content-type")
            .is_some_and(|t| t.starts_with("text/event-stream"))
    }

    fn body_mode(&self) -> BodyMode {
        if self
            .header("transfer-encoding")
            .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
        {
            BodyMode::Chunked { left: 0 }
        } else if let Some(n) = self
            .header("content-length")
            .and_then(|v| v.trim().parse().ok())
        {
            BodyMode::Length(n)
        } else if matches!(self.status, 204 | 304) || self.status < 200 {
            BodyMode::Length(0)
        } else {
            BodyMode::UntilClose
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum BodyMode {
    Length(usize),
    /// `left`: bytes remaining in the current chunk (0: a size line comes next).
    Chunked {
        left: usize,
    },
    UntilClose,
    Done,
}

/// One HTTP/1.1 connection.
pub struct Conn {
    io: BufReader<TcpStream>,
    host: String,
    /// Whether the server may reuse the connection after the current response.
    reusable: bool,
}

/// Opens a connection to `addr`, from `source` when given (a loopback alias such as 127.0.0.2).
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
    Ok(Conn {
        io: BufReader::with_capacity(buffer, stream),
        host: addr.to_string(),
        reusable: true,
    })
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

impl Conn {
    /// Whether another request may follow on this connection.
    pub fn reusable(&self) -> bool {
        self.reusable
    }

    /// Writes one request.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> io::Result<()> {
        let mut out = Vec::with_capacity(256 + body.map_or(0, <[u8]>::len));
        out.extend_from_slice(
            format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host).as_bytes(),
        );
        for (name, value) in headers {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        if let Some(body) = body {
            out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
            out.extend_from_slice(body);
        } else {
            out.extend_from_slice(b"\r\n");
        }
        self.io.get_mut().write_all(&out).await
    }

    async fn line(&mut self) -> io::Result<String> {
        let mut line = Vec::new();
        let n = (&mut self.io)
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut line)
            .await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        if line.last() != Some(&b'\n') {
            return Err(invalid("line too long"));
        }
        let text = String::from_utf8(line).map_err(|_| invalid("line is not UTF-8"))?;
        Ok(text.trim_end_matches(['\r', '\n']).to_string())
    }

    /// Reads a response's status line and headers; the body follows with [`Body`].
    pub async fn read_head(&mut self) -> io::Result<Head> {
        let status_line = self.line().await?;
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or_default();
        let status = parts
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid(format!("bad status line {status_line:?}")))?;
        let mut headers = Vec::new();
        loop {
            let line = self.line().await?;
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
            }
        }
        let head = Head { status, headers };
        let close = head
            .header("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"));
        self.reusable = version == "HTTP/1.1" && !close;
        Ok(head)
    }

    /// The body of the response whose head was just read.
    pub fn body(&mut self, head: &Head) -> Body<'_> {
        let mode = head.body_mode();
        if matches!(mode, BodyMode::UntilClose) {
            self.reusable = false;
        }
        Body { conn: self, mode }
    }

    /// Sends a request and reads the whole response.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> io::Result<(Head, Vec<u8>)> {
        self.send(method, path, headers, body).await?;
        let head = self.read_head().await?;
        let body = self.body(&head).read_to_end().await?;
        Ok((head, body))
    }
}

/// A response body, read as it arrives.
pub struct Body<'a> {
    conn: &'a mut Conn,
    mode: BodyMode,
}

impl Body<'_> {
    /// Appends the next bytes of the body to `out`; `false` once the body has ended.
    pub async fn next_into(&mut self, out: &mut Vec<u8>) -> io::Result<bool> {
        loop {
            match self.mode {
                BodyMode::Done | BodyMode::Length(0) => {
                    self.mode = BodyMode::Done;
                    return Ok(false);
                }
                BodyMode::Length(left) => {
                    let n = self.take_available(left, out).await?;
                    self.mode = BodyMode::Length(left - n);
                    return Ok(true);
                }
                BodyMode::Chunked { left: 0 } => {
                    let line = self.conn.line().await?;
                    let size = line.split(';').next().unwrap_or_default().trim();
                    let size = usize::from_str_radix(size, 16)
                        .map_err(|_| invalid(format!("bad chunk size {line:?}")))?;
                    if size == 0 {
                        while !self.conn.line().await?.is_empty() {}
                        self.mode = BodyMode::Done;
                        return Ok(false);
                    }
                    self.mode = BodyMode::Chunked { left: size };
                }
                BodyMode::Chunked { left } => {
                    let n = self.take_available(left, out).await?;
                    if n == left {
                        if !self.conn.line().await?.is_empty() {
                            return Err(invalid("chunk not followed by CRLF"));
                        }
                        self.mode = BodyMode::Chunked { left: 0 };
                    } else {
                        self.mode = BodyMode::Chunked { left: left - n };
                    }
                    return Ok(true);
                }
                BodyMode::UntilClose => {
                    let available = self.conn.io.fill_buf().await?;
                    if available.is_empty() {
                        self.mode = BodyMode::Done;
                        return Ok(false);
                    }
                    let n = available.len();
                    out.extend_from_slice(available);
                    self.conn.io.consume(n);
                    return Ok(true);
                }
            }
        }
    }

    /// Moves up to `limit` buffered (or newly read) bytes into `out`.
    async fn take_available(&mut self, limit: usize, out: &mut Vec<u8>) -> io::Result<usize> {
        let available = self.conn.io.fill_buf().await?;
        if available.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "body cut short",
            ));
        }
        let n = available.len().min(limit);
        out.extend_from_slice(&available[..n]);
        self.conn.io.consume(n);
        Ok(n)
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
