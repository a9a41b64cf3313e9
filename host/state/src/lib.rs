//! isobox's durable-state capabilities over [`isobox_store`]:
//!
//! - `env.kv` ([`kv_capability`]): a persistent key-value store of strings
//!   with versions, compare-and-swap, expiry and paged listing, typed by
//!   `wit/capabilities/kv.wit`;
//! - `env.workspace` ([`workspace_capability`]): an agent's file system
//!   (read, write, list, search, edit, JSON, archives, batches), JSON-typed,
//!   which the sandbox's `node:fs/promises` also reads and writes;
//! - [`add_workspace_imports`]: the workspace's files as modules, for
//!   `import { f } from "./lib/util.ts"`.
//!
//! Both keep one namespace per tenant (`props.tenant` of the grant); a
//! service refuses a grant without one ([`Tenancy::PerTenant`]).

mod imports;
mod kv;
mod workspace;

pub use imports::{MAX_WORKSPACE_MODULE_BYTES, MAX_WORKSPACE_MODULES, add_workspace_imports};
pub use kv::{KV_WIT, Tenancy, kv_capability};
pub use workspace::{fixed_workspace_capability, workspace_capability, workspace_tools};
