//! The OAuth consent page (server-rendered, no script): who asks, where the answer goes, what
//! the application may do, and which tenants of the person's organisation it may read. The
//! form carries a CSRF token bound to the dashboard session and to the request it approves.

use blake2::Blake2bMac;
use blake2::digest::consts::U32;
use blake2::digest::{KeyInit, Mac};

/// One tenant the person may grant.
#[derive(Clone, Debug)]
pub struct TenantChoice {
    pub id: i64,
    pub name: String,
}

/// What the consent page shows.
#[derive(Clone, Debug)]
pub struct ConsentView {
    /// The client's self-declared name: untrusted, escaped.
    pub client_name: String,
    /// The host that served the client's metadata document, when its `client_id` is one.
    pub verified_domain: Option<String>,
    /// The person's own organisation pre-registered the client (Settings > MCP): its name was
    /// given by one of their administrators, not by the application.
    pub registered_by_organisation: bool,
    pub redirect_host: String,
    pub organisation: String,
    pub user_email: String,
    pub tenants: Vec<TenantChoice>,
    pub csrf: String,
    /// The authorization request's parameters, sent back with the answer.
    pub hidden: Vec<(&'static str, String)>,
}

/// What an approved application may do, in the person's words.
pub const CAPABILITIES: &str = "Read posture and findings, start read-only scans. \
     It can never change your Microsoft 365 tenant or apply a fix.";

/// Escapes text for HTML content and quoted attribute values (the alert e-mails' escaping).
pub use aether365_actors::alerts::escape_html as escape;

fn mac(session: &str, binding: &str) -> Option<Blake2bMac<U32>> {
    // The session id is 64 hex characters: within BLAKE2b's 64-byte key limit.
    let mut mac = <Blake2bMac<U32> as KeyInit>::new_from_slice(session.as_bytes()).ok()?;
    mac.update(b"aether365 oauth consent\0");
    mac.update(binding.as_bytes());
    Some(mac)
}

/// The CSRF token of a consent form: a MAC keyed by the session cookie's value (which a
/// cross-site page cannot read) over the request it approves.
pub fn csrf_token(session: &str, binding: &str) -> String {
    mac(session, binding)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default()
}

/// Whether `token` is the CSRF token of `session` and `binding` (constant time).
pub fn csrf_matches(session: &str, binding: &str, token: &str) -> bool {
    let Ok(bytes) = hex::decode(token) else {
        return false;
    };
    mac(session, binding).is_some_and(|m| m.verify_slice(&bytes).is_ok())
}

/// The consent page's Content-Security-Policy: the dashboard's, with the form allowed to
/// reach the client's redirect origin (browsers apply `form-action` to the redirect too).
pub fn content_security_policy(redirect_origin: &str) -> String {
    super::pages::CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'",
        &format!("form-action 'self' {redirect_origin}"),
    )
}

const STYLE: &str = "<link rel=\"stylesheet\" href=\"/assets/dashboard.css\">";

/// The consent page.
pub fn render(view: &ConsentView) -> String {
    let hidden: String = view
        .hidden
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape(value)
            )
        })
        .collect();
    let tenants: String = view
        .tenants
        .iter()
        .map(|t| {
            format!(
                "<option value=\"{}\">Only {}</option>",
                t.id,
                escape(&t.name)
            )
        })
        .collect();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Allow access? · aether365</title>{STYLE}</head>\
<body class=\"consent\"><main class=\"card consent-card\">\
<h1>Allow <span class=\"client-name\">{client}</span> to use aether365?</h1>\
<p>{named}{verified}Its answer goes to <strong>{host}</strong>.</p>\
<h2>It will be able to</h2><p>{capabilities}</p>\
<h2>For</h2><p>Organisation <strong>{organisation}</strong>, signed in as {email}.</p>\
<form method=\"post\" action=\"/oauth/authorize\">{hidden}\
<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<label for=\"tenant\">Tenants it may read</label>\
<select id=\"tenant\" name=\"tenant\"><option value=\"all\">All tenants of {organisation}</option>{tenants}</select>\
<div class=\"actions\"><button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button> \
<button type=\"submit\" name=\"decision\" value=\"allow\" class=\"primary\">Allow</button></div>\
</form></main></body></html>\n",
        client = escape(&view.client_name),
        named = if view.registered_by_organisation {
            format!(
                "An administrator of {} registered this application as <strong>{}</strong> \
(Settings &gt; MCP). ",
                escape(&view.organisation),
                escape(&view.client_name)
            )
        } else {
            format!(
                "The application named itself <strong>{}</strong>; aether365 has not verified \
this name. ",
                escape(&view.client_name)
            )
        },
        verified = view
            .verified_domain
            .as_deref()
            .map_or_else(String::new, |d| format!(
                "It is published by <strong class=\"verified-domain\">{}</strong> (verified: \
its description is served from that domain). ",
                escape(d)
            )),
        host = escape(&view.redirect_host),
        capabilities = escape(CAPABILITIES),
        organisation = escape(&view.organisation),
        email = escape(&view.user_email),
        csrf = escape(&view.csrf),
    )
}

/// A page explaining why an authorization request cannot go on.
pub fn error_page(message: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Cannot authorize · aether365</title>{STYLE}</head>\
<body class=\"consent\"><main class=\"card consent-card\"><h1>This request cannot go on</h1>\
<p>{}</p></main></body></html>\n",
        escape(message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_names_are_escaped() {
        let view = ConsentView {
            client_name: "<script>alert(1)</script>\"".into(),
            verified_domain: Some("<i>app.example".into()),
            registered_by_organisation: false,
            redirect_host: "a.example".into(),
            organisation: "Contoso".into(),
            user_email: "o@contoso.example".into(),
            tenants: vec![TenantChoice {
                id: 3,
                name: "<b>".into(),
            }],
            csrf: "x".into(),
            hidden: vec![("state", "\"><script>".into())],
        };
        let page = render(&view);
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;"));
        assert!(page.contains("Only &lt;b&gt;"));
        assert!(page.contains("&lt;i&gt;app.example"));
    }

    #[test]
    fn only_a_client_of_the_person_s_organisation_is_named_by_it() {
        let mut view = ConsentView {
            client_name: "Deploy <bot>".into(),
            verified_domain: None,
            registered_by_organisation: false,
            redirect_host: "a.example".into(),
            organisation: "Contoso & Co".into(),
            user_email: "o@contoso.example".into(),
            tenants: Vec::new(),
            csrf: "x".into(),
            hidden: Vec::new(),
        };
        let page = render(&view);
        assert!(page.contains("has not verified this name"), "{page}");
        assert!(!page.contains("registered this application"), "{page}");
        view.registered_by_organisation = true;
        let page = render(&view);
        assert!(
            page.contains("An administrator of Contoso &amp; Co registered this application as <strong>Deploy &lt;bot&gt;</strong>"),
            "{page}"
        );
        assert!(!page.contains("has not verified this name"), "{page}");
    }

    #[test]
    fn csrf_tokens_are_bound_to_session_and_request() {
        let session = "a".repeat(64);
        let token = csrf_token(&session, "request");
        assert!(csrf_matches(&session, "request", &token));
        assert!(!csrf_matches(&"b".repeat(64), "request", &token));
        assert!(!csrf_matches(&session, "other", &token));
        assert!(!csrf_matches(&session, "request", "zz"));
    }
}
