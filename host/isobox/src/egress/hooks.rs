//! wasmtime-wasi-http's hooks for a run: every outgoing request of the guest
//! goes to [`EgressRun::send`]; there is no other way out.

use std::sync::Arc;

use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use super::EgressRun;

/// The hooks one run's Store holds.
pub(crate) struct EgressHooks {
    pub run: Arc<EgressRun>,
    /// A journaled run's journal: its requests are recorded or replayed.
    pub journal: Option<crate::journal::JournalHandle>,
}

type IoFuture = Box<dyn Future<Output = Result<(), Error>> + Send>;

impl WasiHttpHooks for EgressHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _fut: IoFuture,
    ) -> Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), Error>> + Send> {
        let run = self.run.clone();
        if let Some(journal) = &self.journal {
            let sent = crate::journal::send_fetch(journal.clone(), run, request);
            return Box::new(async move { Ok((sent.await?, Box::new(async { Ok(()) }) as IoFuture)) });
        }
        if let Some(rule) = run.approval_rule(request.method(), &request.uri().to_string()) {
            // Only a journaled run can pause for a person: fail closed.
            let message = format!(
                "fetch {} {}: the egress policy's {rule} asks for approval, and this run cannot pause (it is not journaled)",
                request.method(),
                request.uri()
            );
            let mut message = message;
            crate::text::truncate(&mut message, 1024, "...");
            return Box::new(async move { Err(Error::InternalError(Some(message))) });
        }
        Box::new(async move {
            let response = run.send(request).await?;
            // The connection's I/O is driven by a task the response body
            // owns; nothing is left for the caller to drive.
            Ok((response, Box::new(async { Ok(()) }) as IoFuture))
        })
    }
}
