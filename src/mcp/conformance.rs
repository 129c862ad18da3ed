//! Fixture tools, resources and prompts called by the MCP conformance suite
//! (`@modelcontextprotocol/conformance`). Served only with `conformance_fixtures`, never by
//! default.
//!
//! Four fixture tools send requests to the client (`sampling/createMessage`,
//! `elicitation/create`) through [`request_client`]; they are the only callers of it:
//! aether365's own tools are read-only and never send requests to the client.

use std::time::Duration;

use rmcp::model::{
    ContentBlock, GetPromptResult, Prompt, PromptArgument, PromptMessage, Resource,
    ResourceContents, ResourceTemplate, Role,
};
use serde_json::{Map, Value, json};

use super::context::RequestContext;
use super::error::McpError;
use super::logging::LogLevel;
use super::session::{ClientAsker, request_client};

/// A 1×1 transparent PNG.
const PNG_1X1: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
/// A tiny WAV header (silence).
const WAV_SILENCE: &str = "UklGRiQAAABXQVZFZm10IBAAAAABAAEARKwAAIhYAQACABAAZGF0YQAAAAA=";

fn tool(name: &str, description: &str) -> Value {
    json!({
        "name": name,
        "description": description,
        "inputSchema": {"type": "object", "properties": {}},
    })
}

/// A fixture tool with one required string argument.
fn tool_with_string(name: &str, description: &str, argument: &str) -> Value {
    json!({
        "name": name,
        "description": description,
        "inputSchema": {
            "type": "object",
            "properties": {argument: {"type": "string"}},
            "required": [argument],
        },
    })
}

/// Fixture tools.
pub fn tools() -> Vec<Value> {
    vec![
        tool("test_simple_text", "Returns simple text content"),
        tool("test_image_content", "Returns image content"),
        tool("test_audio_content", "Returns audio content"),
        tool("test_embedded_resource", "Returns an embedded resource"),
        tool(
            "test_multiple_content_types",
            "Returns text, image and resource content",
        ),
        tool("test_tool_with_logging", "Sends log messages while running"),
        tool("test_tool_with_progress", "Reports progress while running"),
        tool("test_error_handling", "Always fails with an error result"),
        tool_with_string(
            "test_sampling",
            "Asks the client to sample an LLM (sampling/createMessage)",
            "prompt",
        ),
        tool_with_string(
            "test_elicitation",
            "Asks the client for user input (elicitation/create)",
            "message",
        ),
        tool(
            "test_elicitation_sep1034_defaults",
            "Elicits input with a default for every primitive type (SEP-1034)",
        ),
        tool(
            "test_elicitation_sep1330_enums",
            "Elicits input with every enum schema variant (SEP-1330)",
        ),
        json!({
            "name": "json_schema_2020_12_tool",
            "description": "Tool with JSON Schema 2020-12 features",
            "inputSchema": {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "$defs": {"address": {"type": "object", "properties": {
                    "street": {"type": "string"}, "city": {"type": "string"}}}},
                "properties": {"name": {"type": "string"}, "address": {"$ref": "#/$defs/address"}},
                "additionalProperties": false,
            },
        }),
    ]
}

/// Fixture resources.
pub fn resources() -> Vec<Resource> {
    [
        ("test://static-text", "static-text", "text/plain"),
        ("test://static-binary", "static-binary", "image/png"),
        ("test://watched-resource", "watched-resource", "text/plain"),
    ]
    .into_iter()
    .map(|(uri, name, mime_type)| Resource::new(uri, name).with_mime_type(mime_type))
    .collect()
}

/// Fixture resource templates.
pub fn resource_templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new("test://template/{id}/data", "template-data")
            .with_mime_type("application/json"),
    ]
}

/// Fixture prompts.
pub fn prompts() -> Vec<Prompt> {
    let required = |name: &str, description: &str| {
        PromptArgument::new(name)
            .with_description(description)
            .with_required(true)
    };
    vec![
        Prompt::new("test_simple_prompt", Some("A simple prompt"), None),
        Prompt::new(
            "test_prompt_with_arguments",
            Some("A prompt with arguments"),
            Some(vec![required("arg1", "First"), required("arg2", "Second")]),
        ),
        Prompt::new(
            "test_prompt_with_embedded_resource",
            Some("A prompt with a resource"),
            Some(vec![required("resourceUri", "URI")]),
        ),
        Prompt::new(
            "test_prompt_with_image",
            Some("A prompt with an image"),
            None,
        ),
    ]
}

fn text(t: &str) -> Value {
    json!({"type": "text", "text": t})
}

fn embedded() -> Value {
    json!({"type": "resource", "resource": {"uri": "test://embedded-resource", "mimeType": "text/plain", "text": "This is an embedded resource content."}})
}

/// The `requestedSchema` of the `test_elicitation` tool.
fn user_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "username": {"type": "string", "description": "User's response"},
            "email": {"type": "string", "description": "User's email address"},
        },
        "required": ["username", "email"],
    })
}

/// A `requestedSchema` with a default for every primitive type (SEP-1034).
fn defaults_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "Name", "default": "John Doe"},
            "age": {"type": "integer", "description": "Age", "default": 30},
            "score": {"type": "number", "description": "Score", "default": 95.5},
            "status": {"type": "string", "description": "Status",
                       "enum": ["active", "inactive", "pending"], "default": "active"},
            "verified": {"type": "boolean", "description": "Verified", "default": true},
        },
    })
}

/// A `requestedSchema` with the five enum variants of SEP-1330.
fn enums_schema() -> Value {
    let titled = |pairs: &[(&str, &str)]| -> Vec<Value> {
        pairs
            .iter()
            .map(|(value, title)| json!({"const": value, "title": title}))
            .collect()
    };
    json!({
        "type": "object",
        "properties": {
            "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
            "titledSingle": {"type": "string", "oneOf": titled(&[
                ("value1", "First Option"), ("value2", "Second Option"), ("value3", "Third Option")])},
            "legacyEnum": {"type": "string", "enum": ["opt1", "opt2", "opt3"],
                           "enumNames": ["Option One", "Option Two", "Option Three"]},
            "untitledMulti": {"type": "array",
                              "items": {"type": "string", "enum": ["option1", "option2", "option3"]}},
            "titledMulti": {"type": "array", "items": {"anyOf": titled(&[
                ("value1", "First Choice"), ("value2", "Second Choice"), ("value3", "Third Choice")])}},
        },
    })
}

/// The text of a `sampling/createMessage` result (`content` is one block or, since
/// 2025-11-25, possibly an array).
fn sampled_text(result: &Value) -> String {
    let content = match result.get("content") {
        Some(Value::Array(blocks)) => blocks.first(),
        other => other,
    };
    content
        .and_then(|c| c.get("text"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// An `elicitation/create` result summarised as text.
fn elicited_text(prefix: &str, result: &Value) -> String {
    let action = result
        .get("action")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    let content = result.get("content").cloned().unwrap_or(Value::Null);
    format!("{prefix}: action={action}, content={content}")
}

/// Runs a fixture tool that sends a request to the client: the client's failure to answer
/// becomes an `isError` result.
async fn ask_client(
    ctx: &RequestContext,
    method: &str,
    params: Value,
    render: impl FnOnce(&Value) -> String,
) -> Value {
    let asker = ClientAsker {
        session: ctx.session.as_ref(),
        notifier: ctx.notifier.as_ref(),
        version: ctx.version,
        client_capabilities: &ctx.client_capabilities,
    };
    match request_client(asker, method, params).await {
        Ok(result) => json!({"content": [text(&render(&result))], "isError": false}),
        Err(e) => json!({"content": [text(&format!("{method} failed: {e}"))], "isError": true}),
    }
}

/// A string argument of a fixture tool ("" when absent).
fn string_argument<'a>(arguments: &'a Value, key: &str) -> &'a str {
    arguments
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Calls a fixture tool; `None` when `name` is not one (or fixtures are off).
pub async fn call_tool(
    ctx: &RequestContext,
    name: &str,
    arguments: &Value,
) -> Option<Result<Value, McpError>> {
    if !ctx.config.conformance_fixtures {
        return None;
    }
    let elicit =
        |message: &str, schema: Value| json!({"message": message, "requestedSchema": schema});
    match name {
        "test_sampling" => {
            let prompt = string_argument(arguments, "prompt");
            let params = json!({
                "messages": [{"role": "user", "content": text(prompt)}],
                "maxTokens": 100,
            });
            let result = ask_client(ctx, "sampling/createMessage", params, |r| {
                format!("LLM response: {}", sampled_text(r))
            });
            return Some(Ok(result.await));
        }
        "test_elicitation" => {
            let params = elicit(string_argument(arguments, "message"), user_schema());
            let result = ask_client(ctx, "elicitation/create", params, |r| {
                elicited_text("User response", r)
            });
            return Some(Ok(result.await));
        }
        "test_elicitation_sep1034_defaults" => {
            let params = elicit(
                "Please review and update the form fields with defaults",
                defaults_schema(),
            );
            let result = ask_client(ctx, "elicitation/create", params, |r| {
                elicited_text("Elicitation completed", r)
            });
            return Some(Ok(result.await));
        }
        "test_elicitation_sep1330_enums" => {
            let params = elicit("Please select options from the enum fields", enums_schema());
            let result = ask_client(ctx, "elicitation/create", params, |r| {
                elicited_text("Elicitation completed", r)
            });
            return Some(Ok(result.await));
        }
        _ => {}
    }
    let image = json!({"type": "image", "data": PNG_1X1, "mimeType": "image/png"});
    let content = match name {
        "test_simple_text" => vec![text("This is a simple text response for testing.")],
        "test_image_content" => vec![image],
        "test_audio_content" => {
            vec![json!({"type": "audio", "data": WAV_SILENCE, "mimeType": "audio/wav"})]
        }
        "test_embedded_resource" => vec![embedded()],
        "test_multiple_content_types" => {
            vec![text("Multiple content types test:"), image, embedded()]
        }
        "test_tool_with_logging" => {
            for step in [
                "Tool execution started",
                "Tool processing data",
                "Tool execution completed",
            ] {
                ctx.log(LogLevel::Info, "conformance", json!(step)).await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            vec![text("Tool with logging executed successfully")]
        }
        "test_tool_with_progress" => {
            for step in [0.0, 50.0, 100.0] {
                ctx.progress(step, Some(100.0), None).await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            vec![text("Tool with progress executed successfully")]
        }
        "json_schema_2020_12_tool" => vec![text("JSON Schema 2020-12 tool called")],
        "test_error_handling" => {
            return Some(Ok(json!({
                "content": [text("This tool intentionally returns an error for testing")],
                "isError": true,
            })));
        }
        _ => return None,
    };
    Some(Ok(json!({"content": content, "isError": false})))
}

/// Reads a fixture resource.
pub fn read_resource(ctx: &RequestContext, uri: &str) -> Option<Vec<ResourceContents>> {
    if !ctx.config.conformance_fixtures {
        return None;
    }
    let content = match uri {
        "test://static-text" => {
            ResourceContents::text("This is the content of the static text resource.", uri)
        }
        "test://static-binary" => ResourceContents::blob(PNG_1X1, uri).with_mime_type("image/png"),
        "test://watched-resource" => ResourceContents::text("Watched resource content", uri),
        _ => {
            let id = uri
                .strip_prefix("test://template/")?
                .strip_suffix("/data")?;
            let text =
                json!({"id": id, "templateTest": true, "data": format!("Data for ID: {id}")});
            ResourceContents::text(text.to_string(), uri).with_mime_type("application/json")
        }
    };
    Some(vec![content])
}

/// Gets a fixture prompt.
pub fn get_prompt(
    ctx: &RequestContext,
    name: &str,
    arguments: &Map<String, Value>,
) -> Option<Result<GetPromptResult, McpError>> {
    if !ctx.config.conformance_fixtures {
        return None;
    }
    let arg = |key: &str| {
        arguments
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let user = |content: ContentBlock| PromptMessage::new(Role::User, content);
    let messages = match name {
        "test_simple_prompt" => vec![user(ContentBlock::text(
            "This is a simple prompt for testing.",
        ))],
        "test_prompt_with_arguments" => vec![user(ContentBlock::text(format!(
            "Prompt with arguments: arg1='{}', arg2='{}'",
            arg("arg1"),
            arg("arg2")
        )))],
        "test_prompt_with_embedded_resource" => vec![
            user(ContentBlock::resource(ResourceContents::text(
                "Embedded resource content for testing.",
                arg("resourceUri"),
            ))),
            user(ContentBlock::text(
                "Please process the embedded resource above.",
            )),
        ],
        "test_prompt_with_image" => vec![
            user(ContentBlock::image(PNG_1X1, "image/png")),
            user(ContentBlock::text("Please analyze the image above.")),
        ],
        _ => return None,
    };
    let mut result = GetPromptResult::new(messages).with_description(name);
    result.result_type = None;
    Some(Ok(result))
}

/// Completes a fixture argument.
pub fn complete(
    ctx: &RequestContext,
    reference: &Value,
    _argument: &str,
    value: &str,
) -> Option<Vec<String>> {
    if !ctx.config.conformance_fixtures {
        return None;
    }
    let name = reference
        .get("name")
        .or_else(|| reference.get("uri"))
        .and_then(Value::as_str)?;
    if !name.starts_with("test") {
        return None;
    }
    Some(
        ["paris", "park", "party", "test"]
            .into_iter()
            .filter(|v| v.starts_with(value))
            .map(str::to_string)
            .collect(),
    )
}
