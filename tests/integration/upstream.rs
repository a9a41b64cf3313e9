//! A real HTTP/1.1 server on 127.0.0.1 (plain, or TLS with a certificate made
//! for the test), for egress tests and the fetch benchmark. It runs on its
//! own thread and runtime, so any test runtime can use it; it stops when the
//! [`Upstream`] is dropped.
//!
//! Routes:
//! - `/echo` and anything under `/echo/`: JSON `{method, path, headers, body}`
//!   of the request;
//! - `/redirect?to=URL&status=302`: a redirect;
//! - `/status?code=N`: an empty response with that status;
//! - `/bytes?n=N`: N bytes of `x`;
//! - `/slow?ms=N&key=K`: the head after N ms; with `key`, counts how many
//!   such requests were being answered at once ([`peak_in_flight`]);
//! - `/trickle?ms=N`: the head at once, then one byte every N ms, forever;
//! - `/headers?n=N`: N response headers of 100 bytes each;
//! - `/collect?key=K`: reads the request body frame by frame, keeping what
//!   arrived so far under K, and answers with all of it;
//! - `/seen?key=K`: what `/collect?key=K` has received so far, once it has
//!   received anything (or empty after 5 s);
//! - `/count?key=K`: counts the requests under K and answers with the count
//!   ([`count`]);
//! - anything else: 200 `hello`.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

type BoxBody = http_body_util::combinators::BoxBody<Bytes, Infallible>;

/// A running server; stops when dropped.
pub struct Upstream {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Upstream {
    /// A plain HTTP server.
    pub fn http() -> Upstream {
        Upstream::start(None)
    }

    /// An HTTPS server presenting `config`'s certificate.
    pub fn https(config: Arc<rustls::ServerConfig>) -> Upstream {
        Upstream::start(Some(config))
    }

    /// `http://127.0.0.1:PORT` (or https).
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    fn start(tls: Option<Arc<rustls::ServerConfig>>) -> Upstream {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
        std_listener.set_nonblocking(true).expect("non-blocking listener");
        let addr = std_listener.local_addr().expect("local address");
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("tokio listener");
                let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let acceptor = acceptor.clone();
                            tokio::spawn(async move {
                                let service = hyper::service::service_fn(route);
                                let builder = hyper::server::conn::http1::Builder::new();
                                match acceptor {
                                    None => {
                                        let _ = builder.serve_connection(TokioIo::new(stream), service).await;
                                    }
                                    Some(acceptor) => {
                                        if let Ok(stream) = acceptor.accept(stream).await {
                                            let _ = builder.serve_connection(TokioIo::new(stream), service).await;
                                        }
                                    }
                                }
                            });
                        }
                    }
                }
            });
        });
        Upstream {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn query(request: &Request<Incoming>) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn full(status: u16, body: impl Into<Bytes>) -> Response<BoxBody> {
    let mut response = Response::new(Full::new(body.into()).boxed());
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
    response
}

async fn route(request: Request<Incoming>) -> Result<Response<BoxBody>, Infallible> {
    let params = query(&request);
    let number = |name: &str| params.get(name).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let response = match request.uri().path() {
        path if path == "/echo" || path.starts_with("/echo/") => {
            let method = request.method().to_string();
            let path = request
                .uri()
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default();
            let mut headers = serde_json::Map::new();
            for (name, value) in request.headers() {
                headers.insert(
                    name.to_string(),
                    serde_json::Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned()),
                );
            }
            let body = request
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let json = serde_json::json!({
                "method": method,
                "path": path,
                "headers": headers,
                "body": String::from_utf8_lossy(&body),
            });
            let mut response = full(200, json.to_string());
            response
                .headers_mut()
                .insert("content-type", "application/json".parse().unwrap());
            response
        }
        "/redirect" => {
            let status = params.get("status").and_then(|s| s.parse().ok()).unwrap_or(302);
            let mut response = full(status, "");
            if let Some(to) = params.get("to") {
                response.headers_mut().insert("location", to.parse().unwrap());
            }
            response
        }
        "/count" => {
            let key = query(&request).get("key").cloned().unwrap_or_default();
            let mut counts = COUNTS.lock().unwrap();
            let count = counts.entry(key).or_insert(0);
            *count += 1;
            full(200, count.to_string())
        }
        "/status" => full(number("code") as u16, ""),
        "/bytes" => full(200, vec![b'x'; number("n") as usize]),
        "/slow" => {
            let key = params.get("key").cloned();
            if let Some(key) = &key {
                in_flight(key, 1);
            }
            tokio::time::sleep(Duration::from_millis(number("ms"))).await;
            if let Some(key) = &key {
                in_flight(key, -1);
            }
            full(200, "slow")
        }
        "/trickle" => {
            let every = Duration::from_millis(number("ms").max(1));
            let stream = futures_stream(every);
            Response::new(StreamBody::new(stream).boxed())
        }
        "/collect" => {
            let key = params.get("key").cloned().unwrap_or_default();
            let mut body = request.into_body();
            while let Some(Ok(frame)) = body.frame().await {
                if let Some(data) = frame.data_ref() {
                    COLLECTED
                        .lock()
                        .unwrap()
                        .entry(key.clone())
                        .or_default()
                        .extend_from_slice(data);
                }
            }
            let all = COLLECTED.lock().unwrap().get(&key).cloned().unwrap_or_default();
            full(200, all)
        }
        "/seen" => {
            let key = params.get("key").cloned().unwrap_or_default();
            let mut seen = Vec::new();
            for _ in 0..500 {
                seen = COLLECTED.lock().unwrap().get(&key).cloned().unwrap_or_default();
                if !seen.is_empty() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            full(200, seen)
        }
        "/headers" => {
            let mut response = full(200, "");
            for i in 0..number("n") {
                response.headers_mut().append(
                    hyper::header::HeaderName::from_bytes(format!("x-filler-{i}").as_bytes()).unwrap(),
                    "v".repeat(90).parse().unwrap(),
                );
            }
            response
        }
        _ => full(200, "hello"),
    };
    Ok(response)
}

/// `/slow` requests being answered per key: (now, peak).
static COUNTS: std::sync::Mutex<BTreeMap<String, u64>> = std::sync::Mutex::new(BTreeMap::new());

/// How many requests `/count?key=K` has answered.
pub fn count(key: &str) -> u64 {
    COUNTS.lock().unwrap().get(key).copied().unwrap_or(0)
}

static IN_FLIGHT: std::sync::Mutex<BTreeMap<String, (i64, i64)>> = std::sync::Mutex::new(BTreeMap::new());

/// The request body bytes `/collect?key=KEY` received so far, by key.
static COLLECTED: std::sync::Mutex<BTreeMap<String, Vec<u8>>> = std::sync::Mutex::new(BTreeMap::new());

fn in_flight(key: &str, change: i64) {
    let mut counts = IN_FLIGHT.lock().unwrap();
    let entry = counts.entry(key.to_owned()).or_default();
    entry.0 += change;
    entry.1 = entry.1.max(entry.0);
}

/// The most `/slow?key=KEY` requests the server was answering at once.
pub fn peak_in_flight(key: &str) -> i64 {
    IN_FLIGHT.lock().unwrap().get(key).map_or(0, |entry| entry.1)
}

/// One byte every `every`, forever.
fn futures_stream(every: Duration) -> impl futures_core::Stream<Item = Result<Frame<Bytes>, Infallible>> + Send {
    struct Trickle {
        sleep: std::pin::Pin<Box<tokio::time::Sleep>>,
        every: Duration,
    }
    impl futures_core::Stream for Trickle {
        type Item = Result<Frame<Bytes>, Infallible>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            use std::future::Future;
            match self.sleep.as_mut().poll(cx) {
                std::task::Poll::Pending => std::task::Poll::Pending,
                std::task::Poll::Ready(()) => {
                    let every = self.every;
                    self.sleep.as_mut().reset(tokio::time::Instant::now() + every);
                    std::task::Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"x")))))
                }
            }
        }
    }
    Trickle {
        sleep: Box::pin(tokio::time::sleep(every)),
        every,
    }
}

/// A certificate authority and a server certificate for `names` (DNS names
/// or IP addresses) signed by it, made now: (CA PEM, server TLS settings).
pub fn tls_for(names: &[&str]) -> (String, Arc<rustls::ServerConfig>) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "isobox test CA");
    let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
    let server_key = KeyPair::generate().expect("server key");
    let server_params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).expect("server params");
    let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
    let server = server_params
        .signed_by(&server_key, &issuer)
        .expect("server certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![server.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
        )
        .expect("server TLS config");
    (ca.pem(), Arc::new(config))
}
