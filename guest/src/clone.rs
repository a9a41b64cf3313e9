//! structuredClone (clone.js), with the two things JS cannot do itself: a
//! brand check by QuickJS class id, and detaching a transferred ArrayBuffer.

use rquickjs::{Ctx, Function, Object, Value, qjs};

const PRELUDE: &str = include_str!("clone.js");

/// Defines structuredClone. Runs at wizer time, after web.rs made
/// DOMException.
pub fn install<'js>(ctx: &Ctx<'js>, idl: &Object<'js>) -> rquickjs::Result<()> {
    let installer: Function = crate::engine::eval_prelude(ctx, "isobox:clone", PRELUDE)?;
    let class_id = Function::new(ctx.clone(), |value: Value<'_>| -> u32 {
        if !value.is_object() {
            return 0;
        }
        // SAFETY: `value` is a live value of this context; the call only
        // reads the object's class id.
        unsafe { qjs::JS_GetClassID(value.as_raw()) }
    })?;
    let detach = Function::new(ctx.clone(), |ctx: Ctx<'_>, buffer: Value<'_>| {
        // clone.js passes only ArrayBuffers it has checked by class id.
        if buffer.is_object() {
            // SAFETY: the context and the value are live; QuickJS checks the
            // class itself and ignores anything that is not an ArrayBuffer.
            unsafe { qjs::JS_DetachArrayBuffer(ctx.as_raw().as_ptr(), buffer.as_raw()) };
        }
    })?;
    installer.call::<_, ()>((idl.clone(), class_id, detach))
}
