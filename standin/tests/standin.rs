//! The stand-in's own behaviour over HTTP: tokens, bearer checks, paging, cmdlets, faults.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use m365_standin::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, StandIn, StandInConfig};
use serde_json::{Value, json};

fn start(page_size: usize) -> StandIn {
    let mut c = StandInConfig::bundled().unwrap();
    c.page_size = page_size;
    StandIn::start(c).unwrap()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn token_response(s: &StandIn, secret: &str, client_id: &str, scope: &str) -> (u16, Value) {
    let url = format!(
        "{}/{}/oauth2/v2.0/token",
        s.endpoints().authority,
        s.tenant_id()
    );
    let r = http()
        .post(url)
        .form(&[
            ("client_id", client_id),
            ("client_secret", secret),
            ("scope", scope),
            ("grant_type", "client_credentials"),
        ])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn token(s: &StandIn, resource: &str) -> String {
    let (status, v) = token_response(
        s,
        DEFAULT_CLIENT_SECRET,
        DEFAULT_CLIENT_ID,
        &format!("{resource}/.default"),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["token_type"], "Bearer");
    assert!(v["expires_in"].as_u64().unwrap() > 0);
    v["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_authority_answers_like_entra() {
    let s = start(10);
    let graph = s.endpoints().graph;
    let (status, v) =
        token_response(&s, "nope", DEFAULT_CLIENT_ID, &format!("{graph}/.default")).await;
    assert_eq!(status, 401);
    assert_eq!(v["error"], "invalid_client");
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS7000215:")
    );
    assert_eq!(v["error_codes"], json!([7000215]));
    for id in ["trace_id", "correlation_id"] {
        let id = uuid::Uuid::parse_str(v[id].as_str().unwrap()).unwrap();
        assert_eq!(
            id.get_version(),
            Some(uuid::Version::Random),
            "GUIDs like Entra's"
        );
    }

    let (status, v) = token_response(
        &s,
        DEFAULT_CLIENT_SECRET,
        "someone-else",
        &format!("{graph}/.default"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS700016:")
    );

    let (status, v) = token_response(&s, DEFAULT_CLIENT_SECRET, DEFAULT_CLIENT_ID, &graph).await;
    assert_eq!(status, 400);
    assert_eq!(v["error"], "invalid_scope");

    let (status, _) = token_response(
        &s,
        DEFAULT_CLIENT_SECRET,
        DEFAULT_CLIENT_ID,
        "https://graph.microsoft.com/.default",
    )
    .await;
    assert_eq!(status, 200, "the real resource name is accepted too");
}

#[tokio::test]
async fn apis_check_the_bearer_and_its_audience() {
    let s = start(10);
    let e = s.endpoints();
    let url = format!("{}/v1.0/organization", e.graph);
    let r = http().get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");

    let exo_token = token(&s, &e.exchange).await;
    let r = http()
        .get(&url)
        .bearer_auth(&exo_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "a token for Exchange is not a Graph token");

    let graph_token = token(&s, &e.graph).await;
    let r = http()
        .get(&url)
        .bearer_auth(&graph_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn graph_collections_are_paged() {
    let s = start(3);
    let e = s.endpoints();
    let t = token(&s, &e.graph).await;
    let mut url = format!("{}/beta/identity/conditionalAccess/policies", e.graph);
    let mut items = 0;
    let mut pages = 0;
    loop {
        let v: Value = http()
            .get(&url)
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(v["@odata.context"].as_str().unwrap().contains("$metadata#"));
        items += v["value"].as_array().unwrap().len();
        pages += 1;
        match v["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    let export = StandInConfig::bundled().unwrap().export;
    assert_eq!(
        items,
        export["conditional_access_policies"]
            .as_array()
            .unwrap()
            .len()
    );
    assert!(pages >= 3);

    let r = http()
        .get(format!("{}/beta/nothingHere", e.graph))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "Request_ResourceNotFound");
}

async fn invoke(
    s: &StandIn,
    base: &str,
    token: &str,
    url: Option<&str>,
    cmdlet: &str,
) -> reqwest::Response {
    let url = url.map_or_else(
        || format!("{base}/adminapi/beta/{}/InvokeCommand", s.tenant_id()),
        str::to_string,
    );
    http()
        .post(url)
        .bearer_auth(token)
        .json(&json!({"CmdletInput": {"CmdletName": cmdlet, "Parameters": {}}}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn invoke_command_pages_and_refuses_unknown_cmdlets() {
    let s = start(10);
    let scc = s.endpoints().compliance;
    let t = token(&s, &scc).await;
    let mut next: Option<String> = None;
    let mut items = Vec::new();
    loop {
        let r = invoke(&s, &scc, &t, next.as_deref(), "Get-ProtectionAlert").await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        items.extend(v["value"].as_array().unwrap().iter().cloned());
        match v["@odata.nextLink"].as_str() {
            Some(n) => next = Some(n.to_string()),
            None => break,
        }
    }
    let export = StandInConfig::bundled().unwrap().export;
    assert_eq!(Value::Array(items), export["protection_alerts"]);

    let exo = s.endpoints().exchange;
    let t = token(&s, &exo).await;
    let r = invoke(&s, &exo, &t, None, "Set-OrganizationConfig").await;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is not recognized")
    );
    let r = invoke(&s, &exo, &t, None, "Get-OutboundConnector").await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v["value"],
        json!([]),
        "an export's [null] is an empty answer"
    );
}

/// The Security Suite baseline's cmdlets (ScubaGear's main branch) answer the stand-in
/// tenant's own settings, with the properties the cmdlets output.
#[tokio::test]
async fn security_suite_cmdlets_answer_the_tenant_settings() {
    let s = start(50);
    let exo = s.endpoints().exchange;
    let t = token(&s, &exo).await;
    let answer = |v: Value| v["value"].as_array().unwrap().clone();
    for cmdlet in [
        "Get-MalwareFilterRule",
        "Get-HostedContentFilterRule",
        "Get-AntiPhishRule",
        "Get-SafeAttachmentRule",
        "Get-SafeLinksRule",
    ] {
        let r = invoke(&s, &exo, &t, None, cmdlet).await;
        assert_eq!(r.status(), 200, "{cmdlet}");
        // The stand-in tenant has no custom policy, so no rule.
        assert!(answer(r.json().await.unwrap()).is_empty(), "{cmdlet}");
    }
    let r = invoke(&s, &exo, &t, None, "Get-SafeAttachmentPolicy").await;
    let pols = answer(r.json().await.unwrap());
    assert!(
        pols.iter()
            .any(|p| p["Identity"] == "Built-In Protection Policy"
                && p["IsBuiltInProtection"] == true
                && p["Action"] == "Block")
    );
    let r = invoke(&s, &exo, &t, None, "Get-SafeLinksPolicy").await;
    let pols = answer(r.json().await.unwrap());
    assert_eq!(pols.len(), 3);
    for p in &pols {
        for k in [
            "EnableSafeLinksForEmail",
            "EnableSafeLinksForTeams",
            "EnableSafeLinksForOffice",
            "TrackClicks",
            "ScanUrls",
            "DeliverMessageAfterScan",
            "EnableForInternalSenders",
        ] {
            assert_eq!(p[k], true, "{k}");
        }
    }
    let r = invoke(&s, &exo, &t, None, "Get-ATPBuiltInProtectionRule").await;
    let rules = answer(r.json().await.unwrap());
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0]["ExceptIfSentTo"], Value::Null);
    let scc = s.endpoints().compliance;
    let t = token(&s, &scc).await;
    let r = invoke(&s, &scc, &t, None, "Get-UnifiedAuditLogRetentionPolicy").await;
    let pols = answer(r.json().await.unwrap());
    assert_eq!(pols[0]["RetentionDuration"], "TwelveMonths");
    // The preset copies are named as the preset rules of the bundled export apply them.
    let r = invoke(
        &s,
        &exo,
        &token(&s, &exo).await,
        None,
        "Get-HostedContentFilterPolicy",
    )
    .await;
    let pols = answer(r.json().await.unwrap());
    let export = StandInConfig::bundled().unwrap().export;
    let applied = export["protection_policy_rules"][1]["HostedContentFilterPolicy"].clone();
    assert!(pols.iter().any(|p| p["Identity"] == applied), "{applied}");
}

#[tokio::test]
async fn sharepoint_answers_verbose_odata() {
    let s = start(10);
    let spo = s.endpoints().sharepoint_admin;
    let t = token(&s, &spo).await;
    let r = http()
        .get(format!("{spo}/_api/SPO.Tenant"))
        .header("Accept", "application/json;odata=verbose")
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("odata=verbose")
    );
    let v: Value = r.json().await.unwrap();
    let export = StandInConfig::bundled().unwrap().export;
    assert_eq!(v["d"], export["SPO_tenant"][0]);
}

#[tokio::test]
async fn faults_over_http_and_the_request_log() {
    let s = start(10);
    let base = s.base_url().to_string();
    let r = http()
        .post(format!("{base}/_standin/faults"))
        .json(&json!({"kind": "throttle", "retry_after_secs": 7, "target": {"path_prefix": "/graph"}, "times": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let g = s.endpoints().graph;
    let t = token(&s, &g).await;
    let url = format!("{g}/v1.0/organization");
    let r = http().get(&url).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "7");
    let r = http().get(&url).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 200);

    http()
        .post(format!("{base}/_standin/faults"))
        .json(&json!({"kind": "forbidden", "target": {"path_prefix": "/graph/v1.0/organization"}}))
        .send()
        .await
        .unwrap();
    let r = http().get(&url).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "Authorization_RequestDenied");
    http()
        .delete(format!("{base}/_standin/faults"))
        .send()
        .await
        .unwrap();
    let r = http().get(&url).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 200);

    let log: Vec<Value> = http()
        .get(format!("{base}/_standin/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let statuses: Vec<u64> = log
        .iter()
        .filter(|r| r["path"] == "/graph/v1.0/organization")
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [429, 200, 403, 200]);
    assert_eq!(
        s.requests().len(),
        log.len() + 1,
        "the log request itself is recorded after answering"
    );
}

#[tokio::test]
async fn power_platform_answers_in_bap_shapes() {
    let s = start(1);
    let bap = s.endpoints().power_platform;
    let t = token(&s, &bap).await;
    let r = http()
        .get(format!("{bap}/providers/Microsoft.BusinessAppPlatform/scopes/admin/environments?api-version=2023-06-01"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["value"].as_array().unwrap().len(), 1);
    assert!(
        v["nextLink"]
            .as_str()
            .unwrap()
            .contains("api-version=2023-06-01")
    );
    assert!(v["value"][0]["properties"]["environmentSku"].is_string());
    let r = http()
        .get(format!(
            "{bap}/providers/PowerPlatform.Governance/v1/tenants/00000000-0000-0000-0000-000000000000/tenantIsolationPolicy?api-version=2020-06-01"
        ))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "another tenant's isolation policy");
}

#[tokio::test]
async fn fabric_serves_tenant_settings_to_its_own_audience_only_with_continuations() {
    let s = start(10);
    let fabric = s.endpoints().fabric.unwrap();
    let url = format!("{fabric}/v1/admin/tenantsettings");
    // A token for another API is refused, as Fabric refuses a token of another audience.
    let graph = token(&s, &s.endpoints().graph).await;
    let r = http().get(&url).bearer_auth(&graph).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["errorCode"].is_string() && v["message"].is_string(),
        "{v}"
    );
    // The real resource and the stand-in's own URL are both Fabric's audience.
    let t = token(&s, "https://api.fabric.microsoft.com").await;
    let v: Value = http()
        .get(&url)
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first = v["value"].as_array().unwrap();
    assert_eq!(first.len(), 10);
    assert!(
        first
            .iter()
            .all(|s| s["settingName"].is_string() && s["enabled"].is_boolean())
    );
    assert_eq!(v["continuationToken"], "10");
    let next = v["continuationUri"].as_str().unwrap().to_string();
    assert!(next.starts_with(&url), "{next}");
    let t = token(&s, &fabric).await;
    let v: Value = http()
        .get(&next)
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["value"].as_array().unwrap().len(), 6);
    assert!(v.get("continuationUri").is_none() && v.get("continuationToken").is_none());
    // Reads only.
    let r = http().post(&url).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 405);
}
