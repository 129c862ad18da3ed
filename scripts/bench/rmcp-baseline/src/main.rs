//! `rmcp-baseline --bind ADDR --body FILE`: rmcp's Streamable HTTP server (stateless, JSON
//! responses) with one tool, `get_posture`, answering the `result` of the JSON-RPC answer in FILE.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};

#[derive(Clone)]
struct Posture {
    answer: Arc<CallToolResult>,
}

impl ServerHandler for Posture {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let schema = serde_json::json!({"type": "object"});
        let serde_json::Value::Object(schema) = schema else {
            return Err(ErrorData::internal_error("schema", None));
        };
        Ok(ListToolsResult::with_all_items(vec![Tool::new(
            "get_posture",
            "Posture of every tenant in scope",
            schema,
        )]))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if request.name != "get_posture" {
            return Err(ErrorData::invalid_params("unknown tool", None));
        }
        Ok(CallToolResponse::Complete((*self.answer).clone()))
    }
}

fn arg(name: &str) -> Option<String> {
    let mut args = std::env::args().skip_while(|a| a != name);
    args.next();
    args.next()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bind = arg("--bind").ok_or("--bind ADDR")?;
    let body = std::fs::read(arg("--body").ok_or("--body FILE")?)?;
    let answer: serde_json::Value = serde_json::from_slice(&body)?;
    let result: CallToolResult =
        serde_json::from_value(answer.get("result").cloned().ok_or("no result in FILE")?)?;
    let handler = Posture { answer: Arc::new(result) };
    let mut config = StreamableHttpServerConfig::default();
    config.legacy_session_mode = false;
    config.json_response = true;
    let service = StreamableHttpService::new(
        move || Ok(handler.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    let router = axum::Router::new().nest_service("/mcp", service);
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    axum::serve(listener, router).await?;
    Ok(())
}
