# workerd's Worker Loader: a parent worker (loader-parent.js) that loads the
# workload's module worker (child.txt: the bundle plain.capnp serves) through
# the LOADER binding and forwards each request to it. MODE is "load",
# "new-id" or "cached" (loader-parent.js says what each does);
# scripts/peers/run.sh writes it into a copy of this file placed next to the
# bundle, and starts `workerd serve --experimental` (the binding is
# experimental) with --socket-addr http=127.0.0.1:0.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .parent)],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);

const parent :Workerd.Worker = (
  modules = [
    (name = "parent.js", esModule = embed "loader-parent.js"),
    (name = "child.txt", text = embed "worker.js"),
  ],
  compatibilityDate = "2026-11-01",
  bindings = [
    (name = "LOADER", workerLoader = ()),
    (name = "MODE", text = "@MODE@"),
  ],
);
