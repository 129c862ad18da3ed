//! The command line against real databases: happy paths, one-line errors, nothing half-written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use aether365_actors::testkit;
use aether365_entities::config_snapshot;
use sea_orm::{EntityTrait, PaginatorTrait};

const BIN: &str = env!("CARGO_BIN_EXE_aether365");

fn fixture(name: &str) -> String {
    format!("{}/fixtures/scubagear/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn run(url: &str, args: &[&str]) -> Output {
    run_with_stdin(url, args, "")
}

fn run_with_stdin(url: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .arg("--database-url")
        .arg(url)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn ok(url: &str, args: &[&str]) -> String {
    let out = run(url, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Fails with exactly one line on stderr that contains `needle`.
fn fails(url: &str, args: &[&str], needle: &str) {
    let out = run(url, args);
    assert!(!out.status.success(), "{args:?} should fail");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // clap's usage errors add a "For more information, try '--help'." hint line.
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("For more information"))
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "{args:?}: one line expected, got {stderr:?}"
    );
    assert!(lines[0].starts_with("error: "), "{stderr:?}");
    assert!(
        lines[0].contains(needle),
        "{args:?}: {stderr:?} lacks {needle:?}"
    );
}

#[tokio::test]
async fn admin_commands_work_and_fail_cleanly_on_every_database() {
    for t in testkit::databases().await {
        let url = t.url.as_str();
        assert!(ok(url, &["org", "create", "Acme"]).contains("created organisation Acme"));
        fails(url, &["org", "create", "Acme"], "already exists");
        fails(
            url,
            &[
                "tenant", "add", "--org", "Nope", "--name", "X", "--domain", "x.com",
            ],
            "no organisation named \"Nope\"",
        );
        fails(
            url,
            &[
                "tenant",
                "add",
                "--org",
                "Acme",
                "--name",
                "X",
                "--domain",
                "not a domain",
            ],
            "is not a DNS name",
        );
        ok(
            url,
            &[
                "tenant",
                "add",
                "--org",
                "Acme",
                "--name",
                "Acme Prod",
                "--domain",
                "acme.com",
            ],
        );
        let tenants: serde_json::Value =
            serde_json::from_str(&ok(url, &["tenant", "list", "--org", "Acme", "--json"])).unwrap();
        assert_eq!(tenants[0]["primary_domain"], "acme.com");

        // Unreadable and malformed files: a one-line error, and no snapshot written.
        fails(
            url,
            &[
                "tenant",
                "import-config",
                "Acme Prod",
                "/nonexistent/export.json",
            ],
            "cannot read /nonexistent/export.json",
        );
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, b"{\"tenant_details\": [").unwrap();
        fails(
            url,
            &[
                "tenant",
                "import-config",
                "Acme Prod",
                bad.to_str().unwrap(),
            ],
            "bad.json",
        );
        fails(
            url,
            &[
                "tenant",
                "import-config",
                "Nope",
                &fixture("ProviderSettingsExport.json"),
            ],
            "no tenant",
        );
        assert_eq!(
            config_snapshot::Entity::find().count(&t.db).await.unwrap(),
            0
        );
        // With a byte order mark, as ScubaGear writes its files.
        let with_bom = dir.path().join("bom.json");
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend(std::fs::read(fixture("ProviderSettingsExport.json")).unwrap());
        std::fs::write(&with_bom, bytes).unwrap();
        ok(
            url,
            &[
                "tenant",
                "import-config",
                "Acme Prod",
                with_bom.to_str().unwrap(),
            ],
        );
        assert_eq!(
            config_snapshot::Entity::find().count(&t.db).await.unwrap(),
            1
        );

        // Users: the password comes from stdin.
        let out = run_with_stdin(
            url,
            &[
                "user",
                "create",
                "--org",
                "Acme",
                "--email",
                "sec@acme.example",
            ],
            "correct horse battery staple\n",
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = run_with_stdin(
            url,
            &[
                "user",
                "create",
                "--org",
                "Acme",
                "--email",
                "b@acme.example",
            ],
            "short\n",
        );
        assert!(!out.status.success());

        // Tokens: shown once, listed without the secret, revoked.
        fails(
            url,
            &[
                "token",
                "create",
                "--org",
                "Acme",
                "--label",
                "x",
                "--expires",
                "2w",
            ],
            "2w",
        );
        fails(
            url,
            &[
                "token", "create", "--org", "Acme", "--label", "x", "--tenant", "Nope",
            ],
            "no tenant",
        );
        let created: serde_json::Value = serde_json::from_str(&ok(
            url,
            &[
                "token",
                "create",
                "--org",
                "Acme",
                "--label",
                "Claude",
                "--expires",
                "1y",
                "--json",
            ],
        ))
        .unwrap();
        let token = created["token"].as_str().unwrap();
        assert!(token.starts_with("a365_"), "{token}");
        let listed = ok(url, &["token", "list", "--org", "Acme", "--json"]);
        assert!(
            !listed.contains(token),
            "token list must never show the secret"
        );
        let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
        assert_eq!(listed[0]["label"], "Claude");
        assert_eq!(listed[0]["status"], "active");
        assert!(listed[0]["last_used_at"].is_null());
        let id = listed[0]["id"].as_i64().unwrap().to_string();
        ok(url, &["token", "revoke", &id]);
        let listed: serde_json::Value =
            serde_json::from_str(&ok(url, &["token", "list", "--org", "Acme", "--json"])).unwrap();
        assert_eq!(listed[0]["status"], "revoked");
        fails(url, &["token", "revoke", "999999"], "999999");

        // Scans from the CLI, and their findings.
        let scan: serde_json::Value = serde_json::from_str(&ok(
            url,
            &[
                "scan",
                "start",
                "--tenant",
                "Acme Prod",
                "--kind",
                "compliance",
                "--wait",
                "--json",
            ],
        ))
        .unwrap();
        assert_eq!(scan["status"], "completed");
        let scan_id = scan["id"].as_i64().unwrap().to_string();
        let findings: serde_json::Value =
            serde_json::from_str(&ok(url, &["findings", "--scan", &scan_id, "--json"])).unwrap();
        assert!(findings.as_array().unwrap().len() >= 60);
        fails(url, &["findings", "--scan", "999999"], "no scan 999999");
        let scans: serde_json::Value = serde_json::from_str(&ok(
            url,
            &["scan", "list", "--tenant", "Acme Prod", "--json"],
        ))
        .unwrap();
        assert_eq!(scans.as_array().unwrap().len(), 1);

        // The audit trail saw the token changes.
        let audit = ok(url, &["audit", "list", "--org", "Acme", "--json"]);
        assert!(
            audit.contains("token.create") && audit.contains("token.revoke"),
            "{audit}"
        );
    }
}

#[tokio::test]
async fn demo_prints_a_working_token_once_per_call_and_builds_history_once() {
    for t in testkit::databases().await {
        let url = t.url.as_str();
        let first: serde_json::Value = serde_json::from_str(&ok(url, &["demo", "--json"])).unwrap();
        assert!(first["token"].as_str().unwrap().starts_with("a365_"));
        assert!(first["dashboard_password"].is_string());
        let args = first["claude_desktop"]["mcpServers"]["aether365"]["args"].to_string();
        assert!(
            args.contains("mcp-remote")
                && args.contains("/mcp\"")
                && args.contains("Authorization:${AETHER365_AUTH}")
        );
        let second: serde_json::Value =
            serde_json::from_str(&ok(url, &["demo", "--json"])).unwrap();
        assert_ne!(
            first["token"], second["token"],
            "each call prints a fresh token"
        );
        assert!(second["dashboard_password"].is_null());
        assert_eq!(first["organisation_id"], second["organisation_id"]);
        let scans: serde_json::Value = serde_json::from_str(&ok(
            url,
            &[
                "scan",
                "list",
                "--tenant",
                "Contoso Production",
                "--limit",
                "100",
                "--json",
            ],
        ))
        .unwrap();
        let scans = scans.as_array().unwrap();
        assert_eq!(
            scans.len(),
            27,
            "26 weeks of weekly scans plus the current one"
        );
        let scores: Vec<f64> = scans.iter().map(|s| s["score"].as_f64().unwrap()).collect();
        assert!(
            scores.iter().any(|s| (s - scores[0]).abs() > 0.5),
            "the history moves: {scores:?}"
        );
    }
}

#[test]
fn check_evaluates_a_file_offline() {
    let out = Command::new(BIN)
        .args([
            "check",
            &fixture("ProviderSettingsExport.json"),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["findings"].as_array().unwrap().len() >= 60);
    let overall = report["score"]["overall"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&overall));
    let table = Command::new(BIN)
        .args(["check", &fixture("ProviderSettingsExport.json")])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&table.stdout).contains("score: "));
    let missing = Command::new(BIN)
        .args(["check", "/nonexistent.json"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .starts_with("error: cannot read /nonexistent.json")
    );
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["demo", "--help"],
        vec!["org", "create", "--help"],
        vec!["user", "create", "--help"],
        vec!["tenant", "add", "--help"],
        vec!["tenant", "import-config", "--help"],
        vec!["token", "create", "--help"],
        vec!["token", "list", "--help"],
        vec!["token", "revoke", "--help"],
        vec!["scan", "start", "--help"],
        vec!["scan", "list", "--help"],
        vec!["findings", "--help"],
        vec!["audit", "list", "--help"],
        vec!["check", "--help"],
    ] {
        let out = Command::new(BIN).args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("--database-url"),
            "{args:?}"
        );
    }
}

/// `--flag value` pairs that point the command at `standin`.
fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn microsoft_args(standin: &m365_standin::StandIn) -> Vec<String> {
    let e = standin.endpoints();
    [
        ("--entra-client-id", standin.client_id().to_string()),
        (
            "--entra-client-secret",
            m365_standin::DEFAULT_CLIENT_SECRET.to_string(),
        ),
        ("--entra-authority-url", e.authority),
        ("--graph-url", e.graph),
        ("--exchange-url", e.exchange),
        ("--compliance-url", e.compliance),
        ("--sharepoint-admin-url", e.sharepoint_admin),
        ("--power-platform-url", e.power_platform),
        ("--fabric-url", e.fabric.unwrap_or_default()),
    ]
    .into_iter()
    .flat_map(|(flag, value)| [flag.to_string(), value])
    .collect()
}

#[tokio::test]
async fn tenants_connect_test_their_connection_and_scan_live() {
    use m365_standin::dns::{DnsServer, MailZone};
    use m365_standin::{Fault, FaultKind, StandIn, StandInConfig};
    for t in testkit::databases().await {
        let url = t.url.as_str();
        let standin = StandIn::start(StandInConfig::bundled().unwrap()).unwrap();
        let dns = DnsServer::start(MailZone::from_export(
            &StandInConfig::bundled().unwrap().export,
        ))
        .unwrap();
        let microsoft = microsoft_args(&standin);
        let dns_server = dns.addr().to_string();
        let with = |args: &[&str]| -> Vec<String> {
            let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            all.extend(microsoft.iter().cloned());
            all
        };
        ok(url, &["org", "create", "Acme"]);
        // Without an application, connecting says what to configure.
        fails(
            url,
            &[
                "tenant",
                "connect",
                "--org",
                "Acme",
                "--microsoft-tenant-id",
                standin.tenant_id(),
            ],
            "no Entra application configured",
        );
        fails(
            url,
            &strs(&with(&[
                "tenant",
                "connect",
                "--org",
                "Acme",
                "--microsoft-tenant-id",
                "not-a-guid",
            ])),
            "not a Microsoft Entra tenant id",
        );
        let out = ok(
            url,
            &strs(&with(&[
                "tenant",
                "connect",
                "--org",
                "Acme",
                "--microsoft-tenant-id",
                standin.tenant_id(),
            ])),
        );
        assert!(out.contains("collect live"), "{out}");
        let out = ok(url, &strs(&with(&["tenant", "test-connection", "tqhjy"])));
        assert!(out.contains("endpoints answered"), "{out}");
        assert!(!out.contains("FAIL"), "{out}");
        // A missing permission is named, and the command fails.
        standin.set_fault(Fault::on("/scc", FaultKind::Forbidden));
        let out = run(url, &strs(&with(&["tenant", "test-connection", "tqhjy"])));
        assert!(!out.status.success());
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("FAIL"), "{stdout}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("grant the permission listed"), "{stderr}");
        standin.clear_faults();
        // SharePoint refuses a secret-based app-only token: the advice is a certificate, not a
        // permission.
        standin.set_sharepoint_requires_certificate(true);
        let test_connection_args = with(&["tenant", "test-connection", "tqhjy"]);
        let test_connection = strs(&test_connection_args);
        fails(
            url,
            &test_connection,
            "SharePoint needs a certificate credential for app-only access",
        );
        let out = run(url, &test_connection);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("grant the permission"), "{stderr}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("Unsupported app only token."), "{stdout}");
        standin.set_sharepoint_requires_certificate(false);
        // A redirect (another cloud or region) is an endpoint setting, not a permission.
        standin.set_fault(Fault::on(
            "/spo",
            FaultKind::Redirect {
                location: "https://contoso-admin.sharepoint.us/_api/SPO.Tenant".into(),
            },
        ));
        fails(url, &test_connection, "check the endpoint settings");
        let out = run(url, &test_connection);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("grant the permission"), "{stderr}");
        standin.clear_faults();
        // A scan from the command line collects live.
        let out = ok(
            url,
            &strs(&with(&[
                "scan",
                "start",
                "--tenant",
                "tqhjy",
                "--kind",
                "compliance",
                "--json",
                "--dns-server",
                &dns_server,
            ])),
        );
        let scan: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(scan["status"], "completed", "{out}");
        let snapshots = config_snapshot::Entity::find().all(&t.db).await.unwrap();
        assert_eq!(snapshots.len(), 1);
        assert_eq!(snapshots[0].source, "collector");
    }
}

/// Counts of an OCSF array, a SARIF log and a CSV file, to compare with the findings.
struct ExportCounts {
    ocsf_events: usize,
    sarif_rules: usize,
    sarif_results: usize,
    csv_rows: usize,
}

fn export_counts(ocsf: &str, sarif: &str, csv: &str) -> ExportCounts {
    let ocsf: serde_json::Value = serde_json::from_str(ocsf).unwrap();
    let events = ocsf.as_array().unwrap();
    assert!(events.iter().all(|e| e["class_uid"] == 2003));
    let sarif: serde_json::Value = serde_json::from_str(sarif).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert!(csv.starts_with("check_id,title,service,severity,status,"));
    // Every data row starts with a check id; multi-line fields are quoted and start otherwise.
    let csv_rows = csv
        .split("\r\n")
        .filter(|l| l.starts_with("A365-") || l.starts_with("EXP."))
        .count();
    ExportCounts {
        ocsf_events: events.len(),
        sarif_rules: run["tool"]["driver"]["rules"].as_array().unwrap().len(),
        sarif_results: run["results"].as_array().unwrap().len(),
        csv_rows,
    }
}

#[test]
fn check_exports_ocsf_sarif_and_csv() {
    let file = fixture("ProviderSettingsExport.json");
    let out = |format: &str| {
        let out = Command::new(BIN)
            .args(["check", &file, "--format", format])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let report: serde_json::Value = serde_json::from_str(&out("json")).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let passed = findings.iter().filter(|f| f["status"] == "pass").count();
    let counts = export_counts(&out("ocsf"), &out("sarif"), &out("csv"));
    assert_eq!(counts.ocsf_events, findings.len());
    assert_eq!(counts.sarif_rules, findings.len());
    assert_eq!(counts.sarif_results, findings.len() - passed);
    assert_eq!(counts.csv_rows, findings.len());
    let bad = Command::new(BIN)
        .args(["check", &file, "--format", "xml"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

#[tokio::test]
async fn findings_of_a_stored_scan_export_on_every_database() {
    for t in testkit::databases().await {
        let url = t.url.as_str();
        ok(url, &["org", "create", "Exporters"]);
        ok(
            url,
            &[
                "tenant",
                "add",
                "--org",
                "Exporters",
                "--name",
                "Export Prod",
                "--domain",
                "export.example",
            ],
        );
        ok(
            url,
            &[
                "tenant",
                "import-config",
                "Export Prod",
                &fixture("ProviderSettingsExport.json"),
            ],
        );
        let scan: serde_json::Value = serde_json::from_str(&ok(
            url,
            &["scan", "start", "--tenant", "Export Prod", "--json"],
        ))
        .unwrap();
        assert_eq!(scan["status"], "completed");
        let id = scan["id"].as_i64().unwrap().to_string();
        let c = &scan["counts"];
        let count = |k: &str| c[k].as_u64().unwrap() as usize;
        let total = ["pass", "fail", "manual", "error", "not_applicable"]
            .into_iter()
            .map(count)
            .sum::<usize>();
        let export = |format: &str| ok(url, &["findings", "--scan", &id, "--format", format]);
        let counts = export_counts(&export("ocsf"), &export("sarif"), &export("csv"));
        assert_eq!(counts.ocsf_events, total);
        assert_eq!(counts.sarif_rules, total);
        assert_eq!(counts.sarif_results, total - count("pass"));
        assert_eq!(counts.csv_rows, total);
        // The export names the scan and its tenant.
        let sarif: serde_json::Value = serde_json::from_str(&export("sarif")).unwrap();
        assert_eq!(sarif["runs"][0]["properties"]["tenant"], "Export Prod");
        assert_eq!(
            sarif["runs"][0]["automationDetails"]["id"],
            format!("aether365/scan/{id}")
        );
        // --status filters exports too; --json still means --format json.
        let failed: serde_json::Value = serde_json::from_str(&ok(
            url,
            &[
                "findings", "--scan", &id, "--status", "fail", "--format", "ocsf",
            ],
        ))
        .unwrap();
        assert_eq!(failed.as_array().unwrap().len(), count("fail"));
        let json: serde_json::Value =
            serde_json::from_str(&ok(url, &["findings", "--scan", &id, "--json"])).unwrap();
        assert_eq!(json.as_array().unwrap().len(), total);
        fails(
            url,
            &["findings", "--scan", "999999", "--format", "sarif"],
            "no scan 999999",
        );
        fails(
            url,
            &[
                "findings", "--scan", &id, "--status", "bogus", "--format", "csv",
            ],
            "status must be one of",
        );
    }
}

#[test]
fn serve_on_a_taken_address_fails_with_one_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/db.sqlite?mode=rwc", dir.path().display());
    let out = run(&url, &["serve", "--bind", &addr]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("cannot bind {addr}")), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn serve_refuses_an_alert_lease_shorter_than_a_send() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/db.sqlite?mode=rwc", dir.path().display());
    // A lease shorter than a send would let a second instance claim an alert still being sent.
    let out = run(
        &url,
        &["serve", "--bind", "127.0.0.1:0", "--alert-lease", "3s"],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--alert-lease must be at least 25 s"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn extra_root_ca_is_a_test_setting_and_must_be_a_certificate() {
    let t = testkit::databases().await.into_iter().next().unwrap();
    let url = t.url.as_str();
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("ca.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    let garbage = garbage.to_str().unwrap();
    // Alone (flag or environment variable), it is refused: it only goes with the other test
    // setting, which lets loopback destinations through.
    let out = run(
        url,
        &["serve", "--bind", "127.0.0.1:0", "--extra-root-ca", garbage],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--allow-loopback-destinations"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(BIN)
        .args(["--database-url", url, "serve", "--bind", "127.0.0.1:0"])
        .env("AETHER365_EXTRA_ROOT_CA", garbage)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--allow-loopback-destinations"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // With it, the file must hold a certificate: the server does not start otherwise.
    let args = [
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--allow-loopback-destinations",
        "--extra-root-ca",
        garbage,
    ];
    fails(url, &args, "holds no PEM certificate");
    let missing = dir.path().join("missing.pem");
    let mut args = args.to_vec();
    args[5] = missing.to_str().unwrap();
    fails(url, &args, "cannot read");
}
