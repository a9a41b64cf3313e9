//! Loading a capability's WIT with wit-parser and turning one interface into
//! a [`CapabilityInterface`]: every type checked (resources, futures,
//! streams, error-context, maps and `option<option<T>>` refused, naming the
//! function and parameter), every name given its JavaScript form.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use wit_parser::{Docs, FunctionKind, InterfaceId, PackageId, Resolve, Type, TypeDefKind, TypeId};

use super::error::WitError;
use super::model::{CapabilityInterface, Case, Field, Function, Param, TypeDef, TypeKind, WitType};
use super::names::{camel_case, parameter_name, pascal_case};
use crate::text::truncated as truncate;

/// The most WIT text (all files of a package and its `deps/` together) a
/// capability may be loaded from: 1 MiB.
pub const MAX_WIT_BYTES: u64 = 1 << 20;

/// Types nested deeper than this (each list, option, tuple, result, record,
/// variant ... one level) are refused: 32.
pub const MAX_TYPE_DEPTH: usize = 32;

/// Names TypeScript declarations rely on, which a WIT type must not shadow.
const TS_TAKEN: &[&str] = &["Promise", "Uint8Array"];

/// A parsed WIT package (with its dependencies), from which capability
/// interfaces are picked by name.
#[derive(Debug)]
pub struct WitPackage {
    resolve: Resolve,
    main: PackageId,
}

impl WitPackage {
    /// Parses WIT text. `source_name` only appears in messages.
    ///
    /// ```
    /// use isobox::capability::WitPackage;
    ///
    /// let wit = WitPackage::parse_str("kv.wit", "package a:kv;\ninterface store { get: func(key: string) -> option<string>; }")?;
    /// assert_eq!(wit.interface_names(), ["a:kv/store"]);
    /// # Ok::<(), isobox::capability::WitError>(())
    /// ```
    ///
    /// # Errors
    /// [`WitError::TooLarge`] past [`MAX_WIT_BYTES`], [`WitError::Parse`]
    /// with wit-parser's message.
    pub fn parse_str(source_name: &str, source: &str) -> Result<Self, WitError> {
        check_size("source", source.len() as u64)?;
        let (resolve, pushed) = without_panics(source_name, || {
            let mut resolve = Resolve::default();
            // Only when the text uses the context without declaring it: a
            // package added twice is a panic in wit-parser.
            if source.contains(CONTEXT_PACKAGE) && !declares_context(source_name, source) {
                with_context(&mut resolve);
            }
            let pushed = resolve.push_str(source_name, source);
            (resolve, pushed)
        })?;
        let main = pushed.map_err(|e| parse_error(&resolve, &e))?;
        Ok(Self { resolve, main })
    }

    /// Loads a `.wit` file, a WIT package encoded as Wasm, or a directory of
    /// `.wit` files with an optional `deps/` directory (as wit-parser's
    /// `Resolve::push_path` does).
    ///
    /// # Errors
    /// [`WitError::Read`], [`WitError::TooLarge`] past [`MAX_WIT_BYTES`] in
    /// all, [`WitError::Parse`].
    pub fn load(path: &Path) -> Result<Self, WitError> {
        let name = path.display().to_string();
        check_size(&name, source_bytes(path, 0)?)?;
        let (mut resolve, pushed) = without_panics(&name, || {
            let mut resolve = Resolve::default();
            let pushed = resolve.push_path(path);
            (resolve, pushed)
        })?;
        let (main, _) = match pushed {
            Ok(pushed) => pushed,
            // A plugin's WIT that imports the context without carrying it in
            // deps/: the host supplies it.
            Err(error) if format!("{error:#}").contains(CONTEXT_PACKAGE) => {
                let (resolve_with, pushed) = without_panics(&name, || {
                    let mut resolve = Resolve::default();
                    with_context(&mut resolve);
                    let pushed = resolve.push_path(path);
                    (resolve, pushed)
                })?;
                let pushed = pushed.map_err(|e| parse_error(&resolve_with, &e))?;
                resolve = resolve_with;
                pushed
            }
            Err(error) => return Err(parse_error(&resolve, &error)),
        };
        Ok(Self { resolve, main })
    }

    /// The fully qualified names of the main package's interfaces, in WIT
    /// order: `isobox:kv/store@0.1.0`.
    pub fn interface_names(&self) -> Vec<String> {
        let package = &self.resolve.packages[self.main];
        package
            .interfaces
            .keys()
            .map(|name| package.name.interface_id(name))
            .collect()
    }

    /// The interface named `name`, checked: its full name with or without
    /// version (`isobox:kv/store@0.1.0`, `isobox:kv/store`), or its own name
    /// (`store`) when that is unambiguous: an interface of the main package
    /// first, else of exactly one dependency.
    ///
    /// # Errors
    /// [`WitError::NoInterface`], [`WitError::AmbiguousInterface`], and
    /// [`WitError::Unsupported`] naming the function and parameter (or the
    /// resource) that uses what the bridge does not carry.
    pub fn interface(&self, name: &str) -> Result<CapabilityInterface, WitError> {
        let id = self.find(name)?;
        Converter::new(&self.resolve, id).interface()
    }

    fn find(&self, name: &str) -> Result<InterfaceId, WitError> {
        let all: Vec<(InterfaceId, String, bool)> = self
            .resolve
            .interfaces
            .iter()
            .filter_map(|(id, iface)| {
                let own = iface.name.as_ref()?;
                let package = iface.package?;
                let full = self.resolve.packages[package].name.interface_id(own);
                Some((id, full, package == self.main))
            })
            .collect();
        let matches: Vec<&(InterfaceId, String, bool)> = if name.contains('/') {
            let exact: Vec<_> = all.iter().filter(|(_, full, _)| full == name).collect();
            if exact.is_empty() {
                all.iter()
                    .filter(|(_, full, _)| full.split('@').next() == Some(name))
                    .collect()
            } else {
                exact
            }
        } else {
            let own = |full: &str| full.rsplit('/').next().and_then(|n| n.split('@').next()) == Some(name);
            let in_main: Vec<_> = all.iter().filter(|(_, full, main)| *main && own(full)).collect();
            if in_main.is_empty() {
                all.iter().filter(|(_, full, _)| own(full)).collect()
            } else {
                in_main
            }
        };
        match matches.as_slice() {
            [(id, _, _)] => Ok(*id),
            [] => Err(WitError::NoInterface {
                name: truncate(name, 200),
                available: all.iter().map(|(_, full, _)| full.clone()).collect(),
            }),
            many => Err(WitError::AmbiguousInterface {
                name: truncate(name, 200),
                candidates: many.iter().map(|(_, full, _)| full.clone()).collect(),
            }),
        }
    }
}

impl CapabilityInterface {
    /// Parses WIT text and picks one interface: the two steps of
    /// [`WitPackage::parse_str`] and [`WitPackage::interface`].
    ///
    /// ```
    /// use isobox::capability::CapabilityInterface;
    ///
    /// let kv = CapabilityInterface::from_wit(
    ///     "package a:kv;\n/// A store.\ninterface store { get-value: func(key: string) -> option<string>; }",
    ///     "store",
    /// )?;
    /// assert_eq!(kv.id(), "a:kv/store");
    /// assert_eq!(kv.docs(), Some("A store."));
    /// assert_eq!(kv.functions()[0].js_name, "getValue");
    /// # Ok::<(), isobox::capability::WitError>(())
    /// ```
    ///
    /// # Errors
    /// As [`WitPackage::parse_str`] and [`WitPackage::interface`].
    pub fn from_wit(source: &str, interface: &str) -> Result<Self, WitError> {
        WitPackage::parse_str("capability.wit", source)?.interface(interface)
    }
}

/// The package every plugin may import (`isobox:capability/context`).
const CONTEXT_PACKAGE: &str = "isobox:capability";

/// Adds `isobox:capability` (wit/capabilities/context.wit) to `resolve`.
/// Runs wit-parser, turning its panics into a parse error: wit-parser
/// 0.254 panics on some malformed WIT (an empty block doc comment, `/**/`;
/// found by fuzzing), and WIT comes from users' files.
fn without_panics<T>(source_name: &str, parse: impl FnOnce() -> T) -> Result<T, WitError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse)).map_err(|_| WitError::Parse {
        message: format!(
            "{}: wit-parser could not parse this WIT (it failed inside the parser)",
            truncate(source_name, 200)
        ),
    })
}

/// Whether `source` declares the `isobox:capability` package itself (as
/// its main package or a nested one).
fn declares_context(source_name: &str, source: &str) -> bool {
    wit_parser::UnresolvedPackageGroup::parse(source_name, source).is_ok_and(|group| {
        std::iter::once(&group.main)
            .chain(&group.nested)
            .any(|package| package.name.namespace == "isobox" && package.name.name == "capability")
    })
}

fn with_context(resolve: &mut Resolve) {
    // The built-in WIT is valid: a failure would leave the user's WIT to
    // report the missing package.
    let _ = resolve.push_str(
        "isobox-capability-context.wit",
        include_str!("../../../../../wit/capabilities/context.wit"),
    );
}

fn check_size(what: &str, bytes: u64) -> Result<(), WitError> {
    if bytes > MAX_WIT_BYTES {
        return Err(WitError::TooLarge {
            what: truncate(what, 200),
            bytes,
            limit: MAX_WIT_BYTES,
        });
    }
    Ok(())
}

/// The bytes wit-parser would read from `path`: the file, or the files of the
/// directory and of its `deps/` (two levels), as `push_path` reads them.
fn source_bytes(path: &Path, level: usize) -> Result<u64, WitError> {
    let read_error = |e: std::io::Error| WitError::Read {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(read_error)?;
    if !meta.is_dir() {
        return Ok(meta.len());
    }
    if level > 2 {
        return Ok(0);
    }
    let mut total = 0u64;
    for entry in std::fs::read_dir(path).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        let child = entry.path();
        let is_dir = child.is_dir();
        let counted = if is_dir {
            level > 0 || entry.file_name() == "deps"
        } else {
            matches!(child.extension().and_then(|e| e.to_str()), Some("wit" | "wasm" | "wat"))
        };
        if counted {
            total = total.saturating_add(source_bytes(&child, level + 1)?);
            check_size(&path.display().to_string(), total)?;
        }
    }
    Ok(total)
}

/// wit-parser's message with its file, line, column and source snippet.
fn parse_error(resolve: &Resolve, error: &anyhow::Error) -> WitError {
    let rendered = resolve.render_error(error);
    let message = if rendered.trim().is_empty() {
        format!("{error:#}")
    } else {
        rendered
    };
    WitError::Parse {
        message: truncate(message.trim_end(), 4096),
    }
}

/// WIT `///` docs, trimmed; `None` when empty.
pub(crate) fn docs(docs: &Docs) -> Option<String> {
    let text = docs.contents.as_deref()?;
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let joined = lines.join("\n");
    let trimmed = joined.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

struct Converter<'a> {
    resolve: &'a Resolve,
    id: InterfaceId,
    full_name: String,
    types: Vec<TypeDef>,
    /// The interface each of `types` comes from, for renaming clashes.
    owners: Vec<Option<InterfaceId>>,
    /// Converted types and how deeply they nest.
    memo: HashMap<TypeId, (WitType, usize)>,
    /// Where the conversion is, for messages.
    trail: Vec<String>,
}

impl<'a> Converter<'a> {
    fn new(resolve: &'a Resolve, id: InterfaceId) -> Self {
        let iface = &resolve.interfaces[id];
        let own = iface.name.clone().unwrap_or_default();
        let full_name = match iface.package {
            Some(package) => resolve.packages[package].name.interface_id(&own),
            None => own,
        };
        Self {
            resolve,
            id,
            full_name,
            types: Vec::new(),
            owners: Vec::new(),
            memo: HashMap::new(),
            trail: Vec::new(),
        }
    }

    fn unsupported(&self, message: impl Into<String>) -> WitError {
        WitError::Unsupported {
            interface: self.full_name.clone(),
            location: self.trail.join(", "),
            message: message.into(),
        }
    }

    fn interface(mut self) -> Result<CapabilityInterface, WitError> {
        let iface = &self.resolve.interfaces[self.id];
        for (name, &type_id) in &iface.types {
            if matches!(self.resolve.types[type_id].kind, TypeDefKind::Resource) {
                self.trail = vec![format!("resource `{name}`")];
                return Err(self.unsupported("resources are not supported"));
            }
        }
        let mut functions = Vec::with_capacity(iface.functions.len());
        let mut js_names = Names::default();
        for function in iface.functions.values() {
            self.trail = vec![format!("function `{}`", function.name)];
            let is_async = match function.kind {
                FunctionKind::Freestanding => false,
                FunctionKind::AsyncFreestanding => true,
                _ => return Err(self.unsupported("resource methods are not supported")),
            };
            let js_name = camel_case(&function.name);
            js_names.claim(&self, &function.name, &js_name)?;
            let mut params = Vec::with_capacity(function.params.len());
            let mut param_names = Names::default();
            for param in &function.params {
                self.trail.truncate(1);
                self.trail.push(format!("parameter `{}`", param.name));
                let js_name = parameter_name(&param.name);
                param_names.claim(&self, &param.name, &js_name)?;
                let (ty, _) = self.convert(&param.ty, 0)?;
                params.push(Param {
                    wit_name: param.name.clone(),
                    js_name,
                    ty,
                });
            }
            self.trail.truncate(1);
            self.trail.push("result".to_owned());
            let result = match &function.result {
                Some(ty) => Some(self.convert(ty, 0)?.0),
                None => None,
            };
            functions.push(Function {
                wit_name: function.name.clone(),
                js_name,
                docs: docs(&function.docs),
                params,
                result,
                is_async,
            });
        }
        self.name_types();
        Ok(CapabilityInterface {
            id: self.full_name,
            name: iface.name.clone().unwrap_or_default(),
            docs: docs(&iface.docs),
            functions,
            types: self.types,
        })
    }

    /// Gives every named type a unique TypeScript name: its PascalCase WIT
    /// name, else prefixed with its interface's name, else numbered.
    fn name_types(&mut self) {
        let mut taken: HashSet<String> = TS_TAKEN.iter().map(|s| (*s).to_owned()).collect();
        for (def, owner) in self.types.iter_mut().zip(&self.owners) {
            let plain = pascal_case(&def.wit_name);
            let mut name = plain.clone();
            if taken.contains(&name) {
                let prefix = owner
                    .and_then(|id| self.resolve.interfaces[id].name.as_deref())
                    .map(pascal_case)
                    .unwrap_or_default();
                name = format!("{prefix}{plain}");
                let mut n = 2;
                while taken.contains(&name) {
                    name = format!("{prefix}{plain}{n}");
                    n += 1;
                }
            }
            taken.insert(name.clone());
            def.ts_name = name;
        }
    }

    /// Converts `ty`, met `level` levels deep; returns it and how deeply it
    /// nests.
    fn convert(&mut self, ty: &Type, level: usize) -> Result<(WitType, usize), WitError> {
        if level >= MAX_TYPE_DEPTH {
            return Err(self.unsupported(format!("types nested more than {MAX_TYPE_DEPTH} levels deep")));
        }
        let simple = match ty {
            Type::Bool => WitType::Bool,
            Type::U8 => WitType::U8,
            Type::U16 => WitType::U16,
            Type::U32 => WitType::U32,
            Type::U64 => WitType::U64,
            Type::S8 => WitType::S8,
            Type::S16 => WitType::S16,
            Type::S32 => WitType::S32,
            Type::S64 => WitType::S64,
            Type::F32 => WitType::F32,
            Type::F64 => WitType::F64,
            Type::Char => WitType::Char,
            Type::String => WitType::String,
            Type::ErrorContext => return Err(self.unsupported("error-context is not supported")),
            Type::Id(id) => return self.convert_id(*id, level),
        };
        Ok((simple, 1))
    }

    fn convert_id(&mut self, id: TypeId, level: usize) -> Result<(WitType, usize), WitError> {
        if let Some((ty, depth)) = self.memo.get(&id) {
            if level + depth > MAX_TYPE_DEPTH {
                return Err(self.unsupported(format!("types nested more than {MAX_TYPE_DEPTH} levels deep")));
            }
            return Ok((ty.clone(), *depth));
        }
        let def = &self.resolve.types[id];
        // A `use`d type is named where it is defined, not twice.
        let same_name_alias =
            matches!(def.kind, TypeDefKind::Type(Type::Id(target)) if self.resolve.types[target].name == def.name);
        let pushed = def
            .name
            .as_ref()
            .filter(|_| !same_name_alias)
            .map(|name| format!("{} `{name}`", keyword(&def.kind)));
        if let Some(entry) = &pushed {
            self.trail.push(entry.clone());
        }
        let converted = self.convert_kind(def, level)?;
        if pushed.is_some() {
            self.trail.pop();
        }
        self.memo.insert(id, converted.clone());
        Ok(converted)
    }

    fn convert_kind(&mut self, def: &wit_parser::TypeDef, level: usize) -> Result<(WitType, usize), WitError> {
        let next = level + 1;
        let (kind, depth) = match &def.kind {
            TypeDefKind::Record(record) => {
                let mut fields = Vec::with_capacity(record.fields.len());
                let mut names = Names::default();
                let mut depth = 0;
                for field in &record.fields {
                    self.trail.push(format!("field `{}`", field.name));
                    let js_name = camel_case(&field.name);
                    names.claim(self, &field.name, &js_name)?;
                    let (ty, d) = self.convert(&field.ty, next)?;
                    depth = depth.max(d);
                    self.trail.pop();
                    fields.push(Field {
                        wit_name: field.name.clone(),
                        js_name,
                        docs: docs(&field.docs),
                        ty,
                    });
                }
                (TypeKind::Record(fields), depth + 1)
            }
            TypeDefKind::Variant(variant) => {
                let mut cases = Vec::with_capacity(variant.cases.len());
                let mut depth = 0;
                for case in &variant.cases {
                    self.trail.push(format!("case `{}`", case.name));
                    let ty = match &case.ty {
                        Some(ty) => {
                            let (ty, d) = self.convert(ty, next)?;
                            depth = depth.max(d);
                            Some(ty)
                        }
                        None => None,
                    };
                    self.trail.pop();
                    cases.push(Case {
                        name: case.name.clone(),
                        docs: docs(&case.docs),
                        ty,
                    });
                }
                (TypeKind::Variant(cases), depth + 1)
            }
            TypeDefKind::Enum(e) => {
                let cases = e.cases.iter().map(|c| Case {
                    name: c.name.clone(),
                    docs: docs(&c.docs),
                    ty: None,
                });
                (TypeKind::Enum(cases.collect()), 1)
            }
            TypeDefKind::Flags(flags) => {
                let mut fields = Vec::with_capacity(flags.flags.len());
                let mut names = Names::default();
                for flag in &flags.flags {
                    let js_name = camel_case(&flag.name);
                    names.claim(self, &flag.name, &js_name)?;
                    fields.push(Field {
                        wit_name: flag.name.clone(),
                        js_name,
                        docs: docs(&flag.docs),
                        ty: WitType::Bool,
                    });
                }
                (TypeKind::Flags(fields), 1)
            }
            TypeDefKind::Type(Type::Id(target))
                if def.name.is_some() && self.resolve.types[*target].name == def.name =>
            {
                // `use other.{name}`: the same type under the same name.
                return self.convert_id(*target, level);
            }
            _ => {
                let (ty, depth) = self.convert_structural(&def.kind, level)?;
                if def.name.is_none() {
                    return Ok((ty, depth));
                }
                (TypeKind::Alias(ty), depth)
            }
        };
        let Some(name) = &def.name else {
            return Err(self.unsupported("an anonymous record, variant, enum or flags"));
        };
        self.types.push(TypeDef {
            wit_name: name.clone(),
            ts_name: String::new(),
            docs: docs(&def.docs),
            kind,
        });
        self.owners.push(match def.owner {
            wit_parser::TypeOwner::Interface(id) => Some(id),
            _ => None,
        });
        Ok((WitType::Named(self.types.len() - 1), depth))
    }

    fn convert_structural(&mut self, kind: &TypeDefKind, level: usize) -> Result<(WitType, usize), WitError> {
        let next = level + 1;
        Ok(match kind {
            TypeDefKind::Type(ty) => self.convert(ty, level)?,
            TypeDefKind::List(ty) => {
                let (ty, depth) = self.convert(ty, next)?;
                (WitType::List(Box::new(ty)), depth + 1)
            }
            TypeDefKind::FixedLengthList(ty, n) => {
                let (ty, depth) = self.convert(ty, next)?;
                (WitType::FixedList(Box::new(ty), *n), depth + 1)
            }
            TypeDefKind::Tuple(tuple) => {
                let mut items = Vec::with_capacity(tuple.types.len());
                let mut depth = 0;
                for ty in &tuple.types {
                    let (ty, d) = self.convert(ty, next)?;
                    depth = depth.max(d);
                    items.push(ty);
                }
                (WitType::Tuple(items), depth + 1)
            }
            TypeDefKind::Option(ty) => {
                let (inner, depth) = self.convert(ty, next)?;
                if matches!(self.resolve_alias(&inner), WitType::Option(_)) {
                    return Err(self.unsupported(
                        "option<option<T>> is not supported: JavaScript's null cannot tell its two kinds of none apart",
                    ));
                }
                (WitType::Option(Box::new(inner)), depth + 1)
            }
            TypeDefKind::Result(result) => {
                let mut depth = 0;
                let mut side = |this: &mut Self, ty: &Option<Type>| -> Result<Option<Box<WitType>>, WitError> {
                    let Some(ty) = ty else { return Ok(None) };
                    let (ty, d) = this.convert(ty, next)?;
                    depth = depth.max(d);
                    Ok(Some(Box::new(ty)))
                };
                let ok = side(self, &result.ok)?;
                let err = side(self, &result.err)?;
                (WitType::Result { ok, err }, depth + 1)
            }
            TypeDefKind::Resource | TypeDefKind::Handle(_) => {
                return Err(self.unsupported("resources are not supported"));
            }
            TypeDefKind::Future(_) | TypeDefKind::Stream(_) => {
                return Err(self.unsupported("futures and streams are not supported"));
            }
            TypeDefKind::Map(..) => return Err(self.unsupported("maps are not supported")),
            TypeDefKind::Record(_)
            | TypeDefKind::Variant(_)
            | TypeDefKind::Enum(_)
            | TypeDefKind::Flags(_)
            | TypeDefKind::Unknown => return Err(self.unsupported("a type wit-parser left unresolved")),
        })
    }

    fn resolve_alias<'t>(&'t self, mut ty: &'t WitType) -> &'t WitType {
        while let WitType::Named(index) = ty {
            match &self.types[*index].kind {
                TypeKind::Alias(inner) => ty = inner,
                _ => break,
            }
        }
        ty
    }
}

fn keyword(kind: &TypeDefKind) -> &'static str {
    match kind {
        TypeDefKind::Record(_) => "record",
        TypeDefKind::Variant(_) => "variant",
        TypeDefKind::Enum(_) => "enum",
        TypeDefKind::Flags(_) => "flags",
        TypeDefKind::Resource => "resource",
        _ => "type",
    }
}

/// JavaScript names already used in one scope, to refuse two WIT names that
/// become the same JavaScript name.
#[derive(Default)]
struct Names(HashMap<String, String>);

impl Names {
    fn claim(&mut self, converter: &Converter<'_>, wit: &str, js: &str) -> Result<(), WitError> {
        if let Some(other) = self.0.insert(js.to_owned(), wit.to_owned()) {
            return Err(converter.unsupported(format!("`{other}` and `{wit}` are both `{js}` in JavaScript")));
        }
        Ok(())
    }
}
