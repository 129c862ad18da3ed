//! `aether365-bare`: the ceiling aether365 is measured against. A bare actix-web handler that
//! answers every POST with the same bytes (aether365's own `get_posture` answer, read from a
//! file): no JSON-RPC, no authentication, no tenant scope, no audit.
//!
//! `aether365-bare --bind 127.0.0.1:18401 --body answer.json`

use std::process::ExitCode;

use actix_web::http::header::ContentType;
use actix_web::{App, HttpResponse, HttpServer, web};
use clap::Parser;

#[derive(Parser)]
struct Cli {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:18401")]
    bind: std::net::SocketAddr,
    /// File whose bytes every POST answers.
    #[arg(long)]
    body: std::path::PathBuf,
    /// HTTP worker threads (default: one per core, as aether365).
    #[arg(long)]
    workers: Option<usize>,
}

/// Reads the request's body before answering: actix-web closes a keep-alive connection whose
/// request body was left unread, which would make every call a new connection.
async fn answer(body: web::Data<web::Bytes>, _request: web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(body.get_ref().clone())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let body = match std::fs::read(&cli.body) {
        Ok(bytes) => web::Data::new(web::Bytes::from(bytes)),
        Err(e) => {
            eprintln!("cannot read {}: {e}", cli.body.display());
            return ExitCode::FAILURE;
        }
    };
    let run = actix_web::rt::System::new().block_on(async move {
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(body.clone())
                .default_service(web::post().to(answer))
        })
        .on_connect(|connection, _| {
            if let Some(socket) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
                let _ = socket.set_nodelay(true);
            }
        });
        if let Some(workers) = cli.workers {
            server = server.workers(workers);
        }
        server.bind(cli.bind)?.run().await
    });
    match run {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("aether365-bare: {e}");
            ExitCode::FAILURE
        }
    }
}
