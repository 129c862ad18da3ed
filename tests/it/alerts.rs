//! Alerts through the server: destinations and rules over REST (secrets once, masked lists,
//! roles, another organisation's ids as 404, audit), a regression delivered once to a signed
//! webhook (signature verified here), Teams, Slack and e-mail (an SMTP stand-in), retries
//! with backoff, a restarted dispatcher and two dispatchers on one database, a scan's alerts
//! sent at once rather than at the next tick, and loopback destinations refused without the
//! test setting.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix::Supervisor;
use aether365_actors::alerts::{DispatchNow, Dispatcher, DispatcherConfig};
use aether365_actors::outbound::OutboundPolicy;
use aether365_actors::scans::{CompletedScan, ScanKind, ScanOrigin, persist_completed_scan};
use aether365_actors::system::BackendConfig;
use aether365_engine::{Severity, Status};
use aether365_entities::{alert_delivery, alert_destination};
use chrono::Utc;
use hmac::{Hmac, Mac};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::common::{Options, TestApp, databases, other_organisation, spawn_app_with};
use crate::dashboard::{PASSWORD, Session, json_of, login, set_cookie, sign_in};

/// One request a receiver got.
#[derive(Clone, Debug)]
struct Received {
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// An HTTP receiver on loopback answering the statuses of `script` in turn, then 200.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(script: Vec<u16>) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let got = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(script.into_iter()));
        let seen = Arc::clone(&got);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (seen, script) = (Arc::clone(&seen), Arc::clone(&script));
                tokio::spawn(async move {
                    let mut reader = BufReader::new(socket);
                    let mut line = String::new();
                    reader.read_line(&mut line).await.unwrap();
                    let path = line.split(' ').nth(1).unwrap_or_default().to_string();
                    let mut headers = Vec::new();
                    loop {
                        let mut h = String::new();
                        reader.read_line(&mut h).await.unwrap();
                        let h = h.trim_end();
                        if h.is_empty() {
                            break;
                        }
                        let (n, v) = h.split_once(':').unwrap();
                        headers.push((n.trim().to_string(), v.trim().to_string()));
                    }
                    let length: usize = headers
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                        .map(|(_, v)| v.parse().unwrap())
                        .unwrap_or(0);
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).await.unwrap();
                    let status = script.lock().unwrap().next().unwrap_or(200);
                    seen.lock().unwrap().push(Received {
                        path,
                        headers,
                        body,
                    });
                    let answer = format!(
                        "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                    let _ = reader.get_mut().write_all(answer.as_bytes()).await;
                });
            }
        });
        Receiver { url, got }
    }

    fn requests(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// A minimal SMTP server on loopback (EHLO, MAIL, RCPT, DATA, QUIT; no TLS) keeping each
/// message's data.
struct SmtpStandIn {
    port: u16,
    messages: Arc<Mutex<Vec<String>>>,
}

impl SmtpStandIn {
    async fn start() -> SmtpStandIn {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&messages);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let kept = Arc::clone(&kept);
                tokio::spawn(async move {
                    let mut s = BufReader::new(socket);
                    s.get_mut()
                        .write_all(b"220 standin ESMTP\r\n")
                        .await
                        .unwrap();
                    loop {
                        let mut line = String::new();
                        if s.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
                        let answer: &[u8] = match verb.as_str() {
                            "EHLO" | "HELO" => b"250-standin\r\n250 8BITMIME\r\n",
                            "DATA" => {
                                s.get_mut().write_all(b"354 go on\r\n").await.unwrap();
                                let mut data = String::new();
                                loop {
                                    let mut l = String::new();
                                    s.read_line(&mut l).await.unwrap();
                                    if l == ".\r\n" {
                                        break;
                                    }
                                    data.push_str(&l);
                                }
                                kept.lock().unwrap().push(data);
                                b"250 queued\r\n"
                            }
                            "QUIT" => {
                                let _ = s.get_mut().write_all(b"221 bye\r\n").await;
                                return;
                            }
                            _ => b"250 ok\r\n",
                        };
                        s.get_mut().write_all(answer).await.unwrap();
                    }
                });
            }
        });
        SmtpStandIn { port, messages }
    }
}

fn test_alerts(config: &mut BackendConfig) {
    config.alerts.policy.allow_loopback = true;
    config.alerts.backoff_base = Duration::from_millis(10);
    config.alerts.backoff_max = Duration::from_millis(50);
    config.alerts.public_url = "https://aether365.example".into();
}

async fn app_with_loopback(db: aether365_actors::testkit::TestDb) -> TestApp {
    spawn_app_with(
        db,
        Options {
            backend: Some(test_alerts),
            ..Options::default()
        },
    )
    .await
}

/// Two completed compliance scans of the tenant, the second failing one more check, made
/// critical and given a title with markup. Answers the second scan's id.
async fn regress(app: &TestApp) -> i64 {
    regress_minutes_ago(app, 10).await
}

/// [`regress`], the second scan finishing `minutes` ago and the first twice as long ago.
async fn regress_minutes_ago(app: &TestApp, minutes: i64) -> i64 {
    let export = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/scubagear/ProviderSettingsExport.json"
    ))
    .unwrap();
    let snapshot = aether365_engine::Snapshot::from_bytes(&export).unwrap();
    let before = aether365_engine::evaluate_all(&snapshot);
    let mut after = before.clone();
    let flipped = after.iter().position(|f| f.status == Status::Pass).unwrap();
    after[flipped].status = Status::Fail;
    after[flipped].severity = Severity::Critical;
    after[flipped].title = "<img src=x onerror=alert(1)> *Evil* <!channel>".into();
    let mut last = 0;
    for (findings, ago) in [(before, 2 * minutes), (after, minutes)] {
        let at = Utc::now() - chrono::Duration::minutes(ago);
        last = persist_completed_scan(
            &app.testdb.db,
            CompletedScan {
                organisation_id: app.organisation_id,
                tenant_id: app.tenant_id,
                kind: ScanKind::Compliance,
                origin: ScanOrigin::Schedule,
                snapshot_id: None,
                input: None,
                findings,
                started_at: at,
                finished_at: at,
            },
        )
        .await
        .unwrap();
    }
    last
}

async fn create(session: &Session, app: &TestApp, path: &str, body: Value) -> Value {
    let r = session.post(app, path, body).send().await.unwrap();
    assert_eq!(r.status(), 201, "{path}");
    json_of(r).await
}

async fn webhook(session: &Session, app: &TestApp, url: &str) -> (i64, String) {
    let d = create(
        session,
        app,
        "/api/v1/alerts/destinations",
        json!({"name": "SIEM", "kind": "webhook", "url": url}),
    )
    .await;
    (
        d["destination"]["id"].as_i64().unwrap(),
        d["signing_secret"].as_str().unwrap().to_string(),
    )
}

async fn rule(session: &Session, app: &TestApp, destinations: &[i64]) -> i64 {
    let r = create(
        session,
        app,
        "/api/v1/alerts/rules",
        json!({"name": "Critical regressions", "trigger": "newly_failing",
            "min_severity": "critical", "destination_ids": destinations}),
    )
    .await;
    r["id"].as_i64().unwrap()
}

/// The owner of a second organisation, signed in.
async fn other_owner(app: &TestApp) -> Session {
    let (other, _) = other_organisation(&app.testdb.db).await;
    aether365_actors::directory::create_user(
        &app.testdb.db,
        other.id,
        "owner@fabrikam.example",
        PASSWORD,
        "owner",
    )
    .await
    .unwrap();
    let r = login(app, "owner@fabrikam.example", PASSWORD).await;
    Session {
        cookie: set_cookie(&r).split(';').next().unwrap().to_string(),
    }
}

async fn dispatch(app: &TestApp) -> aether365_actors::alerts::DispatchReport {
    app.backend.alerts.send(DispatchNow).await.unwrap().unwrap()
}

fn verify(secret: &str, received: &Received) {
    let header = received.header("X-Aether365-Signature").unwrap();
    let (t, v1) = header.split_once(',').unwrap();
    let t = t.strip_prefix("t=").unwrap();
    let v1 = v1.strip_prefix("v1=").unwrap();
    let age = Utc::now().timestamp() - t.parse::<i64>().unwrap();
    assert!((0..300).contains(&age), "timestamp {t}");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(&received.body);
    mac.verify_slice(&hex::decode(v1).unwrap())
        .expect("the signature verifies with the destination's secret");
    let mut wrong = Hmac::<Sha256>::new_from_slice(b"whsec_other").unwrap();
    wrong.update(format!("{t}.").as_bytes());
    wrong.update(&received.body);
    assert!(wrong.verify_slice(&hex::decode(v1).unwrap()).is_err());
}

#[actix_web::test]
async fn a_new_critical_failure_reaches_webhook_teams_slack_and_email_once() {
    for db in databases().await {
        let app = app_with_loopback(db).await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let (hook, teams, slack) = (
            Receiver::start(vec![]).await,
            Receiver::start(vec![]).await,
            Receiver::start(vec![]).await,
        );
        let smtp = SmtpStandIn::start().await;
        let (hook_id, secret) = webhook(&owner, &app, &format!("{}/hook", hook.url)).await;
        assert!(secret.starts_with("whsec_"), "{secret}");
        let teams_id = create(
            &owner,
            &app,
            "/api/v1/alerts/destinations",
            json!({"name": "SecOps channel", "kind": "teams",
                "url": format!("{}/webhookb2/tenant@x/IncomingWebhook/abc/def", teams.url)}),
        )
        .await["destination"]["id"]
            .as_i64()
            .unwrap();
        let slack_created = create(
            &owner,
            &app,
            "/api/v1/alerts/destinations",
            json!({"name": "#security", "kind": "slack",
                "url": format!("{}/services/T000/B000/XXXXSECRET", slack.url)}),
        )
        .await;
        assert!(
            slack_created.get("signing_secret").is_none(),
            "{slack_created}"
        );
        let slack_id = slack_created["destination"]["id"].as_i64().unwrap();
        let mail_id = create(
            &owner,
            &app,
            "/api/v1/alerts/destinations",
            json!({"name": "Security team", "kind": "email", "to": ["secops@contoso.example"],
                "smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "plain",
                    "from": "aether365@contoso.example"}, "smtp_password": "hunter2"}),
        )
        .await["destination"]["id"]
            .as_i64()
            .unwrap();
        rule(&owner, &app, &[hook_id, teams_id, slack_id, mail_id]).await;

        // The list never shows a secret or the credential part of a URL.
        let listed = owner
            .get(&app, "/api/v1/alerts/destinations")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for hidden in [
            secret.as_str(),
            "XXXXSECRET",
            "IncomingWebhook",
            "hunter2",
            "/hook",
        ] {
            assert!(!listed.contains(hidden), "{hidden} in {listed}");
        }
        assert!(listed.contains("secops@contoso.example"), "{listed}");

        let scan_id = regress(&app).await;
        let report = dispatch(&app).await;
        assert_eq!(report.delivered, 4, "{report:?}");
        assert_eq!(dispatch(&app).await.delivered, 0, "sent once");

        let got = hook.requests();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].path, "/hook");
        verify(&secret, &got[0]);
        let body = got[0].json();
        assert_eq!(body["type"], "alert");
        assert_eq!(body["trigger"], "newly_failing");
        assert_eq!(body["scan_id"], scan_id);
        assert_eq!(body["checks"][0]["severity"], "critical");
        assert_eq!(
            body["link"],
            format!("https://aether365.example/scans/{scan_id}")
        );

        let card = teams.requests();
        assert_eq!(card.len(), 1);
        let card = card[0].json();
        assert_eq!(card["@type"], "MessageCard");
        let text = card["text"].as_str().unwrap();
        assert!(
            text.contains("https://aether365.example/findings/"),
            "{text}"
        );
        assert!(!text.contains("<img"), "escaped: {text}");
        assert!(card.to_string().contains(&format!("/scans/{scan_id}")));

        let message = slack.requests();
        assert_eq!(message.len(), 1);
        let message = message[0].json();
        let blocks = message["blocks"].to_string();
        assert!(message["text"].is_string());
        assert!(
            !blocks.contains("<!channel>") && !blocks.contains("<img"),
            "{blocks}"
        );
        assert!(
            blocks.contains("https://aether365.example/findings/"),
            "{blocks}"
        );

        let mails = smtp.messages.lock().unwrap().clone();
        assert_eq!(mails.len(), 1);
        let mail = &mails[0];
        assert!(mail.contains("secops@contoso.example"), "{mail}");
        assert!(
            mail.contains("text/plain") && mail.contains("text/html"),
            "{mail}"
        );
        // The HTML part escapes tenant text; the plain-text part keeps it as typed.
        let html = &mail[mail.find("Content-Type: text/html").unwrap()..];
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;img"), "{html}");

        // Another identical scan changes nothing: no second alert.
        let deliveries = json_of(
            owner
                .get(&app, "/api/v1/alerts/deliveries")
                .send()
                .await
                .unwrap(),
        )
        .await;
        let items = deliveries["items"].as_array().unwrap();
        assert_eq!(items.len(), 4, "{deliveries}");
        assert!(
            items
                .iter()
                .all(|d| d["status"] == "delivered" && d["attempts"] == 1)
        );

        let audited = app.audit_rows().await;
        for action in ["alert.destination.create", "alert.rule.create"] {
            assert!(audited.iter().any(|a| a.action == action), "{action}");
        }
        assert!(
            !audited.iter().any(|a| a
                .detail
                .as_deref()
                .unwrap_or_default()
                .contains("XXXXSECRET")),
            "the audit trail keeps no URL credential"
        );
    }
}

#[actix_web::test]
async fn a_receiver_failing_twice_gets_exactly_one_successful_delivery() {
    for db in databases().await {
        let app = app_with_loopback(db).await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let hook = Receiver::start(vec![500, 500]).await;
        let (id, secret) = webhook(&owner, &app, &hook.url).await;
        rule(&owner, &app, &[id]).await;
        regress(&app).await;
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut delivered = 0;
        while delivered == 0 {
            assert!(Instant::now() < deadline, "not delivered");
            let report = dispatch(&app).await;
            assert_eq!(report.failed, 0);
            delivered += report.delivered;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(dispatch(&app).await.delivered, 0);
        let got = hook.requests();
        assert_eq!(got.len(), 3, "two 500s then one 200");
        let ids: Vec<_> = got
            .iter()
            .map(|r| r.header("X-Aether365-Delivery").unwrap().to_string())
            .collect();
        assert!(
            ids.iter().all(|i| *i == ids[0]),
            "the same delivery retried: {ids:?}"
        );
        verify(&secret, &got[2]);
        let page = json_of(
            owner
                .get(&app, "/api/v1/alerts/deliveries")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(page["items"][0]["status"], "delivered", "{page}");
        assert_eq!(page["items"][0]["attempts"], 3);
    }
}

fn dispatcher_config() -> DispatcherConfig {
    DispatcherConfig {
        tick: Duration::from_millis(20),
        backoff_base: Duration::from_millis(10),
        policy: OutboundPolicy {
            allow_loopback: true,
            ..OutboundPolicy::default()
        },
        ..DispatcherConfig::default()
    }
}

async fn wait_requests(receiver: &Receiver, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while receiver.requests().len() < n {
        assert!(
            Instant::now() < deadline,
            "{} of {n} received",
            receiver.requests().len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn a_delivery_left_by_a_killed_instance_is_sent_by_a_restarted_one() {
    for db in databases().await {
        // The server's own dispatcher is off (test default): only the ones started here send.
        let app = app_with_loopback(db).await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let hook = Receiver::start(vec![]).await;
        let (id, _) = webhook(&owner, &app, &hook.url).await;
        rule(&owner, &app, &[id]).await;
        regress(&app).await;
        // An instance claimed it and was killed (kill -9) before sending: its lease runs out.
        let row = alert_delivery::Entity::find()
            .one(&app.testdb.db)
            .await
            .unwrap()
            .unwrap();
        let mut claimed: alert_delivery::ActiveModel = row.into();
        claimed.lease_owner = Set(Some("killed".into()));
        claimed.lease_expires_at = Set(Some(Utc::now() + chrono::Duration::milliseconds(300)));
        claimed.update(&app.testdb.db).await.unwrap();

        let (db, config) = (app.testdb.db.clone(), dispatcher_config());
        let restarted = Supervisor::start(move |_| Dispatcher::new(db, config, "restarted".into()));
        wait_requests(&hook, 1).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(hook.requests().len(), 1);
        let row = alert_delivery::Entity::find()
            .one(&app.testdb.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.status, "delivered");
        assert!(row.lease_owner.is_none());
        drop(restarted);
    }
}

/// Waits until every outbox row is delivered.
async fn wait_delivered(app: &TestApp, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let rows = alert_delivery::Entity::find()
            .all(&app.testdb.db)
            .await
            .unwrap();
        if rows.len() == n && rows.iter().all(|r| r.status == "delivered") {
            return;
        }
        assert!(Instant::now() < deadline, "{rows:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn alerts_queued_by_this_instance_are_sent_at_once_not_at_the_next_tick() {
    for db in databases().await {
        let app = app_with_loopback(db).await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let hook = Receiver::start(vec![]).await;
        let (id, _) = webhook(&owner, &app, &hook.url).await;
        rule(&owner, &app, &[id]).await;
        // A dispatcher ticking once an hour: its start-up round sends the first alert; after
        // that only the wake of the next scan's commit can send the second in time.
        regress_minutes_ago(&app, 10).await;
        let config = DispatcherConfig {
            tick: Duration::from_secs(3600),
            ..dispatcher_config()
        };
        let db = app.testdb.db.clone();
        let dispatcher = Supervisor::start(move |_| Dispatcher::new(db, config, "waking".into()));
        wait_requests(&hook, 1).await;
        wait_delivered(&app, 1).await;
        let queued = Instant::now();
        let second = regress_minutes_ago(&app, 5).await;
        wait_requests(&hook, 2).await;
        let took = queued.elapsed();
        assert!(
            took < Duration::from_secs(10),
            "sent {took:?} after the scan"
        );
        assert_eq!(hook.requests()[1].json()["scan_id"], second);
        wait_delivered(&app, 2).await;
        assert_eq!(hook.requests().len(), 2);
        drop(dispatcher);
    }
}

#[actix_web::test]
async fn two_dispatchers_on_one_database_deliver_each_alert_once() {
    for db in databases().await {
        let app = app_with_loopback(db).await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let hook = Receiver::start(vec![]).await;
        let mut ids = Vec::new();
        for _ in 0..5 {
            ids.push(webhook(&owner, &app, &hook.url).await.0);
        }
        rule(&owner, &app, &ids).await;
        let (db, config) = (app.testdb.db.clone(), dispatcher_config());
        let a = {
            let (db, config) = (db.clone(), config.clone());
            Supervisor::start(move |_| Dispatcher::new(db, config, "instance-a".into()))
        };
        let b = Supervisor::start(move |_| Dispatcher::new(db, config, "instance-b".into()));
        regress(&app).await;
        wait_requests(&hook, 5).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut delivered: Vec<String> = hook
            .requests()
            .iter()
            .map(|r| r.header("X-Aether365-Delivery").unwrap().to_string())
            .collect();
        // Every request is one recorded attempt of the instance that held the row's lease: a
        // row two instances both sent would show more requests than attempts. (A send that
        // timed out on a loaded machine is retried: at least once, as documented, so a
        // delivery id may repeat, each repeat an attempt of its own.)
        let rows = alert_delivery::Entity::find()
            .all(&app.testdb.db)
            .await
            .unwrap();
        assert_eq!(rows.len(), 5);
        assert!(rows.iter().all(|r| r.status == "delivered"), "{rows:?}");
        let attempts: i32 = rows.iter().map(|r| r.attempts).sum();
        assert_eq!(delivered.len(), attempts as usize, "{delivered:?} {rows:?}");
        delivered.sort();
        delivered.dedup();
        assert_eq!(delivered.len(), 5, "each delivery sent");
        drop((a, b));
    }
}

#[actix_web::test]
async fn loopback_destinations_are_refused_without_the_test_setting() {
    for db in databases().await {
        // The default server: no loopback destinations.
        let app = spawn_app_with(db, Options::default()).await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let hook = Receiver::start(vec![]).await;
        for url in [
            "https://127.0.0.1:9/hook".to_string(),
            "https://localhost/hook".to_string(),
            "https://[::ffff:10.0.0.1]/".to_string(),
            hook.url.clone(),
        ] {
            let r = owner
                .post(
                    &app,
                    "/api/v1/alerts/destinations",
                    json!({"name": "x", "kind": "slack", "url": url}),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 400, "{url}");
            let problem = json_of(r).await;
            assert!(
                problem["detail"].as_str().unwrap().starts_with("url"),
                "{problem}"
            );
        }
        // One stored before the setting was turned off is refused at send time, and says so.
        let stored = alert_destination::ActiveModel {
            organisation_id: Set(app.organisation_id),
            name: Set("old".into()),
            kind: Set("webhook".into()),
            target: Set(format!(
                "https://127.0.0.1:{}/hook",
                hook.url.rsplit(':').next().unwrap()
            )),
            settings: Set(None),
            secret: Set(Some("whsec_x".into())),
            created_by_user_id: Set(None),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&app.testdb.db)
        .await
        .unwrap();
        rule(&owner, &app, &[stored.id]).await;
        regress(&app).await;
        let report = dispatch(&app).await;
        assert_eq!(report.failed, 1, "{report:?}");
        assert!(hook.requests().is_empty());
        let page = json_of(
            owner
                .get(&app, "/api/v1/alerts/deliveries")
                .send()
                .await
                .unwrap(),
        )
        .await;
        let item = &page["items"][0];
        assert_eq!(item["status"], "failed", "{page}");
        assert!(
            item["last_error"]
                .as_str()
                .unwrap()
                .contains("not a public address"),
            "{page}"
        );
        // The test button says the same at once.
        let r = owner
            .post(
                &app,
                &format!("/api/v1/alerts/destinations/{}/test", stored.id),
                json!({}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let test = json_of(r).await;
        assert_eq!(test["status"], "failed", "{test}");
    }
}

#[actix_web::test]
async fn another_organisation_cannot_see_or_use_your_destinations() {
    for db in databases().await {
        let app = app_with_loopback(db).await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let hook = Receiver::start(vec![]).await;
        let (id, _) = webhook(&owner, &app, &hook.url).await;
        let rule_id = rule(&owner, &app, &[id]).await;
        // The test button works for the owner.
        let r = owner
            .post(
                &app,
                &format!("/api/v1/alerts/destinations/{id}/test"),
                json!({}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(json_of(r).await["status"], "delivered");
        assert_eq!(hook.requests()[0].json()["type"], "test");

        let intruder = other_owner(&app).await;
        for path in ["/api/v1/alerts/destinations", "/api/v1/alerts/rules"] {
            let list = json_of(intruder.get(&app, path).send().await.unwrap()).await;
            assert_eq!(list, json!([]), "{path}");
        }
        let page = json_of(
            intruder
                .get(&app, "/api/v1/alerts/deliveries")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(page["items"], json!([]));
        let r = intruder
            .post(
                &app,
                &format!("/api/v1/alerts/destinations/{id}/test"),
                json!({}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        for path in [
            format!("/api/v1/alerts/destinations/{id}"),
            format!("/api/v1/alerts/rules/{rule_id}"),
        ] {
            let r = intruder.delete(&app, &path).send().await.unwrap();
            assert_eq!(r.status(), 404, "{path}");
        }
        let r = intruder
            .post(
                &app,
                "/api/v1/alerts/rules",
                json!({"name": "steal", "trigger": "scan_failed",
                "destination_ids": [id]}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert_eq!(hook.requests().len(), 1, "nothing sent for the intruder");

        // A viewer reads but does not change.
        let viewer = sign_in(&app, "viewer@contoso.example", "viewer").await;
        let list = json_of(
            viewer
                .get(&app, "/api/v1/alerts/destinations")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(list.as_array().unwrap().len(), 1);
        let r = viewer
            .post(
                &app,
                "/api/v1/alerts/destinations",
                json!({"name": "x", "kind": "webhook", "url": hook.url}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let r = viewer
            .post(
                &app,
                &format!("/api/v1/alerts/destinations/{id}/test"),
                json!({}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        // The owner deletes: gone, audited.
        let r = owner
            .delete(&app, &format!("/api/v1/alerts/destinations/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let audited = app.audit_rows().await;
        assert!(
            audited
                .iter()
                .any(|a| a.action == "alert.destination.delete")
        );
    }
}

#[actix_web::test]
async fn a_paused_rule_raises_nothing_until_resumed_and_only_its_organisations_managers_change_it()
{
    for db in databases().await {
        let app = app_with_loopback(db).await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let hook = Receiver::start(vec![]).await;
        let (id, _) = webhook(&owner, &app, &hook.url).await;
        let rule_id = rule(&owner, &app, &[id]).await;
        let path = format!("/api/v1/alerts/rules/{rule_id}");
        let paused = json!({"name": "Paused regressions", "trigger": "newly_failing",
            "min_severity": "critical", "destination_ids": [id], "enabled": false});
        let r = owner.put(&app, &path, paused.clone()).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let body = json_of(r).await;
        assert_eq!(body["enabled"], false);
        assert_eq!(body["name"], "Paused regressions");
        regress(&app).await;
        assert_eq!(
            alert_delivery::Entity::find()
                .all(&app.testdb.db)
                .await
                .unwrap()
                .len(),
            0,
            "a paused rule raises no alert"
        );

        // Resumed, it raises the next regression's alert.
        let mut resumed = paused.clone();
        resumed["enabled"] = json!(true);
        let r = owner.put(&app, &path, resumed).send().await.unwrap();
        assert_eq!(r.status(), 200);
        regress_minutes_ago(&app, 2).await;
        assert_eq!(
            alert_delivery::Entity::find()
                .all(&app.testdb.db)
                .await
                .unwrap()
                .len(),
            1
        );
        let audited = app.audit_rows().await;
        let updates: Vec<_> = audited
            .iter()
            .filter(|a| a.action == "alert.rule.update")
            .collect();
        assert_eq!(updates.len(), 2);

        // Bad input is refused and changes nothing.
        let r = owner
            .put(
                &app,
                &path,
                json!({"name": "x", "trigger": "score_drop",
                "score_drop": -1, "destination_ids": [id]}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let r = owner
            .put(&app, "/api/v1/alerts/rules/999999", paused.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);

        // A viewer cannot; another organisation's owner finds no such rule, nor can it point
        // the rule at its own destination.
        let viewer = sign_in(&app, "viewer@contoso.example", "viewer").await;
        let r = viewer
            .put(&app, &path, paused.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let intruder = other_owner(&app).await;
        let r = intruder.put(&app, &path, paused).send().await.unwrap();
        assert_eq!(r.status(), 404);
        let rules = json_of(
            owner
                .get(&app, "/api/v1/alerts/rules")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(rules[0]["enabled"], true);
        assert_eq!(rules[0]["name"], "Paused regressions");
    }
}

#[actix_web::test]
async fn a_failed_scan_raises_a_scan_failed_alert_once() {
    for db in databases().await {
        let app = app_with_loopback(db).await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let hook = Receiver::start(vec![]).await;
        let (id, _) = webhook(&owner, &app, &hook.url).await;
        create(
            &owner,
            &app,
            "/api/v1/alerts/rules",
            json!({"name": "Failures", "trigger": "scan_failed", "destination_ids": [id]}),
        )
        .await;
        regress(&app).await;
        assert_eq!(
            dispatch(&app).await.delivered,
            0,
            "completed scans do not match"
        );
        // A tenant with nothing to evaluate (not connected, nothing imported): its scan fails.
        let bare = aether365_actors::directory::add_tenant(
            &app.testdb.db,
            app.organisation_id,
            aether365_actors::directory::NewTenant {
                display_name: "<b>Bare</b>".into(),
                microsoft_tenant_id: None,
                domains: vec!["bare.example".into()],
            },
        )
        .await
        .unwrap();
        let r = owner
            .post(&app, "/api/v1/scans", json!({"tenant_id": bare.id}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        let scan_id = json_of(r).await["scan_id"].as_i64().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let row = aether365_entities::scan::Entity::find_by_id(scan_id)
                .one(&app.testdb.db)
                .await
                .unwrap()
                .unwrap();
            if row.status == "failed" {
                break;
            }
            assert_ne!(row.status, "completed");
            assert!(Instant::now() < deadline, "scan still {}", row.status);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(dispatch(&app).await.delivered, 1);
        assert_eq!(dispatch(&app).await.delivered, 0);
        let got = hook.requests();
        assert_eq!(got.len(), 1);
        let body = got[0].json();
        assert_eq!(body["trigger"], "scan_failed", "{body}");
        assert_eq!(body["scan_id"], scan_id);
        assert!(body["error"].is_string(), "{body}");
        let queued = alert_delivery::Entity::find()
            .filter(alert_delivery::Column::ScanId.eq(scan_id))
            .all(&app.testdb.db)
            .await
            .unwrap();
        assert_eq!(queued.len(), 1);
    }
}

#[actix_web::test]
async fn a_live_scan_without_any_token_raises_consent_withdrawn() {
    use aether365_actors::scans::{ScanInput, ServiceInput, ServiceState, SnapshotSource};
    for db in databases().await {
        let app = app_with_loopback(db).await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let hook = Receiver::start(vec![]).await;
        let (id, _) = webhook(&owner, &app, &hook.url).await;
        create(
            &owner,
            &app,
            "/api/v1/alerts/rules",
            json!({"name": "Consent", "trigger": "consent_withdrawn", "destination_ids": [id]}),
        )
        .await;
        let input = |detail: &str, state: ServiceState| ScanInput {
            snapshot_id: None,
            source: SnapshotSource::Collector,
            collected_at: Utc::now(),
            services: ["entra_id", "exchange_online", "sharepoint"]
                .iter()
                .map(|s| ServiceInput {
                    service: s.to_string(),
                    state,
                    detail: Some(detail.to_string()),
                    as_of: None,
                })
                .collect(),
            note: None,
        };
        let refused = "no token for https://graph.microsoft.com: the application is not found in the tenant (AADSTS700016)";
        for (scan_input, minutes) in [
            // Throttled, not refused: no alert.
            (
                input("the service failed or throttled", ServiceState::Failed),
                30,
            ),
            (input(refused, ServiceState::Failed), 20),
        ] {
            let at = Utc::now() - chrono::Duration::minutes(minutes);
            persist_completed_scan(
                &app.testdb.db,
                CompletedScan {
                    organisation_id: app.organisation_id,
                    tenant_id: app.tenant_id,
                    kind: ScanKind::Compliance,
                    origin: ScanOrigin::Schedule,
                    snapshot_id: None,
                    input: Some(scan_input),
                    findings: vec![],
                    started_at: at,
                    finished_at: at,
                },
            )
            .await
            .unwrap();
        }
        assert_eq!(dispatch(&app).await.delivered, 1);
        let body = hook.requests()[0].json();
        assert_eq!(body["trigger"], "consent_withdrawn", "{body}");
        assert!(
            body["error"].as_str().unwrap().contains("AADSTS700016"),
            "{body}"
        );
    }
}
