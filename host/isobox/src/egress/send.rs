//! One request of the guest, from the moment it reaches the host: the filter,
//! the policy, credentials, the connection, redirects (each one decided
//! again as a new request) and the audit trail.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited};
use tokio::sync::OwnedSemaphorePermit;
use wasmtime_wasi_http::{Error, WasiBody};

use super::EgressRun;
use super::audit::{AuditDecision, EgressRecord};
use super::body::{AuditSlot, BodySlot, ResponseBody};
use super::connect::{ConnectError, connect};
use super::filter::{FilterVerdict, OutboundRequest};
use isobox_egress::Decision;

/// The guest's redirect mode travels in this request header (fetch.rs).
const REDIRECT_HEADER: &str = "isobox-redirect";
/// The guest marks a request whose body is a stream with this header
/// (fetch.rs): its bytes are sent as they come instead of gathered first.
const BODY_STREAM_HEADER: &str = "isobox-body-stream";

/// A request body on the wire: whole bytes, or the guest's stream.
pub(crate) type WireBody = UnsyncBoxBody<Bytes, Error>;

/// A streamed request body as it goes out: at most `cap` bytes (past that
/// the body fails and `over` is set, so the request fails as too large),
/// and how many went out so far (for the audit trail).
struct StreamedBody {
    body: Option<WasiBody>,
    cap: u64,
    sent: Arc<AtomicU64>,
    over: Arc<AtomicBool>,
}
/// Response headers the host adds for the guest's `response.url` and
/// `response.redirected`; the same names from an upstream are removed.
pub(super) const URL_HEADER: &str = "isobox-url";
pub(super) const REDIRECTED_HEADER: &str = "isobox-redirected";

#[derive(Clone, Copy, PartialEq, Eq)]
enum RedirectMode {
    Follow,
    Error,
    Manual,
}

/// What one hop produced.
enum Hop {
    Response(http::Response<WasiBody>),
    /// A redirect to follow: the response head, already audited.
    Redirect {
        status: StatusCode,
        location: String,
    },
}

/// The guest-visible text of a refusal, sent as `internal-error` (the only
/// wasi:http error that carries a message).
fn refused(message: impl Into<String>) -> Error {
    Error::InternalError(Some(message.into()))
}

impl EgressRun {
    /// Sends `request`, or answers it from the run's cassette when one is
    /// played back (no network, no policy: the operator chose the
    /// recording); a recording cassette keeps the response.
    pub(crate) async fn send(
        self: Arc<Self>,
        request: http::Request<WasiBody>,
    ) -> Result<http::Response<WasiBody>, Error> {
        let Some(cassette) = self.cassette.get().cloned() else {
            return self.send_live(request).await;
        };
        let (method, url) = (request.method().to_string(), request.uri().to_string());
        if let Some(found) = cassette.play(&method, &url) {
            return match found {
                Some(recorded) => crate::journal::replayed(Some(recorded)).await,
                None => {
                    let mut message = format!(
                        "fetch {method} {url}: not in the egress cassette (it holds {} recorded requests)",
                        cassette.len()
                    );
                    crate::text::truncate(&mut message, 1024, "...");
                    Err(refused(message))
                }
            };
        }
        let (recorded, response) = crate::journal::read_whole(self.send_live(request).await).await;
        cassette.keep(method, url, recorded);
        response
    }

    /// Sends `request` through the filter and the policy; follows redirects.
    pub(crate) async fn send_live(
        self: Arc<Self>,
        request: http::Request<WasiBody>,
    ) -> Result<http::Response<WasiBody>, Error> {
        let limits = self.limits();
        let (parts, body) = request.into_parts();
        let mut headers = parts.headers;
        let mode = match headers.remove(REDIRECT_HEADER).as_ref().map(HeaderValue::as_bytes) {
            Some(b"error") => RedirectMode::Error,
            Some(b"manual") => RedirectMode::Manual,
            _ => RedirectMode::Follow,
        };
        // The guest's Host header is wasi:http's; the connector sets its own.
        headers.remove(header::HOST);
        let url = url::Url::parse(&parts.uri.to_string()).map_err(|_| Error::HttpRequestUriInvalid)?;
        let header_bytes: usize = headers.iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum();
        if header_bytes as u64 > limits.max_header_bytes {
            return Err(Error::HttpRequestHeaderSectionSize(u32::try_from(header_bytes).ok()));
        }
        let body_streamed = headers.remove(BODY_STREAM_HEADER).is_some();
        let (body, mut streamed) = if body_streamed {
            let streamed = StreamedBody {
                body: Some(body),
                cap: limits.max_request_body_bytes,
                sent: Arc::new(AtomicU64::new(0)),
                over: Arc::new(AtomicBool::new(false)),
            };
            (Bytes::new(), Some(streamed))
        } else {
            match Limited::new(body, limits.max_request_body_bytes as usize)
                .collect()
                .await
            {
                Ok(collected) => (collected.to_bytes(), None),
                Err(_) => return Err(Error::HttpRequestBodySize(Some(limits.max_request_body_bytes))),
            }
        };
        let mut request = OutboundRequest {
            method: parts.method,
            url,
            headers,
            body,
            body_streamed,
        };
        let mut permit = self.acquire_slot().await;
        let mut redirected = false;
        let mut hops: u32 = 0;
        loop {
            let visible_url = request.url.clone();
            match self
                .clone()
                .hop(request.clone(), redirected, mode, &mut permit, streamed.as_mut())
                .await?
            {
                Hop::Response(mut response) => {
                    let headers = response.headers_mut();
                    if let Ok(value) = HeaderValue::from_str(visible_url.as_str()) {
                        headers.insert(URL_HEADER, value);
                    }
                    if redirected {
                        headers.insert(REDIRECTED_HEADER, HeaderValue::from_static("1"));
                    }
                    return Ok(response);
                }
                Hop::Redirect { status, location } => {
                    if mode == RedirectMode::Error {
                        return Err(refused(
                            "the response is a redirect and the request's redirect mode is 'error'",
                        ));
                    }
                    hops += 1;
                    if hops > limits.max_redirects {
                        return Err(refused(format!(
                            "more than {} redirects (the egress policy's limit)",
                            limits.max_redirects
                        )));
                    }
                    let next = request
                        .url
                        .join(&location)
                        .map_err(|_| refused("a redirect's Location is not a valid URL"))?;
                    redirect(&mut request, status, next);
                    if request.body_streamed {
                        return Err(refused(format!(
                            "the response is a redirect ({}) that would send the request body again, \
                             and a stream body can be sent only once",
                            status.as_u16()
                        )));
                    }
                    redirected = true;
                }
            }
        }
    }

    /// One request on the wire (or not): filter, policy, credentials,
    /// connection, response head.
    async fn hop(
        self: Arc<Self>,
        request: OutboundRequest,
        redirect: bool,
        mode: RedirectMode,
        permit: &mut Option<OwnedSemaphorePermit>,
        streamed: Option<&mut StreamedBody>,
    ) -> Result<Hop, Error> {
        let started = Instant::now();
        let limits = self.limits();
        let mut record = EgressRecord {
            method: request.method.to_string(),
            url: redact(&request.url),
            decision: AuditDecision::Denied,
            reason: None,
            rule: None,
            status: None,
            request_bytes: request.body.len() as u64,
            response_bytes: 0,
            duration_us: 0,
            redirect,
            error: None,
        };
        if self.requests.fetch_add(1, Ordering::Relaxed) >= limits.max_requests {
            let reason = format!(
                "blocked by the egress policy: the run may make at most {} requests",
                limits.max_requests
            );
            record.reason = Some(reason.clone());
            self.audit.push(record);
            return Err(refused(reason));
        }
        let Some(egress) = self.egress.clone() else {
            let reason = "blocked by the egress policy: this run has no network access \
                          (grant it with an egress policy or --allow-net)"
                .to_owned();
            record.reason = Some(reason.clone());
            self.audit.push(record);
            return Err(refused(reason));
        };

        // The filter first: what it lets through, the policy then checks.
        let mut request = request;
        if let Some(filter) = egress.filter() {
            match filter.filter(request).await {
                FilterVerdict::Continue(next) => {
                    request = next;
                    record.url = redact(&request.url);
                    record.method = request.method.to_string();
                }
                FilterVerdict::Block(reason) => {
                    let reason = format!("blocked by the egress filter: {}", bounded(&reason));
                    record.reason = Some(reason.clone());
                    self.audit.push(record);
                    return Err(refused(reason));
                }
                FilterVerdict::Respond(response) => {
                    record.decision = AuditDecision::Responded;
                    record.reason = Some("answered by the egress filter".into());
                    return Ok(self.direct(record, response, started));
                }
            }
        }
        if !matches!(request.url.scheme(), "http" | "https") {
            let reason = format!(
                "blocked by the egress policy: only http and https may leave (not {}:)",
                request.url.scheme()
            );
            record.reason = Some(reason.clone());
            self.audit.push(record);
            return Err(refused(reason));
        }

        let policy = egress.policy();
        let allowed = match policy.decide(&request.method, &request.url) {
            Decision::Deny(denied) => {
                let reason = denied.to_string();
                record.reason = Some(reason.clone());
                record.rule = denied.rule().map(ToString::to_string);
                self.audit.push(record);
                return Err(refused(reason));
            }
            Decision::Respond { rule, response } => {
                record.decision = AuditDecision::Responded;
                record.rule = Some(rule.to_string());
                record.reason = Some("answered by a direct response of the egress policy".into());
                let mut answer = http::Response::new(response.body().clone());
                *answer.status_mut() = response.status();
                *answer.headers_mut() = response.headers().clone();
                return Ok(self.direct(record, answer, started));
            }
            Decision::Allow(allowed) => allowed,
        };
        record.decision = AuditDecision::Allowed;
        record.rule = Some(allowed.rule().to_string());

        // Credentials go on a copy: the guest's request never holds them.
        let mut url = request.url.clone();
        let mut headers = request.headers.clone();
        let _applied = policy.apply_credentials(&request.method, &mut url, &mut headers);

        let timeout = limits.request_timeout;
        let deadline = started + timeout;
        let tls = if url.scheme() == "https" {
            match egress.tls() {
                Ok(config) => Some(config),
                Err(message) => {
                    record.error = Some(message.clone());
                    self.audit.push(record);
                    return Err(Error::InternalError(Some(message)));
                }
            }
        } else {
            None
        };
        let mut connection = match connect(policy, &allowed, &url, tls, timeout).await {
            Ok(connection) => connection,
            Err(ConnectError::Denied(reason)) => {
                record.decision = AuditDecision::Denied;
                record.reason = Some(reason.clone());
                self.audit.push(record);
                return Err(refused(reason));
            }
            Err(ConnectError::Failed(error)) => {
                record.error = Some(describe(&error));
                record.duration_us = micros(started.elapsed());
                self.audit.push(record);
                return Err(error);
            }
        };

        let (wire_body, sent, over) = match streamed {
            Some(streamed) if request.body_streamed => {
                let Some(body) = streamed.body.take() else {
                    let reason = "a stream request body can be sent only once".to_owned();
                    record.reason = Some(reason.clone());
                    self.audit.push(record);
                    return Err(refused(reason));
                };
                (
                    stream_body(body, streamed.cap, streamed.sent.clone(), streamed.over.clone()),
                    Some(streamed.sent.clone()),
                    Some(streamed.over.clone()),
                )
            }
            _ => (whole_body(request.body.clone()), None, None),
        };
        let length = (!request.body_streamed).then_some(request.body.len());
        let wire = match wire_request(&request.method, &url, headers, wire_body, length) {
            Ok(wire) => wire,
            Err(error) => {
                record.error = Some(describe(&error));
                self.audit.push(record);
                return Err(error);
            }
        };
        let remaining = deadline.saturating_duration_since(Instant::now());
        let response = match tokio::time::timeout(remaining, connection.sender.send_request(wire)).await {
            Err(_) => Err(Error::HttpResponseTimeout),
            Ok(Err(_)) if over.as_ref().is_some_and(|over| over.load(Ordering::Relaxed)) => {
                Err(Error::HttpRequestBodySize(Some(limits.max_request_body_bytes)))
            }
            Ok(Err(error)) => Err(Error::Hyper(error)),
            Ok(Ok(response)) => Ok(response),
        };
        if let Some(sent) = &sent {
            record.request_bytes = sent.load(Ordering::Relaxed);
        }
        let mut response = match response {
            Ok(response) => response,
            Err(error) => {
                record.error = Some(describe(&error));
                record.duration_us = micros(started.elapsed());
                self.audit.push(record);
                return Err(error);
            }
        };
        let status = response.status();
        record.status = Some(status.as_u16());
        let header_bytes: usize = response
            .headers()
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len() + 4)
            .sum();
        if header_bytes as u64 > limits.max_header_bytes {
            record.error = Some("the response headers are larger than the policy allows".into());
            self.audit.push(record);
            return Err(Error::HttpResponseHeaderSectionSize(u32::try_from(header_bytes).ok()));
        }
        if status.is_redirection()
            && mode != RedirectMode::Manual
            && let Some(location) = response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok())
        {
            let location = location.to_owned();
            record.duration_us = micros(started.elapsed());
            self.audit.push(record);
            return Ok(Hop::Redirect { status, location });
        }
        strip_internal(response.headers_mut());
        let index = self.audit.push(record);
        let slot = BodySlot::new(permit.take(), connection.driver, self.audit.clone(), index);
        self.track(&slot);
        let response = response.map(|inner| {
            ResponseBody {
                inner,
                limit: limits.max_response_body_bytes,
                received: 0,
                deadline: Box::pin(tokio::time::sleep_until(deadline.into())),
                audit: AuditSlot {
                    log: self.audit.clone(),
                    index,
                    started,
                },
                done: false,
                slot,
                max_concurrent: self.max_concurrent,
            }
            .boxed_unsync()
        });
        Ok(Hop::Response(response))
    }

    /// A response the host made itself (policy or filter), audited.
    fn direct(&self, mut record: EgressRecord, response: http::Response<Bytes>, started: Instant) -> Hop {
        let (mut parts, body) = response.into_parts();
        strip_internal(&mut parts.headers);
        record.status = Some(parts.status.as_u16());
        record.response_bytes = body.len() as u64;
        record.duration_us = micros(started.elapsed());
        self.audit.push(record);
        let body = Full::new(body).map_err(|never| match never {}).boxed_unsync();
        Hop::Response(http::Response::from_parts(parts, body))
    }
}

/// Changes `request` into the request a redirect asks for (fetch's rules).
fn redirect(request: &mut OutboundRequest, status: StatusCode, next: url::Url) {
    let to_get = status == StatusCode::SEE_OTHER && request.method != Method::HEAD
        || matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND) && request.method == Method::POST;
    if to_get {
        request.method = Method::GET;
        request.body = Bytes::new();
        request.body_streamed = false;
        for name in [
            header::CONTENT_TYPE,
            header::CONTENT_LENGTH,
            header::CONTENT_ENCODING,
            header::CONTENT_LANGUAGE,
            header::CONTENT_LOCATION,
        ] {
            request.headers.remove(name);
        }
    }
    if next.origin() != request.url.origin() {
        // What the guest set for one origin does not go to another.
        for name in [header::AUTHORIZATION, header::COOKIE, header::PROXY_AUTHORIZATION] {
            request.headers.remove(name);
        }
    }
    request.url = next;
}

/// Whole bytes as a wire body.
fn whole_body(bytes: Bytes) -> WireBody {
    Full::new(bytes).map_err(|never| match never {}).boxed_unsync()
}

/// The guest's stream as a wire body: counted as it goes, failing past
/// `cap` bytes (with `over` set).
fn stream_body(body: WasiBody, cap: u64, sent: Arc<AtomicU64>, over: Arc<AtomicBool>) -> WireBody {
    let counted = body.map_frame(move |frame| {
        if let Some(data) = frame.data_ref() {
            let total = sent.fetch_add(data.len() as u64, Ordering::Relaxed) + data.len() as u64;
            if total > cap {
                over.store(true, Ordering::Relaxed);
            }
        }
        frame
    });
    Limited::new(counted, usize::try_from(cap).unwrap_or(usize::MAX))
        .map_err(move |error| match error.downcast::<Error>() {
            Ok(error) => *error,
            Err(_) => Error::HttpRequestBodySize(Some(cap)),
        })
        .boxed_unsync()
}

/// The request as it goes on the wire: origin-form target, Host header;
/// `length` is the body's size when it is known (a streamed body goes out
/// chunked).
fn wire_request(
    method: &Method,
    url: &url::Url,
    mut headers: HeaderMap,
    body: WireBody,
    length: Option<usize>,
) -> Result<http::Request<WireBody>, Error> {
    let mut target = url.path().to_owned();
    if let Some(query) = url.query() {
        target.push('?');
        target.push_str(query);
    }
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    headers.insert(
        header::HOST,
        HeaderValue::from_str(&host).map_err(|_| Error::HttpRequestUriInvalid)?,
    );
    if let Some(length) = length
        && (length > 0 || !matches!(*method, Method::GET | Method::HEAD))
    {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    let mut request = http::Request::builder()
        .method(method.clone())
        .uri(target)
        .body(body)
        .map_err(|_| Error::HttpRequestUriInvalid)?;
    *request.headers_mut() = headers;
    Ok(request)
}

/// Removes the headers only the host may set on a response.
fn strip_internal(headers: &mut HeaderMap) {
    headers.remove(URL_HEADER);
    headers.remove(REDIRECTED_HEADER);
}

/// The URL for the audit trail: no user name or password.
fn redact(url: &url::Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    bounded(url.as_str())
}

/// At most 2 KiB of a guest- or filter-given text.
fn bounded(text: &str) -> String {
    let mut text = text.to_owned();
    crate::text::truncate(&mut text, 2048, "...");
    text
}

fn micros(duration: Duration) -> u64 {
    duration.as_micros().try_into().unwrap_or(u64::MAX)
}

/// A short description of a failed exchange, for the audit trail.
fn describe(error: &Error) -> String {
    match error {
        Error::Hyper(e) if e.is_timeout() => "timed out".into(),
        Error::Hyper(_) => "the upstream connection failed".into(),
        Error::ConnectionRefused => "connection refused".into(),
        Error::ConnectionTimeout => "connecting timed out".into(),
        Error::HttpResponseTimeout => "the response timed out".into(),
        Error::DnsTimeout => "DNS timed out".into(),
        Error::DnsError { .. } | Error::DestinationNotFound => "the host name could not be resolved".into(),
        Error::TlsCertificateError => "the TLS certificate is not trusted".into(),
        Error::TlsProtocolError => "the TLS handshake failed".into(),
        other => format!("{other:?}").chars().take(200).collect(),
    }
}
