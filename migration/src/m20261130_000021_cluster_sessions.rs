//! Sessions that belong to the cluster: a handshake-era MCP session's negotiated state, the
//! instance holding its SSE stream and its last activity (any instance answers its requests),
//! and the instances' heartbeats (which tell whether a session's stream holder is alive).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum McpSessions {
    Table,
    Id,
    TokenId,
    Transport,
    ProtocolVersion,
    ClientInfo,
    ClientCapabilities,
    LogLevel,
    Subscriptions,
    Tasks,
    Initialized,
    Holder,
    Revision,
    CreatedAt,
    LastActiveAt,
}

#[derive(DeriveIden)]
enum ClusterInstances {
    Table,
    Id,
    SeenAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(McpSessions::Table)
                    .if_not_exists()
                    .col(string(McpSessions::Id).primary_key())
                    .col(big_integer(McpSessions::TokenId))
                    .col(string(McpSessions::Transport))
                    .col(string(McpSessions::ProtocolVersion))
                    .col(text_null(McpSessions::ClientInfo))
                    .col(text(McpSessions::ClientCapabilities))
                    .col(string_null(McpSessions::LogLevel))
                    .col(text(McpSessions::Subscriptions))
                    .col(text(McpSessions::Tasks))
                    .col(boolean(McpSessions::Initialized))
                    .col(string(McpSessions::Holder))
                    .col(big_integer(McpSessions::Revision).default(0))
                    .col(timestamp_with_time_zone(McpSessions::CreatedAt))
                    .col(timestamp_with_time_zone(McpSessions::LastActiveAt))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_mcp_sessions_token", McpSessions::TokenId),
            ("idx_mcp_sessions_last_active", McpSessions::LastActiveAt),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(McpSessions::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ClusterInstances::Table)
                    .if_not_exists()
                    .col(string(ClusterInstances::Id).primary_key())
                    .col(timestamp_with_time_zone(ClusterInstances::SeenAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ClusterInstances::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(McpSessions::Table).to_owned())
            .await
    }
}
