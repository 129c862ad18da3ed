//! Who sends a request.

use aether365_actors::Principal;

/// The authenticated caller of one HTTP request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Principal,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
}
