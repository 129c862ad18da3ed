//! The alert as each destination wants it: the signed webhook's JSON, a Teams MessageCard, a
//! Slack message (`text` and `blocks`), an e-mail's plain-text and HTML parts. Tenant text
//! (tenant names, check titles) is escaped for every markup it lands in.

use serde::Serialize;

use super::{AlertEvent, Trigger};

/// Escapes text for HTML (element content and quoted attributes).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for Slack's `mrkdwn`: the three control characters (so no `<!channel>`, no
/// forged link) and the formatting marks.
pub fn escape_slack(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // Zero-width space after a formatting mark: shown as typed, never formatting.
            '*' | '_' | '~' | '`' => {
                out.push(c);
                out.push('\u{200B}');
            }
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a Teams MessageCard's `text` (HTML and Markdown are both interpreted).
fn escape_teams(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in escape_html(text).chars() {
        if "\\`*_{}[]()#+-.!|~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Links into the dashboard, under its public URL.
#[derive(Clone, Debug)]
pub(crate) struct Links {
    base: String,
}

impl Links {
    pub fn new(public_url: &str) -> Links {
        Links {
            base: public_url.trim_end_matches('/').to_string(),
        }
    }

    /// The scan's page, or the overview.
    pub fn scan(&self, event: &AlertEvent) -> String {
        match event.scan_id {
            Some(id) => format!("{}/scans/{id}", self.base),
            None => format!("{}/overview", self.base),
        }
    }

    /// A finding's page, or the scan's.
    pub fn finding(&self, event: &AlertEvent, finding_id: Option<i64>) -> String {
        match finding_id {
            Some(id) => format!("{}/findings/{id}", self.base),
            None => self.scan(event),
        }
    }
}

/// The signed webhook's body.
#[derive(Debug, Serialize)]
pub(crate) struct WebhookBody<'a> {
    /// `alert` (or `test`).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The delivery's id: the same on every retry, for the receiver to drop repeats.
    pub delivery_id: i64,
    pub link: String,
    #[serde(flatten)]
    pub event: &'a AlertEvent,
}

pub(crate) fn webhook<'a>(
    event: &'a AlertEvent,
    delivery_id: i64,
    links: &Links,
) -> WebhookBody<'a> {
    WebhookBody {
        kind: if event.trigger == Trigger::Test {
            "test"
        } else {
            "alert"
        },
        delivery_id,
        link: links.scan(event),
        event,
    }
}

/// Lines describing the event, each a (text, link) pair, before escaping.
fn lines(event: &AlertEvent, links: &Links) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    if let Some(score) = event.score {
        let change = event
            .score_change
            .map(|c| format!(" ({c:+.1})"))
            .unwrap_or_default();
        out.push((format!("Score: {score:.1}{change}"), None));
    }
    for c in &event.checks {
        let resource = c
            .resource
            .as_deref()
            .map(|r| format!(" on {r}"))
            .unwrap_or_default();
        out.push((
            format!("[{}] {} ({}){resource}", c.severity, c.title, c.check_id),
            Some(links.finding(event, c.finding_id)),
        ));
    }
    if let Some(error) = &event.error {
        out.push((format!("Error: {error}"), None));
    }
    out
}

fn colour(event: &AlertEvent) -> &'static str {
    match event.trigger {
        Trigger::Test => "2E86C1",
        Trigger::ScoreDrop => "E67E22",
        _ => "C0392B",
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct TeamsCard {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "@context")]
    context: &'static str,
    summary: String,
    #[serde(rename = "themeColor")]
    theme_color: &'static str,
    title: String,
    text: String,
    #[serde(rename = "potentialAction")]
    actions: Vec<TeamsAction>,
}

#[derive(Debug, Serialize)]
struct TeamsAction {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: &'static str,
    targets: Vec<TeamsTarget>,
}

#[derive(Debug, Serialize)]
struct TeamsTarget {
    os: &'static str,
    uri: String,
}

/// A Teams incoming webhook's MessageCard.
pub(crate) fn teams(event: &AlertEvent, links: &Links) -> TeamsCard {
    let text = lines(event, links)
        .into_iter()
        .map(|(line, link)| match link {
            Some(link) => format!("- [{}]({link})", escape_teams(&line)),
            None => format!("- {}", escape_teams(&line)),
        })
        .collect::<Vec<_>>()
        .join("\n");
    TeamsCard {
        kind: "MessageCard",
        context: "https://schema.org/extensions",
        summary: escape_teams(&event.title),
        theme_color: colour(event),
        title: escape_teams(&event.title),
        text,
        actions: vec![TeamsAction {
            kind: "OpenUri",
            name: "Open in aether365",
            targets: vec![TeamsTarget {
                os: "default",
                uri: links.scan(event),
            }],
        }],
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct SlackMessage {
    text: String,
    blocks: Vec<SlackBlock>,
}

#[derive(Debug, Serialize)]
struct SlackBlock {
    #[serde(rename = "type")]
    kind: &'static str,
    text: SlackText,
}

#[derive(Debug, Serialize)]
struct SlackText {
    #[serde(rename = "type")]
    kind: &'static str,
    text: String,
}

/// A Slack incoming webhook's message.
pub(crate) fn slack(event: &AlertEvent, links: &Links) -> SlackMessage {
    let section = |text: String| SlackBlock {
        kind: "section",
        text: SlackText {
            kind: "mrkdwn",
            text,
        },
    };
    let mut blocks = vec![section(format!(
        "*{}*\n<{}|Open in aether365>",
        escape_slack(&event.title),
        links.scan(event)
    ))];
    let body = lines(event, links)
        .into_iter()
        .map(|(line, link)| match link {
            Some(link) => format!("• <{link}|{}>", escape_slack(&line)),
            None => format!("• {}", escape_slack(&line)),
        })
        .collect::<Vec<_>>()
        .join("\n");
    if !body.is_empty() {
        blocks.push(section(body));
    }
    SlackMessage {
        text: escape_slack(&event.title),
        blocks,
    }
}

/// An e-mail's subject, plain-text and HTML parts.
pub(crate) fn email(event: &AlertEvent, links: &Links) -> (String, String, String) {
    let subject = format!("[aether365] {}", event.title.replace(['\r', '\n'], " "));
    let link = links.scan(event);
    let mut text = format!("{}\n\n", event.title);
    let mut items = String::new();
    for (line, href) in lines(event, links) {
        match &href {
            Some(href) => text.push_str(&format!("- {line}\n  {href}\n")),
            None => text.push_str(&format!("- {line}\n")),
        }
        items.push_str(&match href {
            Some(href) => format!(
                "<li><a href=\"{}\">{}</a></li>",
                escape_html(&href),
                escape_html(&line)
            ),
            None => format!("<li>{}</li>", escape_html(&line)),
        });
    }
    text.push_str(&format!("\nOpen in aether365: {link}\n"));
    let html = format!(
        "<!DOCTYPE html><html><body><h2>{}</h2><ul>{items}</ul>\
         <p><a href=\"{}\">Open in aether365</a></p></body></html>",
        escape_html(&event.title),
        escape_html(&link)
    );
    (subject, text, html)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::alerts::AlertCheck;

    fn event() -> AlertEvent {
        AlertEvent {
            trigger: Trigger::NewlyFailing,
            title: "<b>Evil</b> & *Co* <!channel>: 1 check newly failing".into(),
            organisation_id: 1,
            tenant_id: Some(2),
            tenant_name: Some("<b>Evil</b>".into()),
            scan_id: Some(7),
            scan_kind: Some("compliance".into()),
            score: Some(50.0),
            score_change: Some(-3.0),
            checks: vec![AlertCheck {
                check_id: "x.1".into(),
                title: "<script>alert(1)</script>".into(),
                severity: "critical".into(),
                service: "entra".into(),
                resource: None,
                finding_id: Some(9),
            }],
            error: None,
            at: chrono::Utc::now(),
        }
    }

    #[test]
    fn tenant_text_is_escaped_in_every_markup() {
        let links = Links::new("https://a.example/");
        let e = event();
        let card = serde_json::to_string(&teams(&e, &links)).unwrap();
        assert!(
            !card.contains("<b>") && !card.contains("<script>"),
            "{card}"
        );
        assert!(card.contains("https://a.example/findings/9"));
        let slack = serde_json::to_string(&slack(&e, &links)).unwrap();
        assert!(
            !slack.contains("<!channel>") && !slack.contains("<script>"),
            "{slack}"
        );
        assert!(slack.contains("<https://a.example/scans/7|Open in aether365>"));
        let (subject, text, html) = email(&e, &links);
        assert!(
            !html.contains("<script>") && !html.contains("<b>"),
            "{html}"
        );
        assert!(html.contains("&lt;script&gt;"));
        assert!(text.contains("<script>"), "plain text stays as typed");
        assert!(!subject.contains('\n'));
    }
}
