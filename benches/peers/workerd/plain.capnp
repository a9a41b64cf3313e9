# workerd serving the workload's module worker itself: one worker, loaded
# once, every request handled in that same isolate (no sandbox per request).
# scripts/peers/run.sh copies this file next to the bundled worker.js and
# starts it with --socket-addr http=127.0.0.1:0 (workerd prints the port).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "2026-11-01",
);
