// The parent worker of workerd's Worker Loader rows (loader.capnp): loads the
// workload's module worker (child.txt, the same bundle the plain row serves)
// through env.LOADER and forwards the request to its default entrypoint.
// env.MODE says how:
//   "load"    env.LOADER.load(code): a new worker (a new isolate) per request,
//             not cached, freed once unused;
//   "new-id"  env.LOADER.get(id, code) with an id never asked for before: a new
//             worker per request too, but kept by id in the loader's cache;
//   "cached"  env.LOADER.get("cached", code): one worker, loaded once and reused.
import source from "./child.txt";

function code() {
  return {
    compatibilityDate: "2026-11-01",
    mainModule: "worker.js",
    modules: { "worker.js": source },
  };
}

// A random prefix (made on the first request: workerd allows no randomness
// at startup) and a counter make the "new-id" ids.
let prefix;
let served = 0;

function worker(env) {
  switch (env.MODE) {
    case "load":
      return env.LOADER.load(code());
    case "new-id":
      prefix ??= crypto.randomUUID();
      served += 1;
      return env.LOADER.get(`${prefix}-${served}`, code);
    case "cached":
      return env.LOADER.get("cached", code);
    default:
      throw new Error(`unknown MODE ${env.MODE}`);
  }
}

export default {
  fetch(request, env) {
    return worker(env).getEntrypoint().fetch(request);
  },
};
