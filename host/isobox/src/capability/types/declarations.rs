//! TypeScript declarations of granted capabilities: what an agent is shown,
//! so they are short and exact. One `declare namespace env` holds a `const`
//! per binding (its methods) and, when the interface has named types, a
//! namespace of the same name holding them (`env.shop.Item`), so type names
//! of different bindings never clash with each other or with the globals.
//! WIT `///` docs are carried once each, as `/** ... */`.

use std::fmt::Write;

use super::model::{CapabilityInterface, Case, Field, Function, TypeDef, TypeKind, WitType};

/// Lines longer than this are broken up.
const WIDTH: usize = 100;

/// An error type named in `@throws` only up to this length.
const THROWS_WIDTH: usize = 40;

/// The declarations of one binding: [`typescript_env`] with one entry.
///
/// ```
/// use isobox::capability::{CapabilityInterface, typescript};
///
/// let kv = CapabilityInterface::from_wit(
///     "package a:kv;\n/// Key-value store.\ninterface store {\n  get: func(key: string) -> option<list<u8>>;\n  delete: func(key: string) -> bool;\n}",
///     "store",
/// )?;
/// assert_eq!(typescript("kv", &kv), "\
/// declare namespace env {
///   /** Key-value store. */
///   const kv: {
///     get(key: string): Promise<Uint8Array | null>;
///     delete(key: string): Promise<boolean>;
///   };
/// }
/// ");
/// # Ok::<(), isobox::capability::WitError>(())
/// ```
pub fn typescript(binding: &str, iface: &CapabilityInterface) -> String {
    typescript_env(&[(binding, iface)])
}

/// The declarations of several bindings in one `declare namespace env`
/// block, in the order given. Each binding must be a JavaScript identifier
/// (see [`valid_binding_name`]). A function returning `result<T, E>` is a
/// `Promise<T>` marked `@throws E`; a line before the block says what that
/// means, once.
pub fn typescript_env(bindings: &[(&str, &CapabilityInterface)]) -> String {
    let mut out = String::new();
    let throws = bindings.iter().any(|(_, iface)| {
        iface.functions().iter().any(|f| {
            matches!(
                f.result.as_ref().map(|t| iface.resolve(t)),
                Some(WitType::Result { .. })
            )
        })
    });
    if throws {
        out.push_str("// A method marked @throws E rejects with an Error whose .value is the E.\n");
    }
    out.push_str("declare namespace env {\n");
    for (binding, iface) in bindings {
        out.push_str(&binding_block(binding, iface));
    }
    out.push_str("}\n");
    out
}

/// Whether `name` can name a binding: an ASCII JavaScript identifier that is
/// not a reserved word.
pub fn valid_binding_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && super::names::parameter_name(name) == name
}

/// One binding, in the shorter of two exact forms: methods in the `const`'s
/// type with types qualified (`shop.Item`), or methods in an interface of
/// the type namespace (`const shop: shop.Api`) with types unqualified.
fn binding_block(binding: &str, iface: &CapabilityInterface) -> String {
    let mut docs = String::new();
    if let Some(text) = iface.docs() {
        push_docs(&mut docs, "  ", text);
    }
    if iface.types().is_empty() {
        return format!("{docs}  const {binding}: {{\n{}  }};\n", methods(iface, "", "    "));
    }
    let types: String = iface.types().iter().map(|def| declaration(iface, def)).collect();
    let qualified = format!(
        "  namespace {binding} {{\n{types}  }}\n{docs}  const {binding}: {{\n{}  }};\n",
        methods(iface, &format!("{binding}."), "    ")
    );
    let api = ["Api", "Methods", "Binding"]
        .into_iter()
        .find(|name| iface.types().iter().all(|t| t.ts_name != *name));
    let Some(api) = api else { return qualified };
    let unqualified = format!(
        "  namespace {binding} {{\n{types}    interface {api} {{\n{}    }}\n  }}\n{docs}  const {binding}: {binding}.{api};\n",
        methods(iface, "", "      ")
    );
    if unqualified.len() < qualified.len() {
        unqualified
    } else {
        qualified
    }
}

fn methods(iface: &CapabilityInterface, qualifier: &str, indent: &str) -> String {
    let mut out = String::new();
    for function in iface.functions() {
        method(&mut out, iface, function, qualifier, indent);
    }
    out
}

fn method(out: &mut String, iface: &CapabilityInterface, function: &Function, qualifier: &str, indent: &str) {
    let render = |ty: &WitType| ts_type(iface, ty, qualifier).0;
    let declared = function.result.as_ref().map(|ty| iface.resolve(ty));
    let (returns, throws) = match declared {
        Some(WitType::Result { ok, err }) => {
            let ok = ok.as_deref().map_or_else(|| "void".to_owned(), render);
            let err = err.as_deref().map(render).filter(|e| e.len() <= THROWS_WIDTH);
            (
                ok,
                Some(err.map_or_else(|| "@throws".to_owned(), |e| format!("@throws {e}"))),
            )
        }
        Some(_) => (function.result.as_ref().map_or_else(String::new, render), None),
        None => ("void".to_owned(), None),
    };
    let doc = match (&function.docs, throws) {
        (Some(text), Some(throws)) => Some(format!("{text} {throws}")),
        (Some(text), None) => Some(text.clone()),
        (None, throws) => throws,
    };
    if let Some(doc) = doc {
        push_docs(out, indent, &doc);
    }
    let optional_from = function.min_args(iface);
    let params: Vec<String> = function
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mark = if i >= optional_from { "?" } else { "" };
            format!("{}{mark}: {}", p.js_name, render(&p.ty))
        })
        .collect();
    let _ = writeln!(
        out,
        "{indent}{}({}): Promise<{returns}>;",
        function.js_name,
        params.join(", ")
    );
}

/// A named type's declaration, inside its binding's namespace.
fn declaration(iface: &CapabilityInterface, def: &TypeDef) -> String {
    let mut out = String::new();
    if let Some(text) = &def.docs {
        push_docs(&mut out, "    ", text);
    }
    let name = &def.ts_name;
    match &def.kind {
        TypeKind::Record(fields) | TypeKind::Flags(fields) => {
            let is_flag = matches!(def.kind, TypeKind::Flags(_));
            let members: Vec<(Option<&str>, String)> = fields
                .iter()
                .map(|f| (f.docs.as_deref(), field(iface, f, is_flag)))
                .collect();
            let one_line = format!("    interface {name} {{ {} }}\n", join_members(&members, "; "));
            if members.iter().all(|(docs, _)| docs.is_none()) && one_line.len() <= WIDTH {
                out.push_str(&one_line);
            } else {
                let _ = writeln!(out, "    interface {name} {{");
                for (docs, member) in &members {
                    if let Some(text) = docs {
                        push_docs(&mut out, "      ", text);
                    }
                    let _ = writeln!(out, "      {member};");
                }
                out.push_str("    }\n");
            }
        }
        TypeKind::Variant(cases) => {
            let members: Vec<(Option<&str>, String)> = cases
                .iter()
                .map(|c| (c.docs.as_deref(), variant_case(iface, c)))
                .collect();
            union(&mut out, name, &members);
        }
        TypeKind::Enum(cases) => {
            let members: Vec<(Option<&str>, String)> = cases
                .iter()
                .map(|c| (c.docs.as_deref(), format!("{:?}", c.name)))
                .collect();
            union(&mut out, name, &members);
        }
        TypeKind::Alias(ty) => {
            let _ = writeln!(out, "    type {name} = {};", ts_type(iface, ty, "").0);
        }
    }
    out
}

fn join_members(members: &[(Option<&str>, String)], separator: &str) -> String {
    members
        .iter()
        .map(|(_, m)| m.as_str())
        .collect::<Vec<_>>()
        .join(separator)
}

/// `type Name = A | B;`, one member a line when documented or long.
fn union(out: &mut String, name: &str, members: &[(Option<&str>, String)]) {
    let one_line = format!("    type {name} = {};\n", join_members(members, " | "));
    if members.iter().all(|(docs, _)| docs.is_none()) && one_line.len() <= WIDTH {
        out.push_str(&one_line);
        return;
    }
    let _ = writeln!(out, "    type {name} =");
    for (docs, member) in members {
        if let Some(text) = docs {
            push_docs(out, "      ", text);
        }
        let _ = writeln!(out, "      | {member}");
    }
    // The `;` ends the last member's line.
    out.pop();
    out.push_str(";\n");
}

/// `userId: number`, `note?: string | null` (a record field), `read?:
/// boolean` (a flag).
fn field(iface: &CapabilityInterface, field: &Field, is_flag: bool) -> String {
    let optional = is_flag || matches!(iface.resolve(&field.ty), WitType::Option(_));
    let mark = if optional { "?" } else { "" };
    format!("{}{mark}: {}", field.js_name, ts_type(iface, &field.ty, "").0)
}

/// `{ tag: "circle"; val: number }`, `{ tag: "none" }`.
fn variant_case(iface: &CapabilityInterface, case: &Case) -> String {
    match &case.ty {
        Some(ty) => {
            let mark = if matches!(iface.resolve(ty), WitType::Option(_)) {
                "?"
            } else {
                ""
            };
            format!("{{ tag: {:?}; val{mark}: {} }}", case.name, ts_type(iface, ty, "").0)
        }
        None => format!("{{ tag: {:?} }}", case.name),
    }
}

/// A type in TypeScript, and whether it is a union (which needs parentheses
/// before `[]`). Named types are written by name, prefixed by `qualifier`.
fn ts_type(iface: &CapabilityInterface, ty: &WitType, qualifier: &str) -> (String, bool) {
    let plain = |s: &str| (s.to_owned(), false);
    match ty {
        WitType::Bool => plain("boolean"),
        WitType::U8 | WitType::U16 | WitType::U32 | WitType::S8 | WitType::S16 | WitType::S32 => plain("number"),
        WitType::F32 | WitType::F64 => plain("number"),
        WitType::U64 | WitType::S64 => ("number | bigint".to_owned(), true),
        WitType::Char | WitType::String => plain("string"),
        WitType::List(element) | WitType::FixedList(element, _) if matches!(iface.resolve(element), WitType::U8) => {
            plain("Uint8Array")
        }
        WitType::List(element) => (array_of(iface, element, qualifier), false),
        WitType::FixedList(element, n) if *n <= 8 => {
            let item = ts_type(iface, element, qualifier).0;
            (format!("[{}]", vec![item; *n as usize].join(", ")), false)
        }
        WitType::FixedList(element, _) => (array_of(iface, element, qualifier), false),
        WitType::Tuple(items) => {
            let items: Vec<String> = items.iter().map(|t| ts_type(iface, t, qualifier).0).collect();
            (format!("[{}]", items.join(", ")), false)
        }
        WitType::Option(inner) => (format!("{} | null", ts_type(iface, inner, qualifier).0), true),
        WitType::Result { ok, err } => {
            let side = |t: &Option<Box<WitType>>| {
                t.as_deref()
                    .map_or_else(|| "null".to_owned(), |t| ts_type(iface, t, qualifier).0)
            };
            (format!("{{ ok: {} }} | {{ err: {} }}", side(ok), side(err)), true)
        }
        WitType::Named(index) => plain(&format!("{qualifier}{}", iface.types()[*index].ts_name)),
    }
}

fn array_of(iface: &CapabilityInterface, element: &WitType, qualifier: &str) -> String {
    match ts_type(iface, element, qualifier) {
        (item, true) => format!("({item})[]"),
        (item, false) => format!("{item}[]"),
    }
}

/// `/** text */` on one line when it fits, else a block; `*/` in the text is
/// escaped.
fn push_docs(out: &mut String, indent: &str, text: &str) {
    push_docs_within(out, indent, text, WIDTH);
}

/// As [`push_docs`], with one-line docs allowed up to `width` columns.
pub(super) fn push_docs_within(out: &mut String, indent: &str, text: &str, width: usize) {
    let text = text.replace("*/", "*\\/");
    if !text.contains('\n') && indent.len().saturating_add(text.len()).saturating_add(7) <= width {
        let _ = writeln!(out, "{indent}/** {text} */");
        return;
    }
    let _ = writeln!(out, "{indent}/**");
    for line in text.lines() {
        if line.is_empty() {
            let _ = writeln!(out, "{indent} *");
        } else {
            let _ = writeln!(out, "{indent} * {line}");
        }
    }
    let _ = writeln!(out, "{indent} */");
}
