//! The connector: resolve a host (or take the policy's override), check every
//! address against the policy, and connect to exactly an address that was
//! checked, so a second DNS answer (rebinding) never reaches the socket.
//! https goes through rustls.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use wasmtime_wasi::runtime::AbortOnDropJoinHandle;
use wasmtime_wasi_http::Error;

use isobox_egress::{Allowed, EgressPolicy};

/// A byte stream to the upstream: plain TCP or TLS over it.
trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Stream for T {}

/// An HTTP/1.1 connection ready for one request. The task driving its I/O
/// stops when this (and the response body holding it) is dropped.
pub(crate) struct Connection {
    pub sender: SendRequest<super::send::WireBody>,
    pub driver: AbortOnDropJoinHandle<()>,
}

/// Why a connection could not be made; `Denied` carries the guest's message.
pub(crate) enum ConnectError {
    Denied(String),
    Failed(Error),
}

/// Resolves `url`'s host, checks every address, connects to a checked one.
pub(crate) async fn connect(
    policy: &EgressPolicy,
    allowed: &Allowed,
    url: &url::Url,
    tls: Option<Arc<rustls::ClientConfig>>,
    timeout: Duration,
) -> Result<Connection, ConnectError> {
    let port = url
        .port_or_known_default()
        .ok_or(ConnectError::Failed(Error::HttpRequestUriInvalid))?;
    let host = url.host().ok_or(ConnectError::Failed(Error::HttpRequestUriInvalid))?;
    let addresses = resolve(policy, &host, port, timeout).await?;
    policy
        .check_addresses(allowed, &addresses)
        .map_err(|denied| ConnectError::Denied(denied.to_string()))?;

    let tcp = connect_any(&addresses, port, timeout).await?;
    let _ = tcp.set_nodelay(true);
    let stream: Box<dyn Stream> = match tls {
        None => Box::new(tcp),
        Some(config) => {
            let name = match &host {
                url::Host::Domain(domain) => rustls::pki_types::ServerName::try_from(domain.to_string())
                    .map_err(|_| ConnectError::Failed(Error::TlsProtocolError))?,
                url::Host::Ipv4(ip) => rustls::pki_types::ServerName::IpAddress(IpAddr::V4(*ip).into()),
                url::Host::Ipv6(ip) => rustls::pki_types::ServerName::IpAddress(IpAddr::V6(*ip).into()),
            };
            let connector = tokio_rustls::TlsConnector::from(config);
            let handshake = tokio::time::timeout(timeout, connector.connect(name, tcp)).await;
            match handshake {
                Err(_) => return Err(ConnectError::Failed(Error::ConnectionTimeout)),
                Ok(Err(error)) => return Err(ConnectError::Failed(tls_error(&error))),
                Ok(Ok(stream)) => Box::new(stream),
            }
        }
    };
    let handshake = hyper::client::conn::http1::Builder::new().handshake(TokioIo::new(stream));
    let (sender, connection) = match tokio::time::timeout(timeout, handshake).await {
        Err(_) => return Err(ConnectError::Failed(Error::ConnectionTimeout)),
        Ok(Err(error)) => return Err(ConnectError::Failed(Error::Hyper(error))),
        Ok(Ok(pair)) => pair,
    };
    let driver = wasmtime_wasi::runtime::spawn(async move {
        let _ = connection.await;
    });
    Ok(Connection { sender, driver })
}

/// The addresses of `host`: the literal, the policy's override, or DNS.
async fn resolve(
    policy: &EgressPolicy,
    host: &url::Host<&str>,
    port: u16,
    timeout: Duration,
) -> Result<Vec<IpAddr>, ConnectError> {
    let name = match host {
        url::Host::Ipv4(ip) => return Ok(vec![IpAddr::V4(*ip)]),
        url::Host::Ipv6(ip) => return Ok(vec![IpAddr::V6(*ip)]),
        url::Host::Domain(name) => *name,
    };
    if let Some(addresses) = policy.resolve_override(name, port) {
        return Ok(addresses.to_vec());
    }
    let lookup = tokio::net::lookup_host((name, port));
    let found = match tokio::time::timeout(timeout, lookup).await {
        Err(_) => return Err(ConnectError::Failed(Error::DnsTimeout)),
        Ok(Err(_)) => {
            return Err(ConnectError::Failed(Error::DnsError {
                rcode: None,
                info_code: None,
            }));
        }
        Ok(Ok(found)) => found,
    };
    let addresses: Vec<IpAddr> = found.map(|socket| socket.ip()).collect();
    if addresses.is_empty() {
        return Err(ConnectError::Failed(Error::DestinationNotFound));
    }
    Ok(addresses)
}

/// Connects to the first of `addresses` that answers.
async fn connect_any(addresses: &[IpAddr], port: u16, timeout: Duration) -> Result<TcpStream, ConnectError> {
    let mut last = Error::ConnectionRefused;
    for ip in addresses {
        match tokio::time::timeout(timeout, TcpStream::connect(SocketAddr::new(*ip, port))).await {
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(error)) if error.kind() == std::io::ErrorKind::ConnectionRefused => last = Error::ConnectionRefused,
            Ok(Err(_)) => last = Error::DestinationUnavailable,
            Err(_) => last = Error::ConnectionTimeout,
        }
    }
    Err(ConnectError::Failed(last))
}

fn tls_error(error: &std::io::Error) -> Error {
    let certificate = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|e| matches!(e, rustls::Error::InvalidCertificate(_)));
    if certificate {
        Error::TlsCertificateError
    } else {
        Error::TlsProtocolError
    }
}

/// The TLS client settings of a policy: webpki's roots (unless turned off)
/// plus the policy's own.
pub(crate) fn tls_config(policy: &EgressPolicy) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    if policy.use_builtin_roots() {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    for certificate in policy.root_certificates() {
        roots
            .add(certificate.clone())
            .map_err(|e| format!("a root certificate of the egress policy is not usable: {e}"))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up failed: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
