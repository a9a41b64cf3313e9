//! Compiling and evaluating the code forms.
//!
//! # Normalisation rules (`code-form.auto`)
//!
//! The code is tried, in order, as:
//!
//! 1. **An expression.** The code with trailing semicolons and whitespace
//!    removed is parsed as one parenthesised expression. If that parses, the
//!    expression's value is the result; if the value is a function (a lone
//!    `async (input, env) => { ... }`, `function main(input) { ... }`), it is
//!    called as `fn(input, env)` and its awaited return value is the result.
//!    `{ a: 1 }` is therefore an object, not a block.
//! 2. **A script body.** The code is parsed as a sloppy-mode script in which
//!    top-level `await` works; if that fails, as a plain sloppy script (where
//!    `await` is an ordinary name: `var await = 1`). Code in which `await`
//!    does not occur is parsed as the plain script first, which gives the
//!    same result with less work per run. The value of the last
//!    expression statement (the script's completion value) is the result,
//!    awaited.
//! 3. **An ES module.** The code is parsed as a module (strict). A default
//!    export that is a function is called as `fn(input, env)` and its awaited
//!    return value is the result; a class is refused (it cannot be called:
//!    `isobox dispatch` runs a class with a `fetch` method as a worker); any
//!    other default export (an object, a promise) is the result itself,
//!    awaited.
//! 4. **A function body.** Code with a top-level `return` (`const a = 2;
//!    return a * input.n`) is the body of `async function (input, env)`,
//!    called once; what it returns, awaited, is the result.
//!
//! If none parses, the syntax error reported is the module's when the code
//! has an `import` or `export` statement, the script's otherwise.
//!
//! `input` and `env` are also globals, so a script body can read them.
//! Parsing only compiles: no code runs until a form has been chosen.

use std::ffi::CString;

use rquickjs::function::This;
use rquickjs::{Ctx, Function, Value, qjs};

use crate::bindings::isobox::sandbox::types::{CodeForm, Compiled, CompiledForm, ErrorKind, Phase};
use crate::failure::Failure;

/// The form the code was found to have, compiled but not yet run.
pub enum Form<'js> {
    Expression(Value<'js>),
    /// A script compiled with top-level await: it evaluates to a promise
    /// of its completion record.
    AsyncScript(Value<'js>),
    /// A plain sloppy script: it evaluates to its completion value.
    Script(Value<'js>),
    Module(RawModule),
    /// The code wrapped as `(async function (input, env) { ... })`, the
    /// wrapper on a line 0 of its own so positions are the code's.
    FunctionBody(Value<'js>),
}

/// A compiled module, kept as QuickJS's raw value. Module values are owned by
/// the runtime's module list and must never be freed through a `Value` (QuickJS
/// aborts), so this type frees nothing; the instance is discarded after the run.
pub struct RawModule(qjs::JSValue);

/// What evaluating the code gave: a value or a promise of it.
pub struct Evaluation<'js> {
    pub value: Value<'js>,
    /// How a script's value becomes the result; `None` for the other forms,
    /// whose value is the result.
    pub script: Option<Completion>,
}

/// What a script body evaluates to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// A promise of the completion record `{ value }` (top-level await).
    Record,
    /// The completion value itself.
    Value,
}

/// Compiles the code in the requested form; nothing of it runs.
pub fn compile<'js>(ctx: &Ctx<'js>, code: &str, filename: &str, form: CodeForm) -> Result<Form<'js>, Failure> {
    let file = c_filename(filename);
    Ok(match form {
        CodeForm::Auto => choose_form(ctx, code, &file)?,
        CodeForm::Script => match compile_expression(ctx, code, &file) {
            Ok(function) => Form::Expression(function),
            Err(_) => compile_any_script(ctx, code, &file).map_err(|e| compile_failure(ctx, e))?,
        },
        CodeForm::Module => Form::Module(compile_module(ctx, code, &file).map_err(|e| compile_failure(ctx, e))?),
    })
}

/// Runs compiled code: calls a lone function or a module's default export
/// with `(input, env)`. The value returned may be a promise.
pub fn evaluate<'js>(
    ctx: &Ctx<'js>,
    form: Form<'js>,
    input: Value<'js>,
    env: Value<'js>,
) -> Result<Evaluation<'js>, Failure> {
    let script = |value, completion| {
        Ok(Evaluation {
            value,
            script: Some(completion),
        })
    };
    let value = match form {
        Form::Expression(compiled) | Form::FunctionBody(compiled) => {
            let value = run_compiled(ctx, compiled)?;
            match value.as_function() {
                Some(function) => call_entry(ctx, function, input, env)?,
                None => value,
            }
        }
        Form::AsyncScript(compiled) => return script(run_compiled(ctx, compiled)?, Completion::Record),
        Form::Script(compiled) => return script(run_compiled(ctx, compiled)?, Completion::Value),
        Form::Module(module) => evaluate_module(ctx, module, input, env)?,
    };
    Ok(Evaluation { value, script: None })
}

/// The compiled form as bytecode, for the host's cache.
pub fn to_bytecode(ctx: &Ctx<'_>, form: &Form<'_>) -> Option<Compiled> {
    let (kind, raw) = match form {
        Form::Expression(f) => (CompiledForm::Expression, f.as_raw()),
        Form::AsyncScript(f) => (CompiledForm::AsyncScript, f.as_raw()),
        Form::Script(f) => (CompiledForm::Script, f.as_raw()),
        Form::FunctionBody(f) => (CompiledForm::FunctionBody, f.as_raw()),
        Form::Module(module) => (CompiledForm::Module, module.0),
    };
    write_bytecode(ctx, raw).map(|bytecode| Compiled { form: kind, bytecode })
}

/// A compiled function or module (`raw`, live in this context, not yet
/// run) as QuickJS bytecode; None when QuickJS cannot write it.
pub fn write_bytecode(ctx: &Ctx<'_>, raw: qjs::JSValue) -> Option<Vec<u8>> {
    let mut length = 0;
    // SAFETY: `raw` is a live compiled function or module of this context;
    // the buffer QuickJS returns is `length` bytes, copied and then freed
    // with js_free.
    unsafe {
        let buffer = qjs::JS_WriteObject(
            ctx.as_raw().as_ptr(),
            &mut length,
            raw,
            qjs::JS_WRITE_OBJ_BYTECODE as i32,
        );
        if buffer.is_null() {
            let _ = ctx.catch();
            return None;
        }
        let bytecode = std::slice::from_raw_parts(buffer, length as usize).to_vec();
        qjs::js_free(ctx.as_raw().as_ptr(), buffer.cast());
        Some(bytecode)
    }
}

/// Compiles `source` as a module named `name` (strict), which registers it
/// among the loaded modules and resolves its imports; nothing of it runs.
/// The module value is raw: see [`RawModule`].
pub fn compile_module_named<'js>(ctx: &Ctx<'js>, source: &str, name: &str) -> Result<qjs::JSValue, Value<'js>> {
    compile_module(ctx, source, &c_filename(name)).map(|module| module.0)
}

/// Reads bytecode that `to_bytecode` wrote in an earlier run. The bytes must
/// stay alive while the code runs: a module keeps pointing into them.
pub fn from_bytecode<'js>(ctx: &Ctx<'js>, compiled: &Compiled, filename: &str) -> Result<Form<'js>, Failure> {
    let failed = |ctx: &Ctx<'js>| Failure::from_pending(ctx, Phase::Compile);
    if compiled.form == CompiledForm::Module {
        // SAFETY: the bytes are this engine's own bytecode, written by
        // `to_bytecode` before any user code ran; QuickJS copies them.
        // Reading does not resolve imports: QuickJS's own loader resolves
        // them next, as this does.
        unsafe {
            let raw = qjs::JS_ReadObject(
                ctx.as_raw().as_ptr(),
                compiled.bytecode.as_ptr(),
                compiled.bytecode.len() as _,
                qjs::JS_READ_OBJ_BYTECODE as i32,
            );
            if qjs::JS_IsException(raw) || qjs::JS_VALUE_GET_TAG(raw) != qjs::JS_TAG_MODULE {
                return Err(failed(ctx));
            }
            if qjs::JS_ResolveModule(ctx.as_raw().as_ptr(), raw) < 0 {
                return Err(failed(ctx));
            }
            return Ok(Form::Module(RawModule(raw)));
        }
    }
    // SAFETY: as above; the returned value is owned.
    let value = unsafe {
        let raw = qjs::JS_ReadObject(
            ctx.as_raw().as_ptr(),
            compiled.bytecode.as_ptr(),
            compiled.bytecode.len() as _,
            qjs::JS_READ_OBJ_BYTECODE as i32,
        );
        if qjs::JS_IsException(raw) {
            return Err(failed(ctx));
        }
        Value::from_raw(ctx.clone(), raw)
    };
    Ok(match compiled.form {
        CompiledForm::Expression => {
            crate::failure::line_one_shift(filename, 1);
            Form::Expression(value)
        }
        CompiledForm::AsyncScript => Form::AsyncScript(value),
        CompiledForm::FunctionBody => {
            crate::failure::line_one_shift(filename, FUNCTION_BODY_PREFIX.len() as u32);
            Form::FunctionBody(value)
        }
        // A module returned above.
        CompiledForm::Script | CompiledForm::Module => Form::Script(value),
    })
}

fn choose_form<'js>(ctx: &Ctx<'js>, code: &str, file: &CString) -> Result<Form<'js>, Failure> {
    if let Ok(compiled) = compile_expression(ctx, code, file) {
        return Ok(Form::Expression(compiled));
    }
    let script_error = match compile_any_script(ctx, code, file) {
        Ok(form) => return Ok(form),
        Err(error) => error,
    };
    let module_error = match compile_module(ctx, code, file) {
        Ok(module) => return Ok(Form::Module(module)),
        Err(error) => error,
    };
    if let Ok(function) = compile_function_body(ctx, code, file) {
        return Ok(Form::FunctionBody(function));
    }
    Err(compile_failure(
        ctx,
        if has_module_syntax(code) {
            module_error
        } else {
            script_error
        },
    ))
}

/// A script with top-level await, or else a plain sloppy script (in which
/// `await` is a name); the error is the first's.
///
/// Code that never says `await` has no top-level await, so it is tried as
/// a plain script first: its completion value is the same, and it runs
/// without the async function, promise and job a top-level-await script
/// costs every run (about 12,000 fuel, half a trivial run's).
fn compile_any_script<'js>(ctx: &Ctx<'js>, code: &str, file: &CString) -> Result<Form<'js>, Value<'js>> {
    let plain = || compile_raw(ctx, code, file, qjs::JS_EVAL_TYPE_GLOBAL as i32, 1).map(Form::Script);
    let awaits = code.contains("await");
    if !awaits && let Ok(form) = plain() {
        return Ok(form);
    }
    let async_error = match compile_async_script(ctx, code, file) {
        Ok(compiled) => return Ok(Form::AsyncScript(compiled)),
        Err(error) => error,
    };
    if !awaits {
        // The plain script was tried first and failed.
        return Err(async_error);
    }
    plain().map_err(|_| async_error)
}

/// What the function body form puts before the code, on its first line.
const FUNCTION_BODY_PREFIX: &str = "(async function (input, env) {";

/// The code as the body of `async function (input, env)`, for snippets
/// with a top-level `return`. The wrapper shares the code's first line, so
/// lines keep their numbers; columns on line 1 are corrected in stacks.
fn compile_function_body<'js>(ctx: &Ctx<'js>, code: &str, file: &CString) -> Result<Value<'js>, Value<'js>> {
    // Only code that returns is a function body: anything else keeps the
    // script's or the module's error.
    if !code.contains("return") {
        return Err(Value::new_undefined(ctx.clone()));
    }
    let wrapped = format!("{FUNCTION_BODY_PREFIX}{code}\n}})");
    let compiled = compile_raw(ctx, &wrapped, file, qjs::JS_EVAL_TYPE_GLOBAL as i32, 1)?;
    crate::failure::line_one_shift(&file.to_string_lossy(), FUNCTION_BODY_PREFIX.len() as u32);
    Ok(compiled)
}

/// True when some line starts with an `import` or `export` statement.
fn has_module_syntax(code: &str) -> bool {
    code.lines().any(|line| {
        let line = line.trim_start();
        ["import", "export"].iter().any(|kw| {
            line.strip_prefix(kw)
                .is_some_and(|rest| rest.starts_with([' ', '{', '*', '\t']) || rest.is_empty())
        })
    })
}

fn c_filename(filename: &str) -> CString {
    // The host rejects NUL bytes in names; replace them anyway rather than fail.
    CString::new(filename.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

/// Parses `code` as a single parenthesised expression, without running it.
///
/// The `(` shares the first line with the code (QuickJS numbers lines from
/// 1 at the least), so positions on line 1 are one column late;
/// `failure::line_one_shift` corrects the stacks the host sees.
fn compile_expression<'js>(ctx: &Ctx<'js>, code: &str, file: &CString) -> Result<Value<'js>, Value<'js>> {
    let body = code
        .trim_end()
        .trim_end_matches(|c: char| c == ';' || c.is_whitespace());
    // Leading semicolons (TypeScript's erased declarations leave one) become
    // spaces, so positions stay.
    let lead = body.len() - body.trim_start_matches(|c: char| c == ';' || c.is_whitespace()).len();
    let body = if body[..lead].contains(';') {
        std::borrow::Cow::Owned(body[..lead].replace(';', " ") + &body[lead..])
    } else {
        std::borrow::Cow::Borrowed(body)
    };
    // The newline before `)` ends a trailing line comment.
    let wrapped = format!("({body}\n)");
    let compiled = compile_raw(ctx, &wrapped, file, qjs::JS_EVAL_TYPE_GLOBAL as i32, 1)?;
    crate::failure::line_one_shift(&file.to_string_lossy(), 1);
    Ok(compiled)
}

/// True when `code` is nothing but `function`'s own source text, with only
/// comments, whitespace and semicolons around it: a lone function expression
/// that the expression form could not parse (`(x) => x + 1; // note`).
pub fn is_lone_function<'js>(ctx: &Ctx<'js>, code: &str, function: &Function<'js>) -> bool {
    let to_string: Option<Function> = ctx
        .globals()
        .get::<_, Value>("Function")
        .ok()
        .and_then(|f| f.as_object()?.get::<_, Value>("prototype").ok())
        .and_then(|p| p.as_object()?.get("toString").ok());
    let Some(source) = to_string.and_then(|t| t.call::<_, String>((This(function.clone()),)).ok()) else {
        let _ = ctx.catch();
        return false;
    };
    let start = skip_trivia(code, 0, true);
    code[start..]
        .strip_prefix(source.as_str())
        .is_some_and(|rest| skip_trivia(rest, 0, true) == rest.len())
}

/// The offset of the first byte at or after `from` that is not whitespace, a
/// comment or (with `semicolons`) a `;`.
fn skip_trivia(text: &str, mut from: usize, semicolons: bool) -> usize {
    let bytes = text.as_bytes();
    while from < bytes.len() {
        match bytes[from] {
            b' ' | b'\t' | b'\n' | b'\r' => from += 1,
            b';' if semicolons => from += 1,
            b'/' if bytes.get(from + 1) == Some(&b'/') => {
                from = text[from..].find('\n').map_or(bytes.len(), |end| from + end + 1);
            }
            b'/' if bytes.get(from + 1) == Some(&b'*') => match text[from + 2..].find("*/") {
                Some(end) => from += 2 + end + 2,
                None => return from,
            },
            _ if text[from..].starts_with(char::is_whitespace) => {
                from += text[from..].chars().next().map_or(1, char::len_utf8);
            }
            _ => return from,
        }
    }
    from
}

fn compile_async_script<'js>(ctx: &Ctx<'js>, code: &str, file: &CString) -> Result<Value<'js>, Value<'js>> {
    let flags = (qjs::JS_EVAL_TYPE_GLOBAL | qjs::JS_EVAL_FLAG_ASYNC) as i32;
    compile_raw(ctx, code, file, flags, 1)
}

fn compile_module<'js>(ctx: &Ctx<'js>, code: &str, file: &CString) -> Result<RawModule, Value<'js>> {
    let flags = (qjs::JS_EVAL_TYPE_MODULE | qjs::JS_EVAL_FLAG_STRICT) as i32;
    // A module value is kept raw: see RawModule.
    compile_to_raw(ctx, code, file, flags, 1).map(RawModule)
}

/// Compiles without running; returns the compiled function or the exception.
fn compile_raw<'js>(
    ctx: &Ctx<'js>,
    source: &str,
    file: &CString,
    flags: i32,
    line_num: i32,
) -> Result<Value<'js>, Value<'js>> {
    let raw = compile_to_raw(ctx, source, file, flags, line_num)?;
    // SAFETY: the value is owned and of this context; `Value` takes it over.
    Ok(unsafe { Value::from_raw(ctx.clone(), raw) })
}

/// JS_Eval2 with COMPILE_ONLY: the owned compiled value, or the exception.
fn compile_to_raw<'js>(
    ctx: &Ctx<'js>,
    source: &str,
    file: &CString,
    flags: i32,
    line_num: i32,
) -> Result<qjs::JSValue, Value<'js>> {
    let mut buffer = Vec::with_capacity(source.len() + 1);
    buffer.extend_from_slice(source.as_bytes());
    buffer.push(0); // JS_Eval2 wants a NUL after the `source.len()` bytes.
    let mut options = qjs::JSEvalOptions {
        version: qjs::JS_EVAL_OPTIONS_VERSION as i32,
        eval_flags: flags | qjs::JS_EVAL_FLAG_COMPILE_ONLY as i32,
        filename: file.as_ptr(),
        line_num,
    };
    // SAFETY: `buffer` is NUL-terminated and outlives the call, `file` is a
    // valid C string, and the context pointer comes from a live `Ctx`.
    unsafe {
        let raw = qjs::JS_Eval2(
            ctx.as_raw().as_ptr(),
            buffer.as_ptr().cast(),
            source.len() as _,
            &mut options,
        );
        if qjs::JS_IsException(raw) {
            Err(ctx.catch())
        } else {
            Ok(raw)
        }
    }
}

/// Compiles and runs a strict script under `name`; the exception stays
/// pending on failure.
pub fn eval_named<'js>(ctx: &Ctx<'js>, source: &str, name: &str) -> Result<Value<'js>, ()> {
    let flags = (qjs::JS_EVAL_TYPE_GLOBAL | qjs::JS_EVAL_FLAG_STRICT) as i32;
    let compiled = compile_raw(ctx, source, &c_filename(name), flags, 1).map_err(|exception| {
        ctx.throw(exception);
    })?;
    let raw = compiled.as_raw();
    std::mem::forget(compiled);
    // SAFETY: as in `run_compiled`.
    unsafe {
        let result = qjs::JS_EvalFunction(ctx.as_raw().as_ptr(), raw);
        if qjs::JS_IsException(result) {
            Err(())
        } else {
            Ok(Value::from_raw(ctx.clone(), result))
        }
    }
}

/// Runs a function that `compile_raw` returned.
fn run_compiled<'js>(ctx: &Ctx<'js>, compiled: Value<'js>) -> Result<Value<'js>, Failure> {
    let raw = compiled.as_raw();
    // JS_EvalFunction takes over the reference `compiled` holds.
    std::mem::forget(compiled);
    // SAFETY: `raw` is an owned compiled function from this context; the
    // returned value is owned and handed to `Value::from_raw`.
    unsafe {
        let result = qjs::JS_EvalFunction(ctx.as_raw().as_ptr(), raw);
        if qjs::JS_IsException(result) {
            Err(Failure::from_pending(ctx, Phase::Run))
        } else {
            Ok(Value::from_raw(ctx.clone(), result))
        }
    }
}

fn compile_failure<'js>(ctx: &Ctx<'js>, exception: Value<'js>) -> Failure {
    Failure::from_exception(ctx, Phase::Compile, exception)
}

pub fn call_entry<'js>(
    ctx: &Ctx<'js>,
    function: &Function<'js>,
    input: Value<'js>,
    env: Value<'js>,
) -> Result<Value<'js>, Failure> {
    function
        .call((input, env))
        .map_err(|_| Failure::from_pending(ctx, Phase::Run))
}

fn evaluate_module<'js>(
    ctx: &Ctx<'js>,
    module: RawModule,
    input: Value<'js>,
    env: Value<'js>,
) -> Result<Value<'js>, Failure> {
    let default = module_default(ctx, module)?;
    if is_class(ctx, &default) {
        return Err(Failure::new(
            Phase::Run,
            ErrorKind::InvalidInput,
            Some("TypeError"),
            "the module's default export is a class, which a run does not construct or call: \
             write `export default async function (input, env) { ... }` (a class with a fetch \
             method is a worker: run it with `isobox dispatch`)",
        ));
    }
    match default.as_function() {
        Some(function) => call_entry(ctx, function, input, env),
        None if default.is_undefined() => Err(Failure::new(
            Phase::Run,
            ErrorKind::InvalidInput,
            Some("TypeError"),
            "the module has no default export: write `export default async function (input, env) { ... }` \
             (or export the result value itself)",
        )),
        // `export default { ... }` or any other value: the value is the result.
        None => Ok(default),
    }
}

/// Whether `value` is a class (its source text starts with `class`): a
/// constructor that throws when called.
pub fn is_class<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> bool {
    let Some(function) = value.as_function() else {
        return false;
    };
    let to_string: Option<Function> = ctx
        .globals()
        .get::<_, Value>("Function")
        .ok()
        .and_then(|f| f.as_object()?.get::<_, Value>("prototype").ok())
        .and_then(|p| p.as_object()?.get("toString").ok());
    match to_string.and_then(|t| t.call::<_, String>((This(function.clone()),)).ok()) {
        Some(source) => source
            .strip_prefix("class")
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_whitespace() || c == '{')),
        None => {
            let _ = ctx.catch();
            false
        }
    }
}

/// Evaluates a module (top-level `await` settled) and gives its default
/// export, `undefined` when it has none.
pub fn module_default<'js>(ctx: &Ctx<'js>, module: RawModule) -> Result<Value<'js>, Failure> {
    let raw_ctx = ctx.as_raw().as_ptr();
    // SAFETY: `module.0` is a live module of this context. JS_EvalFunction
    // consumes the reference JS_DupValue adds and returns an owned promise;
    // JS_GetModuleNamespace returns an owned object.
    let (done, namespace) = unsafe {
        let done = qjs::JS_EvalFunction(raw_ctx, qjs::JS_DupValue(raw_ctx, module.0));
        if qjs::JS_IsException(done) {
            return Err(Failure::from_pending(ctx, Phase::Run));
        }
        let done = Value::from_raw(ctx.clone(), done);
        let namespace = qjs::JS_GetModuleNamespace(raw_ctx, qjs::JS_VALUE_GET_PTR(module.0).cast());
        if qjs::JS_IsException(namespace) {
            return Err(Failure::from_pending(ctx, Phase::Run));
        }
        (done, Value::from_raw(ctx.clone(), namespace))
    };
    crate::engine::settle(ctx, done)?;
    let namespace = namespace
        .into_object()
        .ok_or_else(|| Failure::from_pending(ctx, Phase::Run))?;
    namespace
        .get("default")
        .map_err(|_| Failure::from_pending(ctx, Phase::Run))
}
