//! wasmtime-wasi-http's hooks for a run: every outgoing request of the guest
//! goes to [`EgressRun::send`]; there is no other way out.

use std::sync::Arc;

use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use super::EgressRun;

/// The hooks one run's Store holds.
pub(crate) struct EgressHooks {
    pub run: Arc<EgressRun>,
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
        Box::new(async move {
            let response = run.send(request).await?;
            // The connection's I/O is driven by a task the response body
            // owns; nothing is left for the caller to drive.
            Ok((response, Box::new(async { Ok(()) }) as IoFuture))
        })
    }
}
