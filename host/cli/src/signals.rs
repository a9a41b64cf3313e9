//! The signals that stop a long-running command (`serve`, `mcp`).

/// Ctrl-C or SIGTERM. The handlers are installed when this is called, not
/// when the future is first polled, so a signal sent as soon as the server
/// says it listens is not lost to the default action (exit by the signal).
pub fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt()).ok();
        let term = signal(SignalKind::terminate()).ok();
        async move {
            match (interrupt, term) {
                (Some(mut interrupt), Some(mut term)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = term.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
