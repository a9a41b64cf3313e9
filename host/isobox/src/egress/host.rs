//! Requests the host itself makes under an egress policy, with no sandbox:
//! an npm registry's metadata and tarballs, for instance. They go through
//! exactly what a run's `fetch()` goes through (the filter, the rules,
//! credentials bound to their origins, the address checks, the limits, TLS
//! and the audit trail), so an operator pins the hosts a host-side client
//! may reach with the same policy file.

use std::sync::Arc;

use bytes::Bytes;
use http::HeaderMap;
use http_body_util::{BodyExt, Full, Limited};
use wasmtime_wasi_http::WasiBody;

use super::{Egress, EgressRecord, EgressRun};

/// A series of host requests counted together against the policy's limits
/// (`max_requests`, `max_concurrent`), with one audit trail.
///
/// ```no_run
/// # async fn f() -> Result<(), isobox::egress::HostRequestError> {
/// use isobox::egress::{Egress, EgressPolicy};
///
/// let egress = Egress::new(EgressPolicy::allow_net(["registry.npmjs.org"]).unwrap());
/// let session = egress.host_session();
/// let response = session.get("https://registry.npmjs.org/zod", &[("accept", "application/json")]).await?;
/// assert_eq!(response.status, 200);
/// # Ok(()) }
/// ```
pub struct HostSession {
    run: Arc<EgressRun>,
}

/// A response to a host request, its body read whole.
#[derive(Debug)]
pub struct HostResponse {
    /// The final status (redirects are followed as the policy allows).
    pub status: u16,
    /// The response's headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

/// Why a host request got no response: the policy refused it, the network
/// failed, or the body was larger than the policy allows. The message is
/// the one a run's fetch would see, and never holds a credential.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct HostRequestError {
    message: String,
    refused: bool,
}

impl HostRequestError {
    /// Whether the egress policy (or filter) refused the request, rather
    /// than the network or the server failing it.
    pub fn is_refused(&self) -> bool {
        self.refused
    }
}

impl Egress {
    /// A session for requests the host makes itself under this policy.
    pub fn host_session(&self) -> HostSession {
        HostSession {
            run: EgressRun::new(Some(self.clone())),
        }
    }
}

impl HostSession {
    /// Sends a GET with these headers, follows redirects the policy allows,
    /// and reads the body up to the policy's `max_response_body_bytes`.
    ///
    /// # Errors
    /// A [`HostRequestError`] saying why no response came.
    pub async fn get(&self, url: &str, headers: &[(&str, &str)]) -> Result<HostResponse, HostRequestError> {
        self.send(&http::Method::GET, url, headers, Bytes::new()).await
    }

    /// Sends a request with any method, these headers and this body (empty
    /// for none), through the same checks as [`get`](Self::get) and a run's
    /// `fetch()`: the policy decides the method, URL and every redirect;
    /// the body counts against `max_request_body_bytes`, the headers
    /// against `max_header_bytes`; credentials are added for their
    /// origins. A 307 or 308 redirect sends the body again, a 301, 302 or
    /// 303 after a POST turns into a GET without it, as `fetch()` does.
    /// Header names starting with `isobox-` are the filter's own and are
    /// refused.
    ///
    /// # Errors
    /// A [`HostRequestError`] saying why no response came.
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), isobox::egress::HostRequestError> {
    /// use isobox::egress::{Egress, EgressPolicy};
    ///
    /// let egress = Egress::new(EgressPolicy::allow_net(["api.example.com"]).unwrap());
    /// let response = egress
    ///     .host_session()
    ///     .send(
    ///         &isobox::http::Method::POST,
    ///         "https://api.example.com/items",
    ///         &[("content-type", "application/json")],
    ///         isobox::bytes::Bytes::from_static(br#"{"name":"x"}"#),
    ///     )
    ///     .await?;
    /// assert_eq!(response.status, 201);
    /// # Ok(()) }
    /// ```
    pub async fn send(
        &self,
        method: &http::Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<HostResponse, HostRequestError> {
        let mut request = http::Request::builder().method(method.clone()).uri(url);
        for (name, value) in headers {
            if name
                .as_bytes()
                .get(..7)
                .is_some_and(|head| head.eq_ignore_ascii_case(b"isobox-"))
            {
                return Err(HostRequestError {
                    message: format!(
                        "header {:?} is reserved for the egress filter",
                        crate::text::bounded((*name).to_owned())
                    ),
                    refused: true,
                });
            }
            request = request.header(*name, *value);
        }
        let body: WasiBody = Full::new(body).map_err(|never| match never {}).boxed_unsync();
        let request = request.body(body).map_err(|_| HostRequestError {
            message: format!(
                "{:?} is not a valid request (URL or header)",
                crate::text::bounded(url.to_owned())
            ),
            refused: false,
        })?;
        let limit = self.run.limits().max_response_body_bytes;
        let response = self.run.clone().send(request).await.map_err(|error| {
            let refused =
                matches!(&error, wasmtime_wasi_http::Error::InternalError(Some(m)) if m.contains("blocked by"));
            HostRequestError {
                message: describe(&error),
                refused,
            }
        })?;
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, usize::try_from(limit).unwrap_or(usize::MAX))
            .collect()
            .await
            .map_err(|_| HostRequestError {
                message: format!(
                    "the response body of {} failed or is larger than the egress policy allows ({limit} bytes)",
                    crate::text::bounded(url.to_owned())
                ),
                refused: false,
            })?
            .to_bytes();
        let mut headers = parts.headers;
        headers.remove(super::send::URL_HEADER);
        headers.remove(super::send::REDIRECTED_HEADER);
        Ok(HostResponse {
            status: parts.status.as_u16(),
            headers,
            body,
        })
    }

    /// What the session sent, was refused or was answered, in order.
    pub fn records(&self) -> Vec<EgressRecord> {
        self.run.records()
    }
}

fn describe(error: &wasmtime_wasi_http::Error) -> String {
    match error {
        wasmtime_wasi_http::Error::InternalError(Some(message)) => message.clone(),
        other => format!("the request failed: {other:?}"),
    }
}
