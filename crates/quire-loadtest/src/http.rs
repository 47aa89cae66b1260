//! A minimal HTTP/1.1 client for the few REST calls the generator makes
//! (register, login, create document, share, /metrics). One request per
//! connection (`Connection: close`), loopback only; keeps the load generator
//! free of an HTTP client dependency.

use std::collections::HashMap;
use std::net::SocketAddr;

use anyhow::{Context, bail};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Clone)]
pub struct Http {
    pub addr: SocketAddr,
    host: String,
}

pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> anyhow::Result<Value> {
        serde_json::from_slice(&self.body).context("response is not JSON")
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Http {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            host: addr.to_string(),
        }
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<Reply> {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAccept: */*\r\n",
            self.host
        );
        if let Some(t) = token {
            req.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        if !body.is_empty() || method != "GET" {
            req.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        req.push_str("\r\n");
        req.push_str(&body);
        let mut stream = TcpStream::connect(self.addr)
            .await
            .with_context(|| format!("connecting to {}", self.addr))?;
        stream.set_nodelay(true)?;
        stream.write_all(req.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        parse_response(&raw).with_context(|| format!("{method} {path}"))
    }

    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> anyhow::Result<Reply> {
        self.request("POST", path, token, Some(body)).await
    }

    /// Scrapes `/metrics` into name{labels} → value (counters, gauges,
    /// histogram `_sum`/`_count`).
    pub async fn metrics(&self) -> anyhow::Result<Metrics> {
        let reply = self.request("GET", "/metrics", None, None).await?;
        if reply.status != 200 {
            bail!("/metrics answered {}", reply.status);
        }
        Ok(Metrics::parse(&reply.text()))
    }
}

fn parse_response(raw: &[u8]) -> anyhow::Result<Reply> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no HTTP header end")?;
    let head = std::str::from_utf8(&raw[..split]).context("header not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("bad status line {status_line:?}"))?;
    let chunked = lines.any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let rest = &raw[split + 4..];
    let body = if chunked {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Ok(Reply { status, body })
}

fn dechunk(mut data: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .context("truncated chunk")?;
        let size_txt = std::str::from_utf8(&data[..eol])?;
        let size = usize::from_str_radix(size_txt.split(';').next().unwrap_or("").trim(), 16)?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size + 2 {
            bail!("truncated chunk body");
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// A scrape of the Prometheus text format.
#[derive(Default, Clone, Debug)]
pub struct Metrics(pub HashMap<String, f64>);

impl Metrics {
    pub fn parse(text: &str) -> Self {
        let mut m = HashMap::new();
        for line in text.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if let Some((name, value)) = line.rsplit_once(' ')
                && let Ok(v) = value.trim().parse::<f64>()
            {
                m.insert(name.trim().to_string(), v);
            }
        }
        Self(m)
    }

    /// A series without labels, or the sum over all label sets of `name`.
    pub fn get(&self, name: &str) -> f64 {
        if let Some(v) = self.0.get(name) {
            return *v;
        }
        let prefix = format!("{name}{{");
        self.0
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(_, v)| *v)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_chunked_responses() {
        let r = parse_response(b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n{}").unwrap();
        assert_eq!((r.status, r.body.as_slice()), (201, &b"{}"[..]));
        let r = parse_response(
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.body, b"abcde");
    }

    #[test]
    fn parses_metrics() {
        let m = Metrics::parse(
            "# TYPE x counter\nquire_updates_in_total 42\nquire_rejected_messages_total{reason=\"a\"} 1\nquire_rejected_messages_total{reason=\"b\"} 2\n",
        );
        assert_eq!(m.get("quire_updates_in_total"), 42.0);
        assert_eq!(m.get("quire_rejected_messages_total"), 3.0);
        assert_eq!(m.get("missing"), 0.0);
    }
}
