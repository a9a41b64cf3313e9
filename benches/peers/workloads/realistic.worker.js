// The realistic workload as a module worker: the handler's response body is
// the workload's result.
import { run } from "./realistic.js";

export default { fetch: () => new Response(run()) };
