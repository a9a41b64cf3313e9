//! The engine shared by every test in this binary, built once.

use std::sync::OnceLock;

use isobox::{Engine, Outcome, RunRequest};

/// The shared engine (default settings, default snapshot cache).
pub fn engine() -> Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            // Built on its own thread and runtime, so any test runtime can use it.
            std::thread::spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime
                    .block_on(Engine::builder().build())
                    .expect("building the engine")
            })
            .join()
            .expect("engine thread")
        })
        .clone()
}

/// Runs `code` with default limits.
pub async fn run(code: &str) -> Outcome {
    engine().run(RunRequest::new(code)).await
}
