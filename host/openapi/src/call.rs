//! One call: the request made from the arguments, sent through the
//! connection's egress, and the response read by its content type (JSON
//! as a value, text as a string, anything else as `{contentType, base64}`);
//! a status outside 2xx rejects with the status and the start of the body.

use std::sync::Arc;

use base64::Engine as _;
use isobox::capability::{CallContext, CapabilityError, JsonCallFuture, JsonToolHandler};
use serde_json::{Map, Value, json};

use crate::connection::BuiltConnection;
use crate::error::clip;
use crate::operations::is_json;
use crate::spec::{OpenApiSpec, is_text};

/// How many characters of an error response's body its message carries.
pub const MAX_ERROR_BODY_CHARS: usize = 600;

/// Calls operations of one spec over one connection.
pub(crate) struct OpenApiHandler {
    pub spec: Arc<OpenApiSpec>,
    pub connection: BuiltConnection,
}

impl JsonToolHandler for OpenApiHandler {
    fn call(&self, _context: CallContext, tool: &str, args: Map<String, Value>) -> JsonCallFuture {
        let spec = self.spec.clone();
        let connection = self.connection.clone();
        let method = tool.to_owned();
        Box::pin(async move { call(&spec, &connection, &method, &args).await })
    }
}

/// Makes the call `method(args)` and reads its response.
pub(crate) async fn call(
    spec: &OpenApiSpec,
    connection: &BuiltConnection,
    method: &str,
    args: &Map<String, Value>,
) -> Result<Value, CapabilityError> {
    let Some(operation) = spec.operation(method) else {
        return Err(CapabilityError::tool(format!("no operation {}", clip(method, 80))));
    };
    let request = crate::request::prepare(operation, connection.base(), args)
        .map_err(|e| CapabilityError::tool(e.to_string()))?;
    let headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let session = connection.egress().host_session();
    let response = session
        .send(&request.method, &request.url, &headers, request.body.into())
        .await
        .map_err(|e| {
            CapabilityError::tool(format!(
                "{method}: {} {} failed: {}",
                operation.http_method,
                operation.path,
                clip(&e.to_string(), 400)
            ))
        })?;
    let content_type = response
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if !(200..300).contains(&response.status) {
        let body = String::from_utf8_lossy(&response.body);
        return Err(CapabilityError::tool(format!(
            "HTTP {} from {} {}: {}",
            response.status,
            operation.http_method,
            operation.path,
            clip(body.trim(), MAX_ERROR_BODY_CHARS)
        )));
    }
    Ok(read_body(&content_type, &response.body))
}

/// A response body as the code gets it.
pub(crate) fn read_body(content_type: &str, body: &[u8]) -> Value {
    if body.is_empty() {
        return Value::Null;
    }
    if is_json(content_type)
        && !content_type.trim().starts_with("*/*")
        && let Ok(value) = serde_json::from_slice(body)
    {
        return value;
    }
    if (is_text(content_type) || is_json(content_type) || content_type.is_empty())
        && let Ok(text) = std::str::from_utf8(body)
    {
        return Value::String(text.to_owned());
    }
    json!({
        "contentType": content_type,
        "base64": base64::engine::general_purpose::STANDARD.encode(body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_read_by_content_type() {
        assert_eq!(
            read_body("application/json; charset=utf-8", br#"{"a":1}"#),
            json!({"a": 1})
        );
        assert_eq!(read_body("application/vnd.github+json", b"[1]"), json!([1]));
        assert_eq!(read_body("text/plain", b"hi"), json!("hi"));
        assert_eq!(read_body("application/json", b"not json"), json!("not json"));
        assert_eq!(read_body("application/json", b""), Value::Null);
        assert_eq!(
            read_body("image/png", &[0x89, b'P']),
            json!({"contentType": "image/png", "base64": "iVA="})
        );
    }
}
