//! The domains of a tenant that scans look at.

use aether365_entities::tenant;

/// Whether a domain belongs to Microsoft (`*.onmicrosoft.com`), so a tenant cannot set its DNS.
pub(crate) fn microsoft_owned(domain: &str) -> bool {
    domain == "onmicrosoft.com" || domain.ends_with(".onmicrosoft.com")
}

/// The domains an exposure scan observes, and the Microsoft-owned ones it skips.
pub(crate) fn exposure_domains(tenant: &tenant::Model) -> (Vec<String>, Vec<String>) {
    tenant_domains(tenant)
        .into_iter()
        .partition(|d| !microsoft_owned(d))
}

pub(super) fn skipped_text(skipped: &[String]) -> String {
    if skipped.is_empty() {
        String::new()
    } else {
        format!(
            " (skipped, Microsoft-owned, not configurable by the tenant: {})",
            skipped.join(", ")
        )
    }
}

/// The tenant's verified domains and its primary domain, lower-case, without duplicates.
pub(crate) fn tenant_domains(tenant: &tenant::Model) -> Vec<String> {
    let mut domains: Vec<String> = Vec::new();
    let listed = tenant
        .verified_domains
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str());
    for domain in listed.chain(std::iter::once(tenant.primary_domain.as_str())) {
        let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        if !domain.is_empty() && !domains.contains(&domain) {
            domains.push(domain);
        }
    }
    domains
}
