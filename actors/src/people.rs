//! People of an organisation: role changes and removals under the rule "an organisation keeps
//! at least one owner", and the revocation of the MCP tokens of someone who may no longer
//! manage them. Used by the dashboard and the command line (`aether365 user set-role`).
//!
//! # The owner rule under concurrency
//! Every change that could take the last owner away runs in one write transaction that first
//! takes the organisation's people lock ([`lock_people`]): on PostgreSQL a transaction-scoped
//! advisory lock on the organisation (the scan quota's scheme, another lock class), so two
//! owners demoting each other at the same moment, on one instance or two, are counted one after
//! the other and the second is refused; on SQLite `BEGIN IMMEDIATE` ([`crate::db::begin_write`])
//! already serialises every writer, and the count is read inside it.

use aether365_entities::{dashboard_session, mcp_token, user};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, Set, Statement,
};

use crate::audit::{AuditError, AuditEvent, write_one};
use crate::directory::ROLES;

/// The advisory lock class of people changes, combined with the organisation id (the scan
/// quota uses `0x6165_3336_0000_0000`).
const PEOPLE_LOCK: i64 = 0x6165_3336_0001_0000;

/// Errors of people changes.
#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("no person {0:?}")]
    NotFound(String),
    #[error("role must be one of {}", ROLES.join(", "))]
    InvalidRole,
    /// The actor may not make this change (the caller's `authorise` said so).
    #[error("{0}")]
    Forbidden(String),
    /// The change would leave the organisation without an owner.
    #[error("the organisation's last owner keeps the owner role: make someone else owner first")]
    LastOwner,
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
}

/// What a role change or a removal did.
#[derive(Clone, Debug)]
pub struct PersonChange {
    /// The person as they were before.
    pub before: user::Model,
    /// The person after a role change; `None` after a removal.
    pub after: Option<user::Model>,
    /// The MCP tokens revoked because their creator may no longer manage tokens. Tell the
    /// token validator of each ([`crate::tokens::TokenRevoked`]); other instances hear of them
    /// through the database (PostgreSQL) or their revocation poll.
    pub revoked_tokens: Vec<mcp_token::Model>,
}

/// Takes the organisation's people lock for the rest of the transaction `txn` (PostgreSQL; on
/// SQLite the write transaction holds the database's write lock already).
pub async fn lock_people<C: ConnectionTrait>(
    txn: &C,
    organisation_id: i64,
) -> Result<(), sea_orm::DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [(PEOPLE_LOCK ^ organisation_id).into()],
        ))
        .await?;
    }
    Ok(())
}

/// The organisation's owners, counted.
pub async fn owners<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
) -> Result<u64, sea_orm::DbErr> {
    user::Entity::find()
        .filter(user::Column::OrganisationId.eq(organisation_id))
        .filter(user::Column::Role.eq("owner"))
        .count(db)
        .await
}

/// Whether a role may manage tokens (and everything else): owners and admins.
fn manages(role: &str) -> bool {
    matches!(role, "owner" | "admin")
}

/// Revokes, inside `txn`, every active MCP token of the organisation that `user_id` created,
/// whatever its expiry, with one `token.revoke` audit row each made from `event` (who did it)
/// plus the token's id and label and `reason`. Answers the tokens revoked.
pub async fn revoke_tokens_created_by<C: ConnectionTrait>(
    txn: &C,
    organisation_id: i64,
    user_id: i64,
    event: &AuditEvent,
    reason: &str,
) -> Result<Vec<mcp_token::Model>, PeopleError> {
    let active = mcp_token::Entity::find()
        .filter(mcp_token::Column::OrganisationId.eq(organisation_id))
        .filter(mcp_token::Column::CreatedByUserId.eq(user_id))
        .filter(mcp_token::Column::RevokedAt.is_null())
        .order_by_asc(mcp_token::Column::Id)
        .all(txn)
        .await?;
    if active.is_empty() {
        return Ok(active);
    }
    let now = Utc::now();
    let ids: Vec<i64> = active.iter().map(|t| t.id).collect();
    mcp_token::Entity::update_many()
        .col_expr(mcp_token::Column::RevokedAt, Expr::value(now))
        .filter(mcp_token::Column::Id.is_in(ids))
        .filter(mcp_token::Column::RevokedAt.is_null())
        .exec(txn)
        .await?;
    let mut revoked = Vec::with_capacity(active.len());
    for mut token in active {
        let mut row = event.clone();
        row.action = "token.revoke".into();
        write_one(
            txn,
            row.organisation(organisation_id)
                .target(token.id)
                .detail(format!("label {:?}: {reason}", token.label)),
        )
        .await?;
        token.revoked_at = Some(now);
        revoked.push(token);
    }
    tracing::info!(
        organisation_id,
        user_id,
        tokens = revoked.len(),
        "tokens of a person who may no longer manage them revoked"
    );
    Ok(revoked)
}

/// Sets the role of person `user_id` of the organisation, under the people lock: refused with
/// [`PeopleError::LastOwner`] when it would leave no owner. Lowering a manager to viewer
/// revokes the tokens they created (audited with `event`'s actor). `event` describes the
/// actor; this writes the `person.role` row in the same transaction. `actor` is the dashboard
/// user making the change (`None`: the operator), whose rights are checked on their row as
/// read under the lock ([`authorise`]).
pub async fn set_role(
    db: &DatabaseConnection,
    organisation_id: i64,
    user_id: i64,
    role: &str,
    actor: Option<i64>,
    event: &AuditEvent,
) -> Result<PersonChange, PeopleError> {
    if !ROLES.contains(&role) {
        return Err(PeopleError::InvalidRole);
    }
    let txn = crate::db::begin_write(db).await?;
    lock_people(&txn, organisation_id).await?;
    let target = find_person(&txn, organisation_id, user_id).await?;
    // The conflict first: in a race of two owners the second learns that the last owner
    // stays (409), whatever else it may no longer do.
    if target.role == "owner" && role != "owner" && owners(&txn, organisation_id).await? <= 1 {
        return Err(PeopleError::LastOwner);
    }
    authorise(&txn, organisation_id, actor, &target, Some(role)).await?;
    let before = target.clone();
    let mut row = target.into_active_model();
    row.role = Set(role.to_string());
    let after = row.update(&txn).await?;
    let revoked_tokens = if manages(&before.role) && !manages(role) {
        revoke_tokens_created_by(
            &txn,
            organisation_id,
            after.id,
            event,
            &format!("its creator {} is now a {role}", after.email),
        )
        .await?
    } else {
        Vec::new()
    };
    let mut audit = event.clone();
    audit.action = "person.role".into();
    write_one(
        &txn,
        audit
            .organisation(organisation_id)
            .target(after.id)
            .detail(format!(
                "{}: {} -> {role}{}",
                after.email,
                before.role,
                revoked_note(revoked_tokens.len())
            )),
    )
    .await?;
    txn.commit().await?;
    Ok(PersonChange {
        before,
        after: Some(after),
        revoked_tokens,
    })
}

/// Removes person `user_id` of the organisation under the people lock: their sessions end,
/// the tokens they created are revoked, and a `person.remove` row is written with `event`'s
/// actor, all in one transaction. Refused with [`PeopleError::LastOwner`] for the last owner;
/// `actor` as for [`set_role`].
pub async fn remove(
    db: &DatabaseConnection,
    organisation_id: i64,
    user_id: i64,
    actor: Option<i64>,
    event: &AuditEvent,
) -> Result<PersonChange, PeopleError> {
    let txn = crate::db::begin_write(db).await?;
    lock_people(&txn, organisation_id).await?;
    let target = find_person(&txn, organisation_id, user_id).await?;
    if target.role == "owner" && owners(&txn, organisation_id).await? <= 1 {
        return Err(PeopleError::LastOwner);
    }
    authorise(&txn, organisation_id, actor, &target, None).await?;
    let revoked_tokens = revoke_tokens_created_by(
        &txn,
        organisation_id,
        target.id,
        event,
        &format!("its creator {} was removed", target.email),
    )
    .await?;
    dashboard_session::Entity::delete_many()
        .filter(dashboard_session::Column::UserId.eq(target.id))
        .exec(&txn)
        .await?;
    user::Entity::delete_by_id(target.id).exec(&txn).await?;
    let mut audit = event.clone();
    audit.action = "person.remove".into();
    write_one(
        &txn,
        audit
            .organisation(organisation_id)
            .target(target.id)
            .detail(format!(
                "{} ({}){}",
                target.email,
                target.role,
                revoked_note(revoked_tokens.len())
            )),
    )
    .await?;
    txn.commit().await?;
    Ok(PersonChange {
        before: target,
        after: None,
        revoked_tokens,
    })
}

/// Checks, under the people lock, that `actor` (a dashboard user; `None`: the operator, who may
/// do anything) may change `target` (to `new_role`, or remove them): they are still a member
/// and an owner or admin, and only an owner grants or takes the owner role. Their row is read
/// here, not taken from their session: someone demoted a moment ago cannot act as before.
async fn authorise<C: ConnectionTrait>(
    txn: &C,
    organisation_id: i64,
    actor: Option<i64>,
    target: &user::Model,
    new_role: Option<&str>,
) -> Result<(), PeopleError> {
    let Some(actor_id) = actor else {
        return Ok(());
    };
    let Some(actor) = user::Entity::find_by_id(actor_id)
        .filter(user::Column::OrganisationId.eq(organisation_id))
        .one(txn)
        .await?
    else {
        return Err(PeopleError::Forbidden(
            "you are no longer a member of this organisation".into(),
        ));
    };
    if !manages(&actor.role) {
        return Err(PeopleError::Forbidden(format!(
            "the {} role may read but not manage people",
            actor.role
        )));
    }
    let touches_owner = target.role == "owner" || new_role == Some("owner");
    if touches_owner && actor.role != "owner" {
        return Err(PeopleError::Forbidden(
            "only an owner may grant or take the owner role".into(),
        ));
    }
    Ok(())
}

fn revoked_note(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => "; 1 MCP token they created revoked".into(),
        n => format!("; {n} MCP tokens they created revoked"),
    }
}

async fn find_person<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
    user_id: i64,
) -> Result<user::Model, PeopleError> {
    user::Entity::find_by_id(user_id)
        .filter(user::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?
        .ok_or_else(|| PeopleError::NotFound(user_id.to_string()))
}

/// The person of the organisation with this email (as stored: trimmed, lower case).
pub async fn find_by_email<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
    email: &str,
) -> Result<user::Model, PeopleError> {
    let email = email.trim().to_lowercase();
    user::Entity::find()
        .filter(user::Column::OrganisationId.eq(organisation_id))
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?
        .ok_or(PeopleError::NotFound(email))
}
