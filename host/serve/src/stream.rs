//! Server-sent events for `POST /v1/run` with `Accept: text/event-stream`:
//! `event: log` for each console line as the code writes it, then one
//! `event: outcome` with the same JSON a plain call answers with.
//!
//! The run itself is polled by the response body, so a client that goes
//! away cancels it, exactly as for a plain call.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame};
use tokio::sync::mpsc;

use isobox::console::LogEntry;

/// The run to poll: it resolves to the outcome's JSON.
pub(crate) type RunFuture = Pin<Box<dyn Future<Output = Bytes> + Send>>;

/// The body of an event stream: log lines while `run` goes on, then the
/// outcome.
pub(crate) struct EventStream {
    logs: mpsc::UnboundedReceiver<LogEntry>,
    run: Option<RunFuture>,
    outcome: Option<Bytes>,
}

impl EventStream {
    /// A stream of the lines `logs` receives while `run` goes on.
    ///
    /// The channel holds at most what the run's log caps keep.
    pub fn new(logs: mpsc::UnboundedReceiver<LogEntry>, run: RunFuture) -> EventStream {
        EventStream {
            logs,
            run: Some(run),
            outcome: None,
        }
    }
}

/// One event: `event: NAME`, one `data:` line (compact JSON has no line
/// breaks), a blank line.
fn event(name: &str, json: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(json.len() + name.len() + 16);
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\ndata: ");
    out.extend_from_slice(json);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

fn log_event(entry: &LogEntry) -> Bytes {
    // A LogEntry is a level and a string: it always serialises.
    let json = serde_json::to_vec(entry).unwrap_or_default();
    event("log", &json)
}

impl Body for EventStream {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if let Some(run) = this.run.as_mut() {
            if let Poll::Ready(Some(entry)) = this.logs.poll_recv(cx) {
                return Poll::Ready(Some(Ok(Frame::data(log_event(&entry)))));
            }
            match run.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(outcome) => {
                    this.run = None;
                    this.outcome = Some(outcome);
                }
            }
        }
        // The run is over: every line it wrote is in the channel already.
        if let Ok(entry) = this.logs.try_recv() {
            return Poll::Ready(Some(Ok(Frame::data(log_event(&entry)))));
        }
        Poll::Ready(this.outcome.take().map(|json| Ok(Frame::data(event("outcome", &json)))))
    }

    fn is_end_stream(&self) -> bool {
        self.run.is_none() && self.outcome.is_none() && self.logs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt as _;
    use isobox::console::LogLevel;

    #[tokio::test]
    async fn lines_come_before_the_outcome_in_order() {
        let (send, receive) = mpsc::unbounded_channel();
        let run: RunFuture = Box::pin(async move {
            for message in ["a", "b\nc"] {
                let _ = send.send(LogEntry {
                    level: LogLevel::Log,
                    message: message.into(),
                });
                tokio::task::yield_now().await;
            }
            Bytes::from_static(br#"{"ok":true}"#)
        });
        let body = EventStream::new(receive, run)
            .collect()
            .await
            .expect("infallible")
            .to_bytes();
        assert_eq!(
            String::from_utf8_lossy(&body),
            "event: log\ndata: {\"level\":\"log\",\"message\":\"a\"}\n\n\
             event: log\ndata: {\"level\":\"log\",\"message\":\"b\\nc\"}\n\n\
             event: outcome\ndata: {\"ok\":true}\n\n"
        );
    }
}
