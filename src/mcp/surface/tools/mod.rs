//! The tools. Each lives in its own file with everything about it: typed arguments (from which
//! the input schema is derived), the result type (from which the output schema is derived),
//! title, description, hints and code. Adding a tool is one file plus one line in [`TOOLS`].

mod compare_scans;
mod generate_report;
mod get_finding;
mod get_posture;
mod get_scan;
mod get_score_trend;
mod list_findings;
mod list_scans;
mod start_scan;

use std::sync::Arc;

use futures_util::future::LocalBoxFuture;
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde::Serialize;
use serde_json::{Map, Value};

use super::{SurfaceContext, SurfaceError, ToolOutcome, untrusted};

/// What `tools/call` runs: the tool's code over the caller's context and its arguments.
pub type Call =
    for<'a> fn(&'a SurfaceContext, Value) -> LocalBoxFuture<'a, Result<ToolOutcome, SurfaceError>>;

/// What a tool does to the world, as `ToolAnnotations` tell a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hints {
    /// Changes nothing anywhere (not even aether365's own records).
    pub read_only: bool,
    /// Calling it again with the same arguments has no further effect.
    pub idempotent: bool,
    /// Reaches beyond aether365's own database (Microsoft 365, public DNS).
    pub open_world: bool,
}

/// A tool that reads stored data only.
pub const READS: Hints = Hints {
    read_only: true,
    idempotent: true,
    open_world: false,
};

/// One tool: its definition, schemas, hints and code, declared beside its code.
pub struct ToolDef {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub hints: Hints,
    /// A pure function of completed scans, the scope and the arguments: answers may be cached.
    pub cacheable: bool,
    /// May run as a task (`execution.taskSupport: optional`).
    pub task_support: bool,
    /// The input schema, derived from the argument type ([`input_schema`]).
    pub input: fn() -> JsonObject,
    /// The output schema, derived from the result type ([`output_schema`]).
    pub output: fn() -> JsonObject,
    /// The MCP Apps view that shows its result (a `ui://` URI of [`super::apps`]).
    pub view: Option<&'static str>,
    pub call: Call,
}

/// Every tool, in `tools/list` order: the only registration.
pub const TOOLS: &[ToolDef] = &[
    get_posture::TOOL,
    list_findings::TOOL,
    get_finding::TOOL,
    get_score_trend::TOOL,
    list_scans::TOOL,
    get_scan::TOOL,
    start_scan::TOOL,
    compare_scans::TOOL,
    generate_report::TOOL,
];

/// The tool named `name`.
pub fn find(name: &str) -> Option<&'static ToolDef> {
    TOOLS.iter().find(|t| t.name == name)
}

/// `execution` of a tool (2025-11-25 tasks); rmcp's `Tool` has no such field yet.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ToolExecution {
    #[serde(rename = "taskSupport")]
    pub task_support: &'static str,
}

/// A tool as `tools/list` shows it: rmcp's `Tool`, with the `execution` it lacks.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ListedTool {
    #[serde(flatten)]
    pub tool: Tool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution: Option<ToolExecution>,
}

impl ToolDef {
    /// The MCP Tool object.
    pub fn listed(&self) -> ListedTool {
        // The title is the tool's own (not repeated here); destructive and idempotent are
        // meaningful only for a tool that writes, so a reading tool leaves them out.
        let writes = !self.hints.read_only;
        let mut annotations = ToolAnnotations::new()
            .read_only(self.hints.read_only)
            .open_world(self.hints.open_world);
        annotations.destructive_hint = writes.then_some(false);
        annotations.idempotent_hint = writes.then_some(self.hints.idempotent);
        let tool = Tool::new(self.name, self.description, Arc::new((self.input)()))
            .with_title(self.title)
            .with_raw_output_schema(Arc::new((self.output)()))
            .with_annotations(annotations);
        ListedTool {
            tool,
            execution: self.task_support.then_some(ToolExecution {
                task_support: "optional",
            }),
        }
    }
}

/// Every tool, as MCP Tool objects.
pub fn definitions() -> Vec<ListedTool> {
    TOOLS.iter().map(ToolDef::listed).collect()
}

/// Runs tool `name`.
pub async fn call(
    ctx: &SurfaceContext,
    name: &str,
    arguments: Value,
) -> Result<ToolOutcome, SurfaceError> {
    match find(name) {
        Some(tool) => (tool.call)(ctx, arguments).await,
        None => Err(SurfaceError::UnknownTool(name.to_string())),
    }
}

/// A tool result from its typed value (cleaned of tenant control text) and its text.
fn outcome<T: Serialize>(
    value: &T,
    text: String,
    targets: Vec<String>,
) -> Result<ToolOutcome, SurfaceError> {
    let mut structured =
        serde_json::to_value(value).map_err(|e| SurfaceError::failed("serialising a result", e))?;
    untrusted::clean_fields(&mut structured);
    Ok(ToolOutcome {
        text,
        structured,
        targets,
        started_scan: None,
    })
}

/// The input schema of an argument type: what the tool accepts, with the descriptions of its
/// properties.
pub fn input_schema<A: JsonSchema>() -> JsonObject {
    let mut schema = schema_of::<A>(SchemaSettings::draft2020_12().for_deserialize(), true);
    optional_without_null(&mut schema);
    inline_single_use(&mut schema);
    schema
}

/// An optional argument is left out rather than sent as `null`: its schema drops the `null`
/// alternative (the server still takes `null` as absent), so every value the schema admits is
/// one the tool accepts, in fewer words.
fn optional_without_null(schema: &mut JsonObject) {
    let required: Vec<Value> = match schema.get("required") {
        Some(Value::Array(required)) => required.clone(),
        _ => Vec::new(),
    };
    let Some(Value::Object(properties)) = schema.get_mut("properties") else {
        return;
    };
    for (name, property) in properties.iter_mut() {
        let Value::Object(property) = property else {
            continue;
        };
        if required.contains(&Value::from(name.as_str())) {
            continue;
        }
        if let Some(Value::Array(types)) = property.get_mut("type") {
            types.retain(|t| t != "null");
            if let [only] = types.as_slice() {
                let only = only.clone();
                property.insert("type".into(), only);
            }
        }
        let Some(Value::Array(branches)) = property.get("anyOf") else {
            continue;
        };
        let mut rest = branches
            .iter()
            .filter(|b| b.get("type") != Some(&Value::from("null")));
        if let (Some(Value::Object(only)), None) = (rest.next(), rest.next()) {
            let only = only.clone();
            property.remove("anyOf");
            for (key, value) in only {
                property.entry(key).or_insert(value);
            }
        }
    }
}

/// A definition referenced once is written where it is used; shared ones stay in `$defs`.
fn inline_single_use(schema: &mut JsonObject) {
    let Some(Value::Object(defs)) = schema.remove("$defs") else {
        return;
    };
    let text = Value::Object(schema.clone()).to_string();
    let mut shared = Map::new();
    let mut once = Map::new();
    for (name, def) in defs {
        let uses = text.matches(&format!("\"#/$defs/{name}\"")).count();
        if uses > 1 {
            shared.insert(name, def);
        } else {
            once.insert(name, def);
        }
    }
    for value in schema.values_mut() {
        inline_refs(value, &once);
    }
    if !shared.is_empty() {
        schema.insert("$defs".into(), Value::Object(shared));
    }
}

/// Replaces each `$ref` to one of `defs` with the definition (siblings such as a description
/// kept).
fn inline_refs(value: &mut Value, defs: &JsonObject) {
    match value {
        Value::Object(map) => {
            let target = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/$defs/"))
                .and_then(|name| defs.get(name));
            if let Some(Value::Object(def)) = target {
                let def = def.clone();
                map.remove("$ref");
                for (key, value) in def {
                    map.entry(key).or_insert(value);
                }
                return;
            }
            map.values_mut().for_each(|v| inline_refs(v, defs));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| inline_refs(v, defs)),
        _ => {}
    }
}

/// The output schema of a result type: the result's own fields with their exact types and
/// required fields, enums inlined, and nested records only as `object` (their fields are in
/// the answers and the documentation; spelling them out in every tool's schema would triple
/// the size of `tools/list`, which an assistant reads at the start of every session).
pub fn output_schema<O: JsonSchema>() -> JsonObject {
    let mut schema = schema_of::<O>(SchemaSettings::draft2020_12().for_serialize(), false);
    let Some(Value::Object(defs)) = schema.remove("$defs") else {
        return schema;
    };
    // Each definition as the output schema shows it: an enum whole, a record as `object`.
    let shown: JsonObject = defs
        .into_iter()
        .map(|(name, def)| {
            let def = match def {
                Value::Object(def) if def.contains_key("enum") => Value::Object(def),
                _ => serde_json::json!({ "type": "object" }),
            };
            (name, def)
        })
        .collect();
    for value in schema.values_mut() {
        inline_refs(value, &shown);
    }
    schema
}

fn schema_of<T: JsonSchema>(settings: SchemaSettings, input: bool) -> JsonObject {
    let schema = settings
        .with(|s| s.meta_schema = None)
        .into_generator()
        .into_root_schema_for::<T>();
    let mut value = schema.to_value();
    compact(&mut value, input, true);
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Integer and number formats say nothing a client needs (`date-time` stays).
const NOISE_FORMATS: [&str; 7] = [
    "int32", "int64", "uint", "uint32", "uint64", "double", "float",
];

/// Makes a derived schema small without changing what it accepts: no root title, no numeric
/// formats, enums of constants as plain `enum`s, and descriptions only on the input's own
/// properties.
fn compact(value: &mut Value, input: bool, root: bool) {
    let Value::Object(map) = value else {
        if let Value::Array(items) = value {
            items.iter_mut().for_each(|v| compact(v, input, false));
        }
        return;
    };
    if root {
        map.remove("title");
    }
    // `true` (any value, schemars' schema of a JSON value) as an object: clients require
    // property schemas to be objects.
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        for prop in props.values_mut() {
            if *prop == Value::Bool(true) {
                *prop = Value::Object(Map::new());
            }
        }
    }
    if map
        .get("format")
        .and_then(Value::as_str)
        .is_some_and(|f| NOISE_FORMATS.contains(&f))
    {
        map.remove("format");
    }
    if let Some(values) = constants(map.get("oneOf")) {
        map.remove("oneOf");
        map.insert("type".into(), "string".into());
        map.insert("enum".into(), Value::Array(values));
    }
    let keep_descriptions = input && root;
    for (key, child) in map.iter_mut() {
        match key.as_str() {
            "properties" if keep_descriptions => {
                if let Value::Object(props) = child {
                    for prop in props.values_mut() {
                        let description = prop.get("description").cloned();
                        compact(prop, input, false);
                        if let (Some(d), Value::Object(p)) = (description, prop) {
                            p.insert("description".into(), d);
                        }
                    }
                }
            }
            _ => compact(child, input, false),
        }
    }
    if !root {
        map.remove("description");
    }
    if !input && root {
        map.remove("description");
    }
}

/// The values of a `oneOf` whose branches are all string constants.
fn constants(one_of: Option<&Value>) -> Option<Vec<Value>> {
    one_of?
        .as_array()?
        .iter()
        .map(|branch| {
            let b = branch.as_object()?;
            let value = b.get("const").filter(|c| c.is_string())?;
            b.keys()
                .all(|k| matches!(k.as_str(), "const" | "type" | "description"))
                .then(|| value.clone())
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_is_complete_and_only_what_writes_says_so() {
        let tools: Vec<Value> = definitions()
            .iter()
            .map(|t| serde_json::to_value(t).unwrap())
            .collect();
        assert_eq!(tools.len(), TOOLS.len());
        for t in &tools {
            let name = t["name"].as_str().unwrap();
            for field in ["title", "description"] {
                assert!(
                    t[field].as_str().is_some_and(|s| !s.is_empty()),
                    "{name}: {field}"
                );
            }
            assert_eq!(t["inputSchema"]["type"], "object", "{name}");
            assert_eq!(t["inputSchema"]["additionalProperties"], false, "{name}");
            assert!(
                t["inputSchema"]["properties"].get("ai_pilot").is_none(),
                "{name}"
            );
            assert_eq!(t["outputSchema"]["type"], "object", "{name}");
            let writes = matches!(name, "start_scan" | "generate_report");
            assert_eq!(t["annotations"]["readOnlyHint"], !writes, "{name}");
            // Never destructive; said only where it means something (a tool that writes).
            if writes {
                assert_eq!(t["annotations"]["destructiveHint"], false, "{name}");
            } else {
                assert!(t["annotations"].get("destructiveHint").is_none(), "{name}");
                assert!(t["annotations"].get("idempotentHint").is_none(), "{name}");
            }
            assert_eq!(
                t["annotations"]["openWorldHint"],
                name == "start_scan",
                "{name}"
            );
            assert_eq!(t.get("execution").is_some(), name == "start_scan", "{name}");
            let text = t.to_string();
            assert!(!text.contains("in the dashboard"), "{name}: {text}");
            assert!(!text.contains("\"format\":\"int64\""), "{name}");
        }
        let start = tools.iter().find(|t| t["name"] == "start_scan").unwrap();
        assert_eq!(start["execution"]["taskSupport"], "optional");
    }

    #[test]
    fn input_schemas_describe_their_properties_and_enumerate_choices() {
        let posture = (get_posture::TOOL.input)();
        let detail = &posture["properties"]["detail"];
        assert!(detail["description"].as_str().is_some(), "{detail}");
        let findings = serde_json::to_string(&(list_findings::TOOL.input)()).unwrap();
        assert!(findings.contains(r#""enum":["critical","high","medium","low","info"]"#));
    }
}
