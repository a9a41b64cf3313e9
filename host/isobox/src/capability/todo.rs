//! The built-in `todo` capability (`wit/capabilities/todo.wit`): a to-do list
//! per tenant, showing the richer WIT types (records, enums, flags, variants,
//! results, tuples, u64) through the bridge.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use wasmtime::component::Val;

use super::CapabilityError;
use super::native::{CallContext, CallFuture, NativeCapability};

/// The most to-dos one tenant may keep.
const MAX_TODOS: usize = 10_000;

#[derive(Debug, Clone)]
struct Todo {
    id: u64,
    title: String,
    priority: String,
    labels: Vec<String>,
    due: Option<String>,
    done: bool,
}

impl Todo {
    fn to_val(&self) -> Val {
        Val::Record(vec![
            ("id".into(), Val::U64(self.id)),
            ("title".into(), Val::String(self.title.clone())),
            ("priority".into(), Val::Enum(self.priority.clone())),
            ("labels".into(), Val::Flags(self.labels.clone())),
            (
                "due".into(),
                Val::Option(self.due.clone().map(|d| Box::new(Val::String(d)))),
            ),
            ("done".into(), Val::Bool(self.done)),
        ])
    }
}

#[derive(Debug, Default)]
struct TenantTodos {
    next_id: u64,
    items: BTreeMap<u64, Todo>,
}

/// The store behind the `todo` capability. Cloning shares it.
///
/// [`new`](Self::new) keeps one list per
/// tenant and refuses grants without `props.tenant`;
/// [`shared`](Self::shared) lets such grants share one list.
#[derive(Clone, Default, Debug)]
pub struct TodoStore {
    tenants: Arc<Mutex<BTreeMap<String, TenantTodos>>>,
    shared: bool,
}

fn field<'a>(record: &'a [(String, Val)], name: &str) -> Option<&'a Val> {
    record.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

fn error(case: &str, payload: Val) -> Val {
    Val::Result(Err(Some(Box::new(Val::Variant(case.into(), Some(Box::new(payload)))))))
}

fn ok(value: Option<Val>) -> Val {
    Val::Result(Ok(value.map(Box::new)))
}

impl TodoStore {
    /// An empty store with one list per tenant: each grant must carry
    /// `props.tenant`.
    pub fn new() -> Self {
        TodoStore::default()
    }

    /// An empty store where grants without `props.tenant` share one list
    /// (for a single user, such as the command line).
    pub fn shared() -> Self {
        TodoStore {
            shared: true,
            ..TodoStore::default()
        }
    }

    /// The WIT of the capability.
    pub const WIT: &'static str = include_str!("../../../../wit/capabilities/todo.wit");

    fn apply(&self, tenant: &str, function: &str, args: Vec<Val>) -> Result<Option<Val>, CapabilityError> {
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        let todos = tenants.entry(tenant.to_owned()).or_default();
        let id_arg = || match args.first() {
            Some(Val::U64(id)) => Ok(*id),
            _ => Err(CapabilityError::new("todo: expected an id")),
        };
        Ok(Some(match function {
            "add" => {
                let Some(Val::Record(item)) = args.first() else {
                    return Err(CapabilityError::new("todo.add: expected a new-todo"));
                };
                let title = match field(item, "title") {
                    Some(Val::String(title)) => title.trim().to_owned(),
                    _ => String::new(),
                };
                if title.is_empty() {
                    return Ok(Some(error("invalid", Val::String("the title is empty".into()))));
                }
                if todos.items.len() >= MAX_TODOS {
                    return Ok(Some(error(
                        "invalid",
                        Val::String(format!("at most {MAX_TODOS} to-dos")),
                    )));
                }
                let priority = match field(item, "priority") {
                    Some(Val::Option(Some(p))) => match &**p {
                        Val::Enum(p) => p.clone(),
                        _ => "normal".into(),
                    },
                    _ => "normal".into(),
                };
                let labels = match field(item, "labels") {
                    Some(Val::Option(Some(l))) => match &**l {
                        Val::Flags(l) => l.clone(),
                        _ => Vec::new(),
                    },
                    _ => Vec::new(),
                };
                let due = match field(item, "due") {
                    Some(Val::Option(Some(d))) => match &**d {
                        Val::String(d) => Some(d.clone()),
                        _ => None,
                    },
                    _ => None,
                };
                todos.next_id += 1;
                let todo = Todo {
                    id: todos.next_id,
                    title,
                    priority,
                    labels,
                    due,
                    done: false,
                };
                let value = todo.to_val();
                todos.items.insert(todo.id, todo);
                ok(Some(value))
            }
            "list" => {
                let filter = args.first().cloned().unwrap_or(Val::Variant("all".into(), None));
                let selected = todos.items.values().filter(|todo| match &filter {
                    Val::Variant(case, payload) => match (case.as_str(), payload.as_deref()) {
                        ("open", _) => !todo.done,
                        ("by-priority", Some(Val::Enum(p))) => &todo.priority == p,
                        ("search", Some(Val::String(text))) => todo.title.to_lowercase().contains(&text.to_lowercase()),
                        _ => true,
                    },
                    _ => true,
                });
                Val::List(selected.map(Todo::to_val).collect())
            }
            "complete" => {
                let id = id_arg()?;
                match todos.items.get_mut(&id) {
                    Some(todo) => {
                        todo.done = true;
                        ok(Some(todo.to_val()))
                    }
                    None => error("not-found", Val::U64(id)),
                }
            }
            "remove" => {
                let id = id_arg()?;
                match todos.items.remove(&id) {
                    Some(_) => ok(None),
                    None => error("not-found", Val::U64(id)),
                }
            }
            "counts" => {
                let done = todos.items.values().filter(|t| t.done).count();
                let open = todos.items.len() - done;
                Val::Tuple(vec![Val::U32(open as u32), Val::U32(done as u32)])
            }
            other => return Err(CapabilityError::new(format!("todo has no function {other}"))),
        }))
    }
}

impl NativeCapability for TodoStore {
    fn call(&self, context: CallContext, function: &str, args: Vec<Val>) -> CallFuture {
        let result = match context.namespace(self.shared) {
            Some(namespace) => self.apply(namespace, function, args),
            None => Err(CapabilityError::new("todo: this grant names no tenant (props.tenant)")),
        };
        Box::pin(async move { result })
    }

    fn requires_tenant(&self) -> bool {
        !self.shared
    }
}
