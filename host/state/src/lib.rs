//! isobox's durable-state capabilities over [`isobox_store`]:
//!
//! - `env.kv` ([`kv_capability`]): a persistent key-value store of strings
//!   with versions, compare-and-swap, expiry and paged listing, typed by
//!   `wit/capabilities/kv.wit`;
//! - `env.workspace` ([`workspace_capability`]): an agent's file system
//!   (read, write, list, search, edit, JSON, archives, batches), JSON-typed.
//!
//! Both keep one namespace per tenant (`props.tenant` of the grant); a
//! service refuses a grant without one ([`Tenancy::PerTenant`]).

mod kv;
mod workspace;

pub use kv::{KV_WIT, Tenancy, kv_capability};
pub use workspace::{workspace_capability, workspace_tools};
