//! `fetch()` in a journaled run. A live response is read whole (within the
//! policy's body limit) and recorded before the code sees it, so a paused
//! run holds every response it received, read or not; replayed responses
//! come from the journal with the same chunks, and nothing is sent.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use wasmtime_wasi_http::{Error, WasiBody};

use super::{Decision, Entry, FetchFailure, GateCall, GateKind, JournalHandle, RecordedHead, RecordedResponse};
use crate::egress::EgressRun;

type Sent = Pin<Box<dyn Future<Output = Result<http::Response<WasiBody>, Error>> + Send>>;

/// What the hook does with one request of a journaled run. Decided when the
/// guest sends it (its place in the journal), answered later.
pub(crate) fn send(journal: JournalHandle, run: Arc<EgressRun>, request: http::Request<WasiBody>) -> Sent {
    let method = request.method().to_string();
    let url = request.uri().to_string();
    let mut guard = journal.lock();
    if guard.stop.is_some() {
        return Box::pin(std::future::pending());
    }
    if guard.replaying() {
        let asked = format!("a fetch {method} {url}");
        return match guard.next() {
            Some(Entry::Fetch { id, method: m, url: u }) if m == method && u == url => {
                let recorded = guard.journal.responses.get(&id).cloned();
                drop(guard);
                replayed(recorded)
            }
            Some(Entry::Gate {
                gate,
                decision,
                executed,
            }) if matches!(&gate.kind, GateKind::Fetch { method: m, url: u, .. } if *m == method && *u == url) => {
                let GateKind::Fetch { id, .. } = gate.kind else {
                    return Box::pin(std::future::pending());
                };
                let live = guard.live_after_replay();
                match decision {
                    Some(Decision::Rejected { reason, .. }) => {
                        let mut message = format!("fetch {} was rejected by an approver", gate.describe());
                        if let Some(reason) = reason {
                            message.push_str(": ");
                            message.push_str(&reason);
                        }
                        crate::text::truncate(&mut message, 2048, "...");
                        Box::pin(std::future::ready(Err(Error::InternalError(Some(message)))))
                    }
                    Some(Decision::Approved { .. }) if executed => {
                        let recorded = guard.journal.responses.get(&id).cloned();
                        drop(guard);
                        replayed(recorded)
                    }
                    Some(Decision::Approved { .. }) if live => {
                        if let Some(Entry::Gate { executed, .. }) = guard.replayed_mut() {
                            *executed = true;
                        }
                        drop(guard);
                        Box::pin(record(journal, id, run, request))
                    }
                    None if live => {
                        guard.diverge(&format!("a decision on gate {}", gate.id), None);
                        Box::pin(std::future::pending())
                    }
                    _ => held(&mut guard, journal.clone()),
                }
            }
            other => {
                guard.diverge(&asked, other.as_ref());
                Box::pin(std::future::pending())
            }
        };
    }
    if guard.refuse_live(&format!("a fetch {method} {url}")) {
        return Box::pin(std::future::pending());
    }
    let id = guard.fetch_id();
    if let Some(rule) = run.approval_rule(request.method(), &url) {
        let gate = GateCall {
            id: guard.gate_id(),
            kind: GateKind::Fetch { id, method, url, rule },
        };
        guard.record(Entry::Gate {
            gate,
            decision: None,
            executed: false,
        });
        return held(&mut guard, journal.clone());
    }
    guard.record(Entry::Fetch { id, method, url });
    drop(guard);
    Box::pin(record(journal, id, run, request))
}

/// A request held at a gate: never answered; the gate counts as a wait
/// until the code drops it.
fn held(guard: &mut super::state::JournalState, journal: JournalHandle) -> Sent {
    guard.held += 1;
    let release = Release(journal);
    Box::pin(async move {
        let _release = release;
        std::future::pending().await
    })
}

struct Release(JournalHandle);

impl Drop for Release {
    fn drop(&mut self) {
        let mut journal = self.0.lock();
        journal.held = journal.held.saturating_sub(1);
    }
}

/// Sends `request` live and records what came back, whole.
async fn record(
    journal: JournalHandle,
    id: u32,
    run: Arc<EgressRun>,
    request: http::Request<WasiBody>,
) -> Result<http::Response<WasiBody>, Error> {
    let (recorded, response) = read_whole(run.send(request).await).await;
    let mut guard = journal.lock();
    if let Ok(head) = &recorded.result {
        let bytes: usize = head.chunks.iter().map(String::len).sum();
        guard.charge(bytes + 256);
    }
    guard.journal.responses.insert(id, recorded);
    response
}

/// Reads a response's body whole: what the journal keeps, and the same
/// response (its body from the chunks read) for the code.
pub(crate) async fn read_whole(
    sent: Result<http::Response<WasiBody>, Error>,
) -> (RecordedResponse, Result<http::Response<WasiBody>, Error>) {
    let response = match sent {
        Ok(response) => response,
        Err(error) => {
            let recorded = RecordedResponse {
                result: Err(failure(&error)),
            };
            return (recorded, Err(error));
        }
    };
    let (parts, mut body) = response.into_parts();
    let mut chunks = Vec::new();
    let mut error = None;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                if let Ok(data) = frame.into_data()
                    && !data.is_empty()
                {
                    chunks.push(data);
                }
            }
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    let head = RecordedHead {
        status: parts.status.as_u16(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| (name.to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect(),
        chunks: chunks.iter().map(|c| STANDARD.encode(c)).collect(),
        error: error.as_ref().map(failure),
    };
    let body = RecordedBody {
        chunks: chunks.into(),
        error,
    };
    let recorded = RecordedResponse { result: Ok(head) };
    (recorded, Ok(http::Response::from_parts(parts, body.boxed_unsync())))
}

/// A response from the journal; a request whose response was never
/// recorded (the code gave up on it) is never answered.
pub(crate) fn replayed(recorded: Option<RecordedResponse>) -> Sent {
    let Some(recorded) = recorded else {
        return Box::pin(std::future::pending());
    };
    let result = match recorded.result {
        Err(failure) => Err(error_of(&failure)),
        Ok(head) => {
            let mut response = http::Response::builder().status(head.status);
            for (name, value) in &head.headers {
                response = response.header(name.as_str(), value.as_str());
            }
            let body = RecordedBody {
                chunks: head
                    .chunks
                    .iter()
                    .map(|c| Bytes::from(STANDARD.decode(c).unwrap_or_default()))
                    .collect(),
                error: head.error.as_ref().map(error_of),
            };
            response
                .body(body.boxed_unsync())
                .map_err(|_| Error::InternalError(Some("isobox: a journaled response head is unusable".into())))
        }
    };
    Box::pin(std::future::ready(result))
}

/// A body of chunks already here, and perhaps an error after them.
struct RecordedBody {
    chunks: VecDeque<Bytes>,
    error: Option<Error>,
}

impl Body for RecordedBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        if let Some(chunk) = self.chunks.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        Poll::Ready(self.error.take().map(Err))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty() && self.error.is_none()
    }
}

/// An error as the journal keeps it.
fn failure(error: &Error) -> FetchFailure {
    let debug = format!("{error:?}");
    let name = debug
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or("InternalError")
        .to_owned();
    let detail = match error {
        Error::InternalError(message) => message.clone(),
        Error::HttpRequestBodySize(n) | Error::HttpResponseBodySize(n) => n.map(|n| n.to_string()),
        Error::HttpRequestHeaderSectionSize(n) | Error::HttpResponseHeaderSectionSize(n) => n.map(|n| n.to_string()),
        _ => None,
    };
    FetchFailure { code: name, detail }
}

/// The error a journaled failure stands for. Errors that carry details the
/// journal does not keep come back as a protocol error.
fn error_of(failure: &FetchFailure) -> Error {
    let number = || failure.detail.as_deref().and_then(|d| d.parse::<u64>().ok());
    let small = || number().and_then(|n| u32::try_from(n).ok());
    match failure.code.as_str() {
        "InternalError" => Error::InternalError(failure.detail.clone()),
        "HttpRequestBodySize" => Error::HttpRequestBodySize(number()),
        "HttpResponseBodySize" => Error::HttpResponseBodySize(number()),
        "HttpRequestHeaderSectionSize" => Error::HttpRequestHeaderSectionSize(small()),
        "HttpResponseHeaderSectionSize" => Error::HttpResponseHeaderSectionSize(small()),
        "DnsTimeout" => Error::DnsTimeout,
        "DestinationNotFound" => Error::DestinationNotFound,
        "DestinationUnavailable" => Error::DestinationUnavailable,
        "DestinationIpProhibited" => Error::DestinationIpProhibited,
        "DestinationIpUnroutable" => Error::DestinationIpUnroutable,
        "ConnectionRefused" => Error::ConnectionRefused,
        "ConnectionTerminated" => Error::ConnectionTerminated,
        "ConnectionTimeout" => Error::ConnectionTimeout,
        "ConnectionReadTimeout" => Error::ConnectionReadTimeout,
        "ConnectionWriteTimeout" => Error::ConnectionWriteTimeout,
        "ConnectionLimitReached" => Error::ConnectionLimitReached,
        "TlsProtocolError" => Error::TlsProtocolError,
        "TlsCertificateError" => Error::TlsCertificateError,
        "HttpRequestDenied" => Error::HttpRequestDenied,
        "HttpRequestUriInvalid" => Error::HttpRequestUriInvalid,
        "HttpResponseIncomplete" => Error::HttpResponseIncomplete,
        "HttpResponseTimeout" => Error::HttpResponseTimeout,
        "LoopDetected" => Error::LoopDetected,
        _ => Error::HttpProtocolError,
    }
}
