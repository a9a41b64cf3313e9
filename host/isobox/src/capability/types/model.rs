//! A capability's interface as the bridge sees it: its functions and the
//! named types they use, already checked (nothing unsupported is in here)
//! and already named for JavaScript. Built by
//! [`WitPackage::interface`](super::WitPackage::interface).

/// A WIT type. Named types (records, variants, enums, flags, named aliases)
/// are [`Named`](Self::Named) indices into [`CapabilityInterface::types`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum WitType {
    Bool,
    U8,
    U16,
    U32,
    U64,
    S8,
    S16,
    S32,
    S64,
    F32,
    F64,
    Char,
    String,
    /// `list<T>`.
    List(Box<WitType>),
    /// `list<T, N>`.
    FixedList(Box<WitType>, u32),
    /// `tuple<A, B, ...>`.
    Tuple(Vec<WitType>),
    /// `option<T>`; `T` is never itself an option.
    Option(Box<WitType>),
    /// `result<T, E>`, either side possibly absent.
    Result {
        ok: Option<Box<WitType>>,
        err: Option<Box<WitType>>,
    },
    /// A named type: an index into [`CapabilityInterface::types`].
    Named(usize),
}

impl WitType {
    /// The type as WIT writes it (`list<option<u32>>`, `person`), for
    /// messages; cut to 200 bytes.
    pub(crate) fn wit_name(&self, iface: &CapabilityInterface) -> String {
        let name = match self {
            WitType::Bool => "bool".into(),
            WitType::U8 => "u8".into(),
            WitType::U16 => "u16".into(),
            WitType::U32 => "u32".into(),
            WitType::U64 => "u64".into(),
            WitType::S8 => "s8".into(),
            WitType::S16 => "s16".into(),
            WitType::S32 => "s32".into(),
            WitType::S64 => "s64".into(),
            WitType::F32 => "f32".into(),
            WitType::F64 => "f64".into(),
            WitType::Char => "char".into(),
            WitType::String => "string".into(),
            WitType::List(item) => format!("list<{}>", item.wit_name(iface)),
            WitType::FixedList(item, n) => format!("list<{}, {n}>", item.wit_name(iface)),
            WitType::Tuple(items) => {
                let items: Vec<String> = items.iter().map(|t| t.wit_name(iface)).collect();
                format!("tuple<{}>", items.join(", "))
            }
            WitType::Option(inner) => format!("option<{}>", inner.wit_name(iface)),
            WitType::Result { ok, err } => {
                let side = |t: &Option<Box<WitType>>| t.as_ref().map(|t| t.wit_name(iface));
                match (side(ok), side(err)) {
                    (None, None) => "result".to_owned(),
                    (Some(ok), None) => format!("result<{ok}>"),
                    (ok, Some(err)) => format!("result<{}, {err}>", ok.as_deref().unwrap_or("_")),
                }
            }
            WitType::Named(index) => iface.types[*index].wit_name.clone(),
        };
        crate::text::truncated(&name, 200)
    }
}

/// A named type of the interface (or of one it `use`s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeDef {
    /// The WIT name: `user-profile`.
    pub wit_name: String,
    /// The TypeScript name: `UserProfile` (made unique within the
    /// interface, and never `Promise` or `Uint8Array`).
    pub ts_name: String,
    /// The WIT `///` documentation.
    pub docs: Option<String>,
    /// What it is.
    pub kind: TypeKind,
}

/// The shape of a named type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeKind {
    /// `record`: an object with these fields, in WIT order.
    Record(Vec<Field>),
    /// `variant`: `{ tag, val? }`.
    Variant(Vec<Case>),
    /// `enum`: one of these names.
    Enum(Vec<Case>),
    /// `flags`: an object of booleans.
    Flags(Vec<Field>),
    /// `type name = T`.
    Alias(WitType),
}

impl TypeKind {
    pub(crate) fn keyword(&self) -> &'static str {
        match self {
            TypeKind::Record(_) => "record",
            TypeKind::Variant(_) => "variant",
            TypeKind::Enum(_) => "enum",
            TypeKind::Flags(_) => "flags",
            TypeKind::Alias(_) => "type",
        }
    }
}

/// A record field, or a flag (whose `ty` is `bool`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The WIT name: `user-id`.
    pub wit_name: String,
    /// The JavaScript key: `userId`.
    pub js_name: String,
    /// The WIT `///` documentation.
    pub docs: Option<String>,
    /// Its type.
    pub ty: WitType,
}

/// A variant or enum case. Variant tags and enum values are the WIT names,
/// unchanged (`"not-found"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The WIT name.
    pub name: String,
    /// The WIT `///` documentation.
    pub docs: Option<String>,
    /// The payload type (always `None` for enums).
    pub ty: Option<WitType>,
}

/// A function parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// The WIT name.
    pub wit_name: String,
    /// The name in TypeScript declarations (camelCase; `_` appended to a
    /// reserved word).
    pub js_name: String,
    /// Its type.
    pub ty: WitType,
}

/// A function of the interface: a method of the JavaScript binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// The WIT name: `get-user`.
    pub wit_name: String,
    /// The JavaScript method name: `getUser`.
    pub js_name: String,
    /// The WIT `///` documentation.
    pub docs: Option<String>,
    /// Its parameters, in order.
    pub params: Vec<Param>,
    /// Its result type, if any.
    pub result: Option<WitType>,
    /// Declared `async func` in WIT.
    pub is_async: bool,
}

impl Function {
    /// The fewest arguments a call may pass: trailing `option` parameters
    /// may be left out (they are `none`).
    pub fn min_args(&self, iface: &CapabilityInterface) -> usize {
        let optional = self
            .params
            .iter()
            .rev()
            .take_while(|param| matches!(iface.resolve(&param.ty), WitType::Option(_)))
            .count();
        self.params.len() - optional
    }
}

/// One WIT interface, checked and named for JavaScript: what a capability
/// offers. Build it with [`WitPackage::interface`](super::WitPackage::interface)
/// or [`CapabilityInterface::from_wit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapabilityInterface {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) docs: Option<String>,
    pub(crate) functions: Vec<Function>,
    pub(crate) types: Vec<TypeDef>,
}

impl CapabilityInterface {
    /// The fully qualified name: `isobox:kv/store@0.1.0`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The interface's own name: `store`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The WIT `///` documentation of the interface.
    pub fn docs(&self) -> Option<&str> {
        self.docs.as_deref()
    }

    /// The functions, in WIT order.
    pub fn functions(&self) -> &[Function] {
        &self.functions
    }

    /// The named types the functions use (those of other interfaces
    /// included), each before any type that refers to it.
    pub fn types(&self) -> &[TypeDef] {
        &self.types
    }

    /// The function a guest calls as `name` (its JavaScript name), or by its
    /// WIT name.
    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions
            .iter()
            .find(|f| f.js_name == name)
            .or_else(|| self.functions.iter().find(|f| f.wit_name == name))
    }

    /// `ty` with named aliases followed to what they name.
    pub fn resolve<'a>(&'a self, mut ty: &'a WitType) -> &'a WitType {
        // Alias chains are finite: a type can only name types defined before it.
        while let WitType::Named(index) = ty {
            match &self.types[*index].kind {
                TypeKind::Alias(inner) => ty = inner,
                _ => break,
            }
        }
        ty
    }
}
