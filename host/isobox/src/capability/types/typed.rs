//! Typed access to [`Val`]s for capabilities written in Rust: take the
//! arguments as a tuple of Rust values, return a Rust value.
//!
//! ```
//! use isobox::capability::{FromArgs, IntoVal};
//! use wasmtime::component::Val;
//!
//! // put: func(key: string, value: list<u8>, ttl: option<u32>)
//! let args = [Val::String("k".into()), Val::List(vec![Val::U8(1), Val::U8(2)]), Val::Option(None)];
//! let (key, value, ttl) = <(String, Vec<u8>, Option<u32>)>::from_args(&args)?;
//! assert_eq!((key.as_str(), value.as_slice(), ttl), ("k", &[1u8, 2][..], None));
//!
//! // -> result<u64, string>
//! let reply: Result<u64, String> = Ok(7);
//! assert!(matches!(reply.into_val(), Val::Result(Ok(Some(v))) if matches!(*v, Val::U64(7))));
//! # Ok::<(), isobox::capability::ValError>(())
//! ```
//!
//! Records, variants, enums and flags stay [`Val`]s (use
//! [`record_field`] to read a record); the bridge has already checked every
//! argument against the WIT types, so a [`ValError`] here means the Rust
//! types do not match the WIT.

use wasmtime::component::Val;

/// A [`Val`] is not the Rust type asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected}, got {got}")]
pub struct ValError {
    /// The Rust type asked for, as WIT: `u32`, `list`, `tuple of 2` ...
    pub expected: String,
    /// What the value was.
    pub got: String,
}

fn mismatch(expected: impl Into<String>, got: &Val) -> ValError {
    ValError {
        expected: expected.into(),
        got: kind(got).to_owned(),
    }
}

fn kind(val: &Val) -> &'static str {
    match val {
        Val::Bool(_) => "bool",
        Val::S8(_) => "s8",
        Val::U8(_) => "u8",
        Val::S16(_) => "s16",
        Val::U16(_) => "u16",
        Val::S32(_) => "s32",
        Val::U32(_) => "u32",
        Val::S64(_) => "s64",
        Val::U64(_) => "u64",
        Val::Float32(_) => "f32",
        Val::Float64(_) => "f64",
        Val::Char(_) => "char",
        Val::String(_) => "string",
        Val::List(_) => "list",
        Val::FixedLengthList(_) => "fixed-length list",
        Val::Map(_) => "map",
        Val::Record(_) => "record",
        Val::Tuple(_) => "tuple",
        Val::Variant(..) => "variant",
        Val::Enum(_) => "enum",
        Val::Option(_) => "option",
        Val::Result(_) => "result",
        Val::Flags(_) => "flags",
        Val::Resource(_) => "resource",
        Val::Future(_) => "future",
        Val::Stream(_) => "stream",
        Val::ErrorContext(_) => "error-context",
    }
}

/// A Rust value read from a [`Val`].
pub trait FromVal: Sized {
    /// Reads `val`.
    ///
    /// # Errors
    /// [`ValError`] when `val` is of another type.
    fn from_val(val: &Val) -> Result<Self, ValError>;
}

/// A Rust value turned into a [`Val`].
pub trait IntoVal {
    /// Converts `self`.
    fn into_val(self) -> Val;
}

macro_rules! primitive {
    ($($rust:ty => $variant:ident, $wit:literal;)*) => {$(
        impl FromVal for $rust {
            fn from_val(val: &Val) -> Result<Self, ValError> {
                match val {
                    Val::$variant(v) => Ok(v.clone()),
                    other => Err(mismatch($wit, other)),
                }
            }
        }
        impl IntoVal for $rust {
            fn into_val(self) -> Val {
                Val::$variant(self)
            }
        }
    )*};
}

primitive! {
    bool => Bool, "bool";
    u8 => U8, "u8";
    u16 => U16, "u16";
    u32 => U32, "u32";
    u64 => U64, "u64";
    i8 => S8, "s8";
    i16 => S16, "s16";
    i32 => S32, "s32";
    i64 => S64, "s64";
    f32 => Float32, "f32";
    f64 => Float64, "f64";
    char => Char, "char";
    String => String, "string";
}

impl IntoVal for &str {
    fn into_val(self) -> Val {
        Val::String(self.to_owned())
    }
}

impl IntoVal for Val {
    fn into_val(self) -> Val {
        self
    }
}

impl FromVal for Val {
    fn from_val(val: &Val) -> Result<Self, ValError> {
        Ok(val.clone())
    }
}

/// `list<T>` (a `list<u8>` is a `Vec<u8>`).
impl<T: FromVal> FromVal for Vec<T> {
    fn from_val(val: &Val) -> Result<Self, ValError> {
        match val {
            Val::List(items) | Val::FixedLengthList(items) => items.iter().map(T::from_val).collect(),
            other => Err(mismatch("list", other)),
        }
    }
}

impl<T: IntoVal> IntoVal for Vec<T> {
    fn into_val(self) -> Val {
        Val::List(self.into_iter().map(IntoVal::into_val).collect())
    }
}

/// `option<T>`.
impl<T: FromVal> FromVal for Option<T> {
    fn from_val(val: &Val) -> Result<Self, ValError> {
        match val {
            Val::Option(None) => Ok(None),
            Val::Option(Some(inner)) => T::from_val(inner).map(Some),
            other => Err(mismatch("option", other)),
        }
    }
}

impl<T: IntoVal> IntoVal for Option<T> {
    fn into_val(self) -> Val {
        Val::Option(self.map(|v| Box::new(v.into_val())))
    }
}

/// `result<T, E>`; `()` stands for a missing side (`result<_, E>`).
impl<T: IntoVal, E: IntoVal> IntoVal for Result<T, E> {
    fn into_val(self) -> Val {
        let side = |val: Val| match val {
            Val::Tuple(items) if items.is_empty() => None,
            val => Some(Box::new(val)),
        };
        Val::Result(match self {
            Ok(v) => Ok(side(v.into_val())),
            Err(e) => Err(side(e.into_val())),
        })
    }
}

impl<T: FromVal, E: FromVal> FromVal for Result<T, E> {
    fn from_val(val: &Val) -> Result<Self, ValError> {
        let side = |payload: &Option<Box<Val>>| match payload {
            Some(v) => Ok(v.as_ref().clone()),
            None => Ok(Val::Tuple(Vec::new())),
        };
        match val {
            Val::Result(Ok(v)) => Ok(Ok(T::from_val(&side(v)?)?)),
            Val::Result(Err(e)) => Ok(Err(E::from_val(&side(e)?)?)),
            other => Err(mismatch("result", other)),
        }
    }
}

/// Arguments read as a tuple of Rust values, one per parameter.
pub trait FromArgs: Sized {
    /// Reads `args` (wasmtime's parameter slice, or what
    /// [`lift_args`](super::lift_args) returned).
    ///
    /// # Errors
    /// [`ValError`] for a wrong count or type.
    fn from_args(args: &[Val]) -> Result<Self, ValError>;
}

macro_rules! tuples {
    ($($n:literal: ($($t:ident $i:tt),*);)*) => {$(
        /// `tuple<...>` and argument lists; `()` is no value (a missing
        /// `result` side, or no arguments).
        impl<$($t: FromVal),*> FromVal for ($($t,)*) {
            #[allow(unused_variables)]
            fn from_val(val: &Val) -> Result<Self, ValError> {
                match val {
                    Val::Tuple(items) if items.len() == $n => Ok(($($t::from_val(&items[$i])?,)*)),
                    other => Err(mismatch(concat!("tuple of ", $n), other)),
                }
            }
        }
        impl<$($t: IntoVal),*> IntoVal for ($($t,)*) {
            fn into_val(self) -> Val {
                Val::Tuple(vec![$(self.$i.into_val()),*])
            }
        }
        impl<$($t: FromVal),*> FromArgs for ($($t,)*) {
            #[allow(unused_variables)]
            fn from_args(args: &[Val]) -> Result<Self, ValError> {
                if args.len() != $n {
                    return Err(ValError {
                        expected: concat!($n, " arguments").to_owned(),
                        got: format!("{} arguments", args.len()),
                    });
                }
                Ok(($($t::from_val(&args[$i])?,)*))
            }
        }
    )*};
}

tuples! {
    0: ();
    1: (A 0);
    2: (A 0, B 1);
    3: (A 0, B 1, C 2);
    4: (A 0, B 1, C 2, D 3);
    5: (A 0, B 1, C 2, D 3, E 4);
    6: (A 0, B 1, C 2, D 3, E 4, F 5);
}

/// The field `name` (its WIT name, `user-id`) of a record `Val`, read as `T`.
///
/// ```
/// use isobox::capability::record_field;
/// use wasmtime::component::Val;
///
/// let user = Val::Record(vec![("user-id".into(), Val::U32(7)), ("name".into(), Val::String("ada".into()))]);
/// assert_eq!(record_field::<u32>(&user, "user-id")?, 7);
/// assert!(record_field::<u32>(&user, "age").is_err());
/// # Ok::<(), isobox::capability::ValError>(())
/// ```
///
/// # Errors
/// [`ValError`] when `record` is not a record, has no such field, or the
/// field is of another type.
pub fn record_field<T: FromVal>(record: &Val, name: &str) -> Result<T, ValError> {
    let Val::Record(fields) = record else {
        return Err(mismatch("record", record));
    };
    match fields.iter().find(|(field, _)| field == name) {
        Some((_, val)) => T::from_val(val),
        None => Err(ValError {
            expected: format!("a field `{name}`"),
            got: "a record without it".to_owned(),
        }),
    }
}
