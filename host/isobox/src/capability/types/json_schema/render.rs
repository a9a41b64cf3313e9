//! The type tree of [`convert`](super::convert) as TypeScript, in the
//! layout of `capability/typescript.rs`.

use std::fmt::Write;

use super::convert::{Args, Converted, Method, Named, Object, Ty};

/// Objects wider than this are written one member a line.
const WIDTH: usize = 100;

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
    crate::capability::types::declarations::push_docs_within(out, indent, text, usize::MAX);
}

/// The length of `object` written at the start of a line, for
/// [`hoist`](super::named::hoist).
pub(super) fn object_length(named: &[Named], object: &Object) -> usize {
    Render {
        named,
        qualifier: String::new(),
    }
    .object(object, "")
    .len()
}
