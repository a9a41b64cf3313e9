//! The type tree of [`convert`](super::convert) as TypeScript, in the
//! layout of `capability/typescript.rs`; and [`hoist`], which declares a
//! recurring object shape once when that is shorter.

use std::collections::HashMap;
use std::fmt::Write;

use super::convert::{Args, Converted, Hint, Method, Named, Object, Ty, free_name, pascal_case};

/// Objects wider than this are written one member a line.
const WIDTH: usize = 100;

/// The most shapes [`hoist`] declares.
const MAX_HOISTS: usize = 32;

/// One binding inside `declare namespace env`, in the shorter of the two
/// forms `typescript.rs` uses: methods in the `const`'s type with named
/// types qualified (`memory.Entity`), or methods in an interface of the
/// namespace (`const memory: memory.Api`) with names unqualified.
pub(super) fn binding_block(binding: &str, converted: &Converted) -> String {
    let render = |qualifier: &str| Render {
        named: &converted.named,
        qualifier: qualifier.to_owned(),
    };
    if converted.named.is_empty() {
        return format!(
            "  const {binding}: {{\n{}  }};\n",
            render("").methods(&converted.methods, "    ")
        );
    }
    let types: String = converted.named.iter().map(|n| render("").declaration(n)).collect();
    let qualified = format!(
        "  namespace {binding} {{\n{types}  }}\n  const {binding}: {{\n{}  }};\n",
        render(&format!("{binding}.")).methods(&converted.methods, "    ")
    );
    let api = ["Api", "Methods", "Binding"]
        .into_iter()
        .find(|name| converted.named.iter().all(|t| t.name != *name));
    let Some(api) = api else { return qualified };
    let unqualified = format!(
        "  namespace {binding} {{\n{types}    interface {api} {{\n{}    }}\n  }}\n  const {binding}: {binding}.{api};\n",
        render("").methods(&converted.methods, "      ")
    );
    if unqualified.len() < qualified.len() {
        unqualified
    } else {
        qualified
    }
}

struct Render<'a> {
    named: &'a [Named],
    /// Before a named type's name: `memory.` outside the namespace.
    qualifier: String,
}

impl Render<'_> {
    fn methods(&self, methods: &[Method], indent: &str) -> String {
        let mut out = String::new();
        for method in methods {
            if let Some(doc) = &method.doc {
                push_docs(&mut out, indent, doc);
            }
            let params = match &method.args {
                Args::None => String::new(),
                Args::Optional(ty) => format!("args?: {}", self.ty(ty, indent)),
                Args::Required(ty) => format!("args: {}", self.ty(ty, indent)),
            };
            let result = method
                .result
                .as_ref()
                .map_or_else(|| "string".to_owned(), |ty| self.ty(ty, indent));
            let _ = writeln!(
                out,
                "{indent}{}({params}): Promise<{result}>;",
                member_name(&method.name, true)
            );
        }
        out
    }

    /// A named type's declaration, inside the binding's namespace.
    fn declaration(&self, named: &Named) -> String {
        let mut out = String::new();
        if let Some(doc) = &named.doc {
            push_docs(&mut out, "    ", doc);
        }
        match &named.ty {
            Ty::Object(object) => {
                let _ = writeln!(out, "    interface {} {}", named.name, self.object(object, "    "));
            }
            ty => {
                let _ = writeln!(out, "    type {} = {};", named.name, self.ty(ty, "    "));
            }
        }
        out
    }

    /// `ty` as TypeScript; an object that does not fit on its line is
    /// written one member a line, its closing brace at `indent`.
    fn ty(&self, ty: &Ty, indent: &str) -> String {
        match ty {
            Ty::Unknown => "unknown".to_owned(),
            Ty::Never => "never".to_owned(),
            Ty::String => "string".to_owned(),
            Ty::Number => "number".to_owned(),
            Ty::Boolean => "boolean".to_owned(),
            Ty::Null => "null".to_owned(),
            Ty::Literal(text) => text.clone(),
            Ty::Array(item) => format!("{}[]", self.operand(item, indent)),
            Ty::Tuple(items, required, rest) => {
                let mut parts: Vec<String> = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        if i < *required {
                            self.ty(item, indent)
                        } else {
                            format!("{}?", self.operand(item, indent))
                        }
                    })
                    .collect();
                if let Some(rest) = rest {
                    parts.push(format!("...{}[]", self.operand(rest, indent)));
                }
                format!("[{}]", parts.join(", "))
            }
            Ty::Object(object) => self.object(object, indent),
            Ty::Record(value) => format!("Record<string, {}>", self.ty(value, indent)),
            Ty::Union(items) => items.iter().map(|t| self.ty(t, indent)).collect::<Vec<_>>().join(" | "),
            Ty::Intersection(items) => items
                .iter()
                .map(|t| match t {
                    Ty::Union(_) => format!("({})", self.ty(t, indent)),
                    _ => self.ty(t, indent),
                })
                .collect::<Vec<_>>()
                .join(" & "),
            Ty::Named(index) => match self.named.get(*index) {
                Some(named) => format!("{}{}", self.qualifier, named.name),
                None => "unknown".to_owned(),
            },
        }
    }

    /// `ty` where `[]` or `?` follows: unions, intersections and negative
    /// numbers in parentheses.
    fn operand(&self, ty: &Ty, indent: &str) -> String {
        let text = self.ty(ty, indent);
        match ty {
            Ty::Union(_) | Ty::Intersection(_) => format!("({text})"),
            Ty::Literal(literal) if literal.starts_with('-') => format!("({text})"),
            _ => text,
        }
    }

    fn object(&self, object: &Object, indent: &str) -> String {
        let inner = format!("{indent}  ");
        let mut members: Vec<(Option<&str>, String)> = object
            .props
            .iter()
            .map(|p| {
                let mark = if p.optional { "?" } else { "" };
                (
                    p.doc.as_deref(),
                    format!("{}{mark}: {}", member_name(&p.name, false), self.ty(&p.ty, &inner)),
                )
            })
            .collect();
        if object.open {
            members.push((None, "[key: string]: unknown".to_owned()));
        }
        let one_line = format!(
            "{{ {} }}",
            members.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join("; ")
        );
        if members.iter().all(|(doc, m)| doc.is_none() && !m.contains('\n')) && indent.len() + one_line.len() <= WIDTH {
            return one_line;
        }
        let mut out = "{\n".to_owned();
        for (doc, member) in &members {
            if let Some(doc) = doc {
                push_docs(&mut out, &inner, doc);
            }
            let _ = writeln!(out, "{inner}{member};");
        }
        out.push_str(indent);
        out.push('}');
        out
    }
}

/// A property or method name: as written when it is an identifier, else
/// quoted. A method cannot be named `new` unquoted (that would declare a
/// constructor).
fn member_name(name: &str, method: bool) -> String {
    let mut chars = name.chars();
    let identifier = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if identifier && !(method && name == "new") {
        name.to_owned()
    } else {
        serde_json::to_string(name).unwrap_or_default()
    }
}

/// `/** text */` on one line when the text is, else a block; `*/` in the
/// text is escaped.
fn push_docs(out: &mut String, indent: &str, text: &str) {
    let text = text.replace("*/", "*\\/");
    if !text.contains('\n') {
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

/// Where a recurring object shape was seen.
struct Seen<'a> {
    /// Inline occurrences.
    count: usize,
    /// The hint of each occurrence (the first few).
    hints: Vec<&'a Hint>,
    /// A named type whose body is this shape.
    named: Option<usize>,
}

/// Declares object shapes that recur (the same properties, types and
/// docs) once, as named types, greatest saving first, while that makes the
/// declarations shorter. A shape that is already a named type's body is
/// written by that name elsewhere.
pub(super) fn hoist(converted: &mut Converted) {
    // Rendered lengths by shape: a shape's text depends only on the shape
    // (names never change), so each is rendered once.
    let mut lengths: HashMap<Object, i64> = HashMap::new();
    for _ in 0..MAX_HOISTS {
        let Some((shape, existing, hint)) = best_shape(converted, &mut lengths) else {
            return;
        };
        let index = match existing {
            Some(index) => index,
            None => {
                let name = free_name(&converted.named, &hint);
                converted.named.push(Named {
                    stem: name.clone(),
                    name,
                    doc: None,
                    ty: Ty::Object(shape.clone()),
                });
                converted.named.len() - 1
            }
        };
        for method in &mut converted.methods {
            match &mut method.args {
                Args::None => {}
                Args::Optional(ty) | Args::Required(ty) => replace(ty, &shape, index),
            }
            if let Some(ty) = &mut method.result {
                replace(ty, &shape, index);
            }
        }
        for named in &mut converted.named {
            // A named type's own body stays: only what is inside it.
            if let Ty::Object(object) = &mut named.ty {
                for prop in &mut object.props {
                    replace(&mut prop.ty, &shape, index);
                }
            } else {
                replace(&mut named.ty, &shape, index);
            }
        }
    }
}

/// The shape whose declaration saves the most characters, and the named
/// type that already has it as its body, if one does.
fn best_shape(converted: &Converted, lengths: &mut HashMap<Object, i64>) -> Option<(Object, Option<usize>, String)> {
    let mut seen: HashMap<&Object, Seen<'_>> = HashMap::new();
    for method in &converted.methods {
        if let Args::Optional(ty) | Args::Required(ty) = &method.args {
            count(ty, &mut seen);
        }
        if let Some(ty) = &method.result {
            count(ty, &mut seen);
        }
    }
    for (index, named) in converted.named.iter().enumerate() {
        if let Ty::Object(object) = &named.ty {
            seen.entry(object)
                .or_insert(Seen {
                    count: 0,
                    hints: Vec::new(),
                    named: None,
                })
                .named
                .get_or_insert(index);
            for prop in &object.props {
                count(&prop.ty, &mut seen);
            }
        } else {
            count(&named.ty, &mut seen);
        }
    }
    let render = Render {
        named: &converted.named,
        qualifier: String::new(),
    };
    let mut best: Option<(i64, &Object, Option<usize>, String)> = None;
    for (object, seen) in &seen {
        let uses = seen.count as i64;
        if uses == 0 || (uses < 2 && seen.named.is_none()) {
            continue;
        }
        let length = match lengths.get(*object) {
            Some(length) => *length,
            None => {
                let length = render.object(object, "").len() as i64;
                lengths.insert((*object).clone(), length);
                length
            }
        };
        let saving = match seen.named {
            Some(index) => uses * (length - converted.named[index].name.len() as i64 - 8),
            // Written `uses` times, or declared once (`interface Name `,
            // a line) and named `uses` times.
            None => {
                let name = hint_for(object, &seen.hints).len().max(4) as i64 + 8;
                (uses - 1) * length - uses * name - (name + 16)
            }
        };
        if saving > 0 && best.as_ref().is_none_or(|(s, ..)| saving > *s) {
            best = Some((saving, object, seen.named, hint_for(object, &seen.hints)));
        }
    }
    best.map(|(_, object, named, hint)| (object.clone(), named, hint))
}

/// The name for a shape declared once: the name its places agree on, else
/// one from a place inside an object, else (a tool's argument in one place
/// and another tool's result in the other) its only property's name.
fn hint_for(object: &Object, hints: &[&Hint]) -> String {
    let first = hints.first().map_or("", |h| h.name.as_str());
    if hints.iter().all(|h| h.name == first) {
        return first.to_owned();
    }
    if let Some(inner) = hints.iter().find(|h| !h.root) {
        return inner.name.clone();
    }
    match object.props.as_slice() {
        [only] => pascal_case(&only.name),
        _ => first.to_owned(),
    }
}

fn count<'a>(ty: &'a Ty, seen: &mut HashMap<&'a Object, Seen<'a>>) {
    match ty {
        Ty::Object(object) => {
            let entry = seen.entry(object).or_insert(Seen {
                count: 0,
                hints: Vec::new(),
                named: None,
            });
            entry.count += 1;
            if entry.hints.len() < 8 {
                entry.hints.push(&object.hint);
            }
            for prop in &object.props {
                count(&prop.ty, seen);
            }
        }
        Ty::Array(item) | Ty::Record(item) => count(item, seen),
        Ty::Tuple(items, _, rest) => {
            items.iter().for_each(|t| count(t, seen));
            if let Some(rest) = rest {
                count(rest, seen);
            }
        }
        Ty::Union(items) | Ty::Intersection(items) => items.iter().for_each(|t| count(t, seen)),
        _ => {}
    }
}

fn replace(ty: &mut Ty, shape: &Object, index: usize) {
    match ty {
        Ty::Object(object) if object == shape => *ty = Ty::Named(index),
        Ty::Object(object) => object.props.iter_mut().for_each(|p| replace(&mut p.ty, shape, index)),
        Ty::Array(item) | Ty::Record(item) => replace(item, shape, index),
        Ty::Tuple(items, _, rest) => {
            items.iter_mut().for_each(|t| replace(t, shape, index));
            if let Some(rest) = rest {
                replace(rest, shape, index);
            }
        }
        Ty::Union(items) | Ty::Intersection(items) => items.iter_mut().for_each(|t| replace(t, shape, index)),
        _ => {}
    }
}
