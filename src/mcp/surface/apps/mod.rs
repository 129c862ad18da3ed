//! MCP Apps (extension `io.modelcontextprotocol/ui`, SEP-1865): three HTML views a host renders
//! in a sandboxed frame beside a tool's result (`ui://aether365/posture`, `…/findings`,
//! `…/comparison`). Each is one self-contained document (inline script and style, nothing
//! fetched) built from the tool's `structuredContent`; it may call a fixed allow-list of reading
//! tools through the host. Offered only to clients that declare the extension: others get the
//! same answers as without it.

use rmcp::model::{MetaObject, Resource, ResourceContents};
use serde_json::{Map, Value, json};

/// The extension's identifier in `capabilities.extensions`.
pub const EXTENSION: &str = "io.modelcontextprotocol/ui";
/// The MIME type of a view.
pub const MIME_TYPE: &str = "text/html;profile=mcp-app";

/// The posture overview (`get_posture`).
pub const POSTURE: &str = "ui://aether365/posture";
/// The findings table and a finding's detail (`list_findings`, `get_finding`).
pub const FINDINGS: &str = "ui://aether365/findings";
/// The scan comparison (`compare_scans`).
pub const COMPARISON: &str = "ui://aether365/comparison";

/// One view: its resource and its document.
struct View {
    uri: &'static str,
    name: &'static str,
    title: &'static str,
    description: &'static str,
    html: &'static str,
}

/// The start of every view: the CSP (no network, no external resource) and the shared style.
macro_rules! head {
    ($title:literal) => {
        concat!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ",
            "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; ",
            "connect-src 'none'; frame-src 'none'; object-src 'none'; base-uri 'none'; ",
            "form-action 'none'\">\n<title>",
            $title,
            "</title>\n<style>\n",
            include_str!("common.css"),
            "</style>\n</head>\n"
        )
    };
}

/// A view's document: the head, its body, the shared bridge and its own script.
macro_rules! document {
    ($title:literal, $body:literal, $script:literal) => {
        concat!(
            head!($title),
            include_str!($body),
            "<script>\n",
            include_str!("bridge.js"),
            include_str!($script),
            "</script>\n</body>\n</html>\n"
        )
    };
}

const VIEWS: [View; 3] = [
    View {
        uri: POSTURE,
        name: "posture-view",
        title: "Security posture view",
        description: "Per tenant: score and change, failing checks by severity, score trend chart, data source and age.",
        html: document!("Security posture", "posture.html", "posture.js"),
    },
    View {
        uri: FINDINGS,
        name: "findings-view",
        title: "Findings view",
        description: "Sortable, filterable findings table; a finding's evidence, remediation and framework references.",
        html: document!("Findings", "findings.html", "findings.js"),
    },
    View {
        uri: COMPARISON,
        name: "comparison-view",
        title: "Scan comparison view",
        description: "Two scans compared: newly failing, fixed, and score change per service.",
        html: document!("Scan comparison", "comparison.html", "comparison.js"),
    },
];

/// Whether the client declared the extension with the HTML view type.
pub fn client_supports(client_capabilities: &Value) -> bool {
    client_capabilities
        .get("extensions")
        .and_then(|e| e.get(EXTENSION))
        .and_then(|ui| ui.get("mimeTypes"))
        .and_then(Value::as_array)
        .is_some_and(|types| types.iter().any(|t| t == MIME_TYPE))
}

/// What the server declares under `capabilities.extensions` to a client that has the extension.
pub fn server_capability() -> (String, Map<String, Value>) {
    let mut settings = Map::new();
    settings.insert("mimeTypes".into(), json!([MIME_TYPE]));
    (EXTENSION.to_string(), settings)
}

/// A tool's `_meta` linking it to its view: `ui.resourceUri`. The flat `ui/resourceUri` key is
/// left out: the extension deprecates it (to be removed before GA), hosts read the nested one,
/// and `tools/list` has no room for the same URI twice.
pub fn tool_meta(view: &str) -> Map<String, Value> {
    let mut meta = Map::new();
    meta.insert("ui".into(), json!({ "resourceUri": view }));
    meta
}

/// `_meta.ui` of a view: no network and no external resource (the strictest CSP the
/// extension can express), and a border from the host.
fn resource_meta() -> MetaObject {
    let ui = json!({
        "csp": { "connectDomains": [], "resourceDomains": [] },
        "prefersBorder": true,
    });
    MetaObject(Map::from_iter([("ui".to_string(), ui)]))
}

/// The views, as `resources/list` entries.
pub fn resources() -> Vec<Resource> {
    VIEWS
        .iter()
        .map(|v| {
            Resource::new(v.uri, v.name)
                .with_title(v.title)
                .with_description(v.description)
                .with_mime_type(MIME_TYPE)
                .with_meta(resource_meta())
        })
        .collect()
}

/// The `contents` of view `uri`; `None` when `uri` is not one of the views.
pub fn read(uri: &str) -> Option<Vec<ResourceContents>> {
    let view = VIEWS.iter().find(|v| v.uri == uri)?;
    Some(vec![
        super::resources::text_contents(view.uri, MIME_TYPE, view.html).with_meta(resource_meta()),
    ])
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_is_recognised_only_with_the_html_type() {
        let with = json!({"extensions": {EXTENSION: {"mimeTypes": [MIME_TYPE]}}});
        assert!(client_supports(&with));
        let other = json!({"extensions": {EXTENSION: {"mimeTypes": ["text/plain"]}}});
        assert!(!client_supports(&other));
        assert!(!client_supports(&json!({})));
    }

    #[test]
    fn every_view_is_a_whole_document_with_its_script() {
        for v in VIEWS {
            assert!(v.html.starts_with("<!DOCTYPE html>"), "{}", v.uri);
            assert!(v.html.trim_end().ends_with("</html>"), "{}", v.uri);
            assert_eq!(v.html.matches("<script>").count(), 1, "{}", v.uri);
        }
    }
}
