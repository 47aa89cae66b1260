//! Where a webhook may point. A hook must not turn the server into a way
//! to reach its own network: targets on loopback, private (RFC 1918,
//! `fc00::/7`), link-local, unspecified and similar addresses are refused
//! when the hook is registered, and again at every delivery on the
//! addresses the name resolves to then (a name can change what it points
//! at), unless private targets are allowed by configuration.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::client::legacy::connect::dns::Name;

use url::{Host, Url};

/// Longest URL a hook may have.
pub const MAX_URL_CHARS: usize = 2000;
/// How long registration waits for a name to resolve before accepting it
/// unchecked (delivery checks it again anyway).
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    #[error("url is not a valid absolute URL")]
    Invalid,
    #[error("url must use http or https")]
    Scheme,
    #[error("url is longer than {MAX_URL_CHARS} characters")]
    TooLong,
    #[error("url points at a loopback, private or link-local address")]
    Private,
}

/// True for addresses a webhook may not reach by default.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => private_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return private_v4(v4);
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00 // fc00::/7 unique local
                || (first & 0xffc0) == 0xfe80 // fe80::/10 link-local
                || v6.is_multicast()
        }
    }
}

fn private_v4(v4: Ipv4Addr) -> bool {
    let [a, b, ..] = v4.octets();
    v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || a == 0 // 0.0.0.0/8 "this network"
        || (a == 100 && (64..128).contains(&b)) // 100.64/10 shared address space
}

/// Checks the form of a hook URL (absolute http(s), bounded length).
pub fn parse(url: &str) -> Result<Url, TargetError> {
    if url.chars().count() > MAX_URL_CHARS {
        return Err(TargetError::TooLong);
    }
    let parsed = Url::parse(url).map_err(|_| TargetError::Invalid)?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(TargetError::Scheme);
    }
    if parsed.host().is_none() {
        return Err(TargetError::Invalid);
    }
    Ok(parsed)
}

/// What a URL's host says without resolving: `Some(true)` for a private
/// literal address or a `localhost` name, `Some(false)` for a public
/// literal, None for a name that must be resolved.
pub fn literal_is_private(url: &Url) -> Option<bool> {
    match url.host()? {
        Host::Ipv4(v4) => Some(is_private(IpAddr::V4(v4))),
        Host::Ipv6(v6) => Some(is_private(IpAddr::V6(v6))),
        Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            (name == "localhost" || name.ends_with(".localhost")).then_some(true)
        }
    }
}

/// The check at registration: the form, then (unless private targets are
/// allowed) the literal address or every address the name resolves to now.
/// A name that does not resolve in time is accepted; delivery checks again.
pub async fn check(url: &str, allow_private: bool) -> Result<Url, TargetError> {
    let parsed = parse(url)?;
    if allow_private {
        return Ok(parsed);
    }
    match literal_is_private(&parsed) {
        Some(true) => return Err(TargetError::Private),
        Some(false) => return Ok(parsed),
        None => {}
    }
    let host = parsed.host_str().unwrap_or_default().to_string();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let lookup = tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((host, port))).await;
    if let Ok(Ok(addrs)) = lookup {
        let addrs: Vec<SocketAddr> = addrs.collect();
        if addrs.iter().any(|a| is_private(a.ip())) {
            return Err(TargetError::Private);
        }
    }
    Ok(parsed)
}

/// The resolver deliveries use: the system's, with private addresses
/// removed unless allowed, so that the address connected to is the one
/// checked (no window for a name to change in between).
#[derive(Clone)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

/// Why a name gave no address to connect to.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("{0} does not resolve: {1}")]
    Lookup(String, std::io::Error),
    #[error("{0} resolves to no address a webhook may reach")]
    NoneAllowed(String),
}

impl tower::Service<Name> for GuardedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = ResolveError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, ResolveError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ResolveError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| ResolveError::Lookup(host.clone(), e))?
                .filter(|a| allow_private || !is_private(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(ResolveError::NoneAllowed(host));
            }
            Ok(addrs.into_iter())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip} should be private");
        }
        for ip in [
            "8.8.8.8",
            "172.32.0.1",
            "192.169.0.1",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            assert!(!is_private(ip.parse().unwrap()), "{ip} should be public");
        }
    }

    #[test]
    fn url_forms() {
        assert_eq!(
            parse("ftp://example.com/").unwrap_err(),
            TargetError::Scheme
        );
        assert_eq!(parse("not a url").unwrap_err(), TargetError::Invalid);
        assert_eq!(parse("/relative").unwrap_err(), TargetError::Invalid);
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_CHARS));
        assert_eq!(parse(&long).unwrap_err(), TargetError::TooLong);
        assert!(parse("https://example.com/hook?x=1").is_ok());
    }

    #[tokio::test]
    async fn registration_refuses_private_targets_unless_allowed() {
        for url in [
            "http://127.0.0.1:9000/",
            "http://[::1]/",
            "http://localhost:8080/x",
            "http://api.localhost/",
            "http://10.0.0.5/",
            "http://[fd00::1]/",
            "http://169.254.169.254/latest/meta-data",
            "http://0.0.0.0/",
        ] {
            assert_eq!(
                check(url, false).await.unwrap_err(),
                TargetError::Private,
                "{url}"
            );
            assert!(check(url, true).await.is_ok(), "{url} allowed by the flag");
        }
        assert!(check("https://93.184.215.14/hook", false).await.is_ok());
    }
}
