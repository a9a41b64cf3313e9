//! A run's failure, built from a JS exception or stated by the sandbox.

use std::cell::RefCell;

use rquickjs::{Ctx, Object, Value, qjs};

use crate::bindings::isobox::sandbox::types::{ErrorKind, GuestError, Phase};

/// Longest message the sandbox sends; the host caps it again.
const MAX_MESSAGE_BYTES: usize = 8 * 1024;
/// Longest stack the sandbox sends.
const MAX_STACK_BYTES: usize = 16 * 1024;

pub struct Failure {
    phase: Phase,
    kind: ErrorKind,
    name: Option<String>,
    message: String,
    stack: Option<String>,
    position: Option<(u32, u32)>,
}

impl Failure {
    /// A failure the sandbox itself states.
    pub fn new(phase: Phase, kind: ErrorKind, name: Option<&str>, message: &str) -> Self {
        Failure {
            phase,
            kind,
            name: name.map(str::to_owned),
            message: message.to_owned(),
            stack: None,
            position: None,
        }
    }

    /// Takes the pending exception out of the context (it is lost otherwise).
    pub fn from_pending(ctx: &Ctx<'_>, phase: Phase) -> Self {
        let exception = ctx.catch();
        Self::from_exception(ctx, phase, exception)
    }

    /// Describes a thrown value: an Error's name, message and stack, or the
    /// text of any other value.
    pub fn from_exception<'js>(ctx: &Ctx<'js>, phase: Phase, exception: Value<'js>) -> Self {
        // SAFETY: JS_IsError only reads the value's tag and class.
        let is_error = unsafe { qjs::JS_IsError(exception.as_raw()) };
        let mut failure = match exception.as_object() {
            Some(error) if is_error => {
                let name = read_string(ctx, error, "name");
                let message = read_string(ctx, error, "message").unwrap_or_default();
                let stack = read_string(ctx, error, "stack")
                    .filter(|s| !s.is_empty())
                    .map(correct_line_one);
                Failure {
                    phase,
                    kind: ErrorKind::JsError,
                    name,
                    message,
                    stack,
                    position: None,
                }
            }
            _ => Failure::new(phase, ErrorKind::JsError, None, &describe(ctx, &exception)),
        };
        failure.kind = classify(&failure);
        if phase == Phase::Compile {
            failure.position = failure.stack.as_deref().and_then(first_position);
        }
        failure
    }

    pub fn into_guest_error(self) -> GuestError {
        GuestError {
            phase: self.phase,
            kind: self.kind,
            name: self.name,
            message: truncate(self.message, MAX_MESSAGE_BYTES),
            stack: self.stack.map(|s| truncate(s, MAX_STACK_BYTES)),
            line: self.position.map(|p| p.0),
            column: self.position.map(|p| p.1),
        }
    }

    /// Names the module the failure happened in, at the head of the message.
    #[cfg_attr(feature = "proxy", allow(dead_code))]
    pub fn in_module(mut self, name: &str) -> Self {
        self.message = format!("in module '{name}': {}", self.message);
        self
    }

    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// `Name: message` and the stack, as a console shows an error.
    pub fn describe(&self) -> String {
        let head = match &self.name {
            Some(name) => format!("{name}: {}", self.message),
            None => self.message.clone(),
        };
        match self.stack.as_deref().map(str::trim_end).filter(|s| !s.is_empty()) {
            Some(stack) => format!("{head}\n{stack}"),
            None => head,
        }
    }
}

thread_local! {
    /// The entry file's name and how many columns a prefix on its line 1
    /// adds: the expression form's `(` (1), the function body's wrapper.
    static LINE_ONE_SHIFT: RefCell<(String, u32)> = const { RefCell::new((String::new(), 0)) };
}

/// Records that positions on line 1 of `file` are `columns` late (0: none).
pub fn line_one_shift(file: &str, columns: u32) {
    LINE_ONE_SHIFT.with(|shift| {
        let mut shift = shift.borrow_mut();
        file.clone_into(&mut shift.0);
        shift.1 = columns;
    });
}

/// Moves `FILE:1:N` positions of the entry file back by the recorded shift.
fn correct_line_one(stack: String) -> String {
    LINE_ONE_SHIFT.with(|shift| {
        let shift = shift.borrow();
        let (file, columns) = (&shift.0, shift.1);
        if columns == 0 {
            return stack;
        }
        let marker = format!("{file}:1:");
        stack
            .lines()
            .map(|frame| match frame.rfind(&marker) {
                Some(at) => {
                    let (head, tail) = frame.split_at(at + marker.len());
                    let digits = tail.chars().take_while(char::is_ascii_digit).count();
                    match tail[..digits].parse::<u32>() {
                        Ok(column) if column > columns => format!("{head}{}{}", column - columns, &tail[digits..]),
                        _ => frame.to_owned(),
                    }
                }
                None => frame.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

fn classify(failure: &Failure) -> ErrorKind {
    match (failure.name.as_deref(), failure.message.as_str()) {
        (Some("RangeError"), "Maximum call stack size exceeded") => ErrorKind::StackOverflow,
        (Some("InternalError"), "stack overflow") => ErrorKind::StackOverflow,
        (Some("InternalError"), message) if message.starts_with("out of memory") => ErrorKind::OutOfMemory,
        _ => ErrorKind::JsError,
    }
}

/// A property as a string, ignoring getters that throw and non-strings.
fn read_string<'js>(ctx: &Ctx<'js>, object: &Object<'js>, key: &str) -> Option<String> {
    match object.get::<_, Value>(key) {
        Ok(value) => value.as_string().and_then(|s| s.to_string().ok()),
        Err(_) => {
            let _ = ctx.catch();
            None
        }
    }
}

/// Text for a thrown value that is not an Error.
fn describe<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> String {
    if let Some(text) = value.as_string().and_then(|s| s.to_string().ok()) {
        return text;
    }
    if value.is_object() {
        if let Ok(Some(json)) = ctx.json_stringify(value.clone())
            && let Ok(json) = json.to_string()
        {
            return json;
        }
        let _ = ctx.catch();
    }
    // SAFETY: JS_ToCString returns a C string owned by the context (freed
    // below) or null when conversion throws.
    unsafe {
        let raw_ctx = ctx.as_raw().as_ptr();
        let text = qjs::JS_ToCString(raw_ctx, value.as_raw());
        if text.is_null() {
            let _ = ctx.catch();
            return format!("a thrown {}", value.type_name());
        }
        let owned = std::ffi::CStr::from_ptr(text).to_string_lossy().into_owned();
        qjs::JS_FreeCString(raw_ctx, text);
        owned
    }
}

/// The `line:column` of the first stack frame, as QuickJS prints it
/// (`    at file.js:3:14`).
fn first_position(stack: &str) -> Option<(u32, u32)> {
    let frame = stack
        .lines()
        .next()?
        .trim()
        .strip_suffix(')')
        .unwrap_or_else(|| stack.lines().next().unwrap_or_default().trim());
    let mut parts = frame.rsplitn(3, ':');
    let column = parts.next()?.parse().ok()?;
    let line = parts.next()?.parse().ok()?;
    Some((line, column))
}

fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("… (truncated)");
    }
    text
}
