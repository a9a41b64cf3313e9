//! The programmable filter: Rust code of the embedder that sees every request
//! before the policy does, like a gateway worker, and may let it through
//! (rewritten or not), block it, or answer it itself.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;

/// A request on its way out, as the guest made it (no credential of the
/// policy is in it yet). A filter may change any part of it.
#[derive(Debug, Clone)]
pub struct OutboundRequest {
    /// The method.
    pub method: http::Method,
    /// The absolute URL, normalised by the WHATWG parser.
    pub url: url::Url,
    /// The headers the guest set.
    pub headers: http::HeaderMap,
    /// The whole request body (empty when there is none, and when the body
    /// is a stream).
    pub body: Bytes,
    /// The body is a stream (a `ReadableStream` with `duplex: 'half'` in
    /// the guest): its bytes go out as the guest writes them, counted
    /// against the policy's `max_request_body_bytes`, and a filter does not
    /// see them (`body` is empty). A redirect that would send the body again
    /// (307, 308) fails, as the Fetch standard says.
    pub body_streamed: bool,
}

/// What a filter decided about one request.
#[derive(Debug)]
pub enum FilterVerdict {
    /// Let the request go on to the policy, as it now is.
    Continue(OutboundRequest),
    /// Refuse it; the guest's fetch rejects with this reason (keep it free
    /// of secrets: the guest reads it).
    Block(String),
    /// Answer it without any network.
    Respond(http::Response<Bytes>),
}

/// The boxed future a filter returns.
pub type FilterFuture<'a> = Pin<Box<dyn Future<Output = FilterVerdict> + Send + 'a>>;

/// Inspects, rewrites, blocks or answers each outgoing request of a run.
/// Runs before the policy: a rewritten request is checked against the policy
/// as it leaves the filter, so a filter cannot open what the policy denies.
///
/// Any `Fn(OutboundRequest) -> FilterVerdict` closure is a filter:
///
/// ```
/// use isobox::egress::{Egress, EgressPolicy, FilterVerdict};
///
/// let egress = Egress::new(EgressPolicy::default()).with_filter(|request: isobox::egress::OutboundRequest| {
///     if request.url.path().starts_with("/admin") {
///         FilterVerdict::Block("admin paths are off limits".into())
///     } else {
///         FilterVerdict::Continue(request)
///     }
/// });
/// # let _ = egress;
/// ```
///
/// For async work (a lookup, a cache) implement the trait:
///
/// ```
/// use isobox::egress::{EgressFilter, FilterFuture, FilterVerdict, OutboundRequest};
///
/// struct AddTraceHeader;
///
/// impl EgressFilter for AddTraceHeader {
///     fn filter(&self, mut request: OutboundRequest) -> FilterFuture<'_> {
///         Box::pin(async move {
///             request.headers.insert("x-trace", http::HeaderValue::from_static("isobox"));
///             FilterVerdict::Continue(request)
///         })
///     }
/// }
/// ```
pub trait EgressFilter: Send + Sync + 'static {
    /// Decides about one request.
    fn filter(&self, request: OutboundRequest) -> FilterFuture<'_>;
}

impl<F> EgressFilter for F
where
    F: Fn(OutboundRequest) -> FilterVerdict + Send + Sync + 'static,
{
    fn filter(&self, request: OutboundRequest) -> FilterFuture<'_> {
        let verdict = self(request);
        Box::pin(std::future::ready(verdict))
    }
}
