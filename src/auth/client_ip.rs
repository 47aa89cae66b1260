//! The address of the client behind a request.
//!
//! The TCP peer is the client unless it is one of the configured trusted
//! proxies (`TRUSTED_PROXIES`). Only then is `X-Forwarded-For` read, from the
//! right: each proxy appends the address it received the request from, so
//! the right-most entry that is not itself a trusted proxy is the first one
//! nobody we trust could have forged. Without the header, `X-Real-IP` is
//! used. Anyone else's forwarding headers are ignored, so a client cannot
//! pick a fresh address for every request.
//!
//! Free of HTTP types: the caller passes the peer address and the header
//! values (`api::extract::ClientAddr` does, for every request).

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) compare as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// True when `ip` is one of the trusted proxies.
pub fn is_trusted(trusted: &[IpNet], ip: IpAddr) -> bool {
    let ip = canonical(ip);
    trusted.iter().any(|net| net.contains(&ip))
}

/// The forwarding headers of a request, as text.
#[derive(Clone, Copy, Debug, Default)]
pub struct Forwarded<'a> {
    /// Every `X-Forwarded-For` header value, in order.
    pub forwarded_for: &'a [&'a str],
    /// The `X-Real-IP` header value.
    pub real_ip: Option<&'a str>,
}

/// The client address given the TCP peer, the request's forwarding
/// headers and the trusted proxies.
pub fn resolve(peer: Option<IpAddr>, headers: Forwarded<'_>, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = canonical(peer?);
    if !is_trusted(trusted, peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .forwarded_for
        .iter()
        .flat_map(|v| v.split(','))
        .filter_map(parse_entry)
        .collect();
    if !forwarded.is_empty() {
        // Right to left: the first untrusted hop is the client; when every
        // hop is a trusted proxy, the left-most is as far as we can see.
        return Some(
            forwarded
                .iter()
                .rev()
                .copied()
                .find(|ip| !is_trusted(trusted, *ip))
                .unwrap_or(forwarded[0]),
        );
    }
    headers.real_ip.and_then(parse_entry).or(Some(peer))
}

/// One `X-Forwarded-For` entry: an address, possibly with a port
/// (`1.2.3.4:5678`, `[::1]:80`). Anything else is skipped.
fn parse_entry(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    s.parse::<SocketAddr>().ok().map(|a| canonical(a.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_net;

    fn headers<'a>(xff: &'a [&'a str]) -> Forwarded<'a> {
        Forwarded {
            forwarded_for: xff,
            real_ip: None,
        }
    }

    #[test]
    fn forwarded_for_only_from_trusted_peers() {
        let trusted = vec![parse_net("10.0.0.0/8").unwrap(), parse_net("::1").unwrap()];
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        let h = headers(&["1.1.1.1"]);
        assert_eq!(resolve(Some(peer), h, &trusted), Some(peer));

        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        // Client-supplied left part is spoofable; the right-most untrusted wins.
        let h = headers(&["6.6.6.6, 198.51.100.7", "10.9.9.9"]);
        assert_eq!(
            resolve(Some(proxy), h, &trusted),
            Some("198.51.100.7".parse().unwrap())
        );
        // All hops trusted: the left-most.
        let h = headers(&["10.0.0.5, 10.0.0.6"]);
        assert_eq!(
            resolve(Some(proxy), h, &trusted),
            Some("10.0.0.5".parse().unwrap())
        );
        // Garbage entries are skipped; ports and mapped addresses are understood.
        let h = headers(&["nonsense, [2001:db8::1]:443"]);
        assert_eq!(
            resolve(Some("::ffff:10.0.0.1".parse().unwrap()), h, &trusted),
            Some("2001:db8::1".parse().unwrap())
        );
        let h = Forwarded {
            forwarded_for: &[],
            real_ip: Some("192.0.2.1"),
        };
        assert_eq!(
            resolve(Some("::1".parse().unwrap()), h, &trusted),
            Some("192.0.2.1".parse().unwrap())
        );
        assert_eq!(
            resolve(Some(proxy), Forwarded::default(), &trusted),
            Some(proxy)
        );
        assert_eq!(resolve(None, h, &trusted), None);
    }
}
