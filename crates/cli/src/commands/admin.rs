//! `sanjeh admin`: agents and admins, API tokens, and rebuilding projections.

use super::{CliError, CliResult};
use crate::cli::{AdminCommand, TokenCommand};
use crate::config::Settings;
use crate::progress;
use sanjeh_domain::Id;
use sanjeh_domain::event::{AgentProfile, EventBody};
use sanjeh_store::auth::Role;
use sanjeh_store::{Durability, Request, Writer};

pub async fn run(settings: &Settings, command: AdminCommand) -> CliResult {
    let store = super::open(settings, Durability::Full).await?;
    match command {
        AdminCommand::CreateAgent {
            id,
            name,
            email,
            role,
            groups,
            password_env,
        } => {
            let agent = Id::parse("id", &id).map_err(|e| CliError::Usage(e.to_string()))?;
            let groups = groups
                .iter()
                .map(|g| Id::parse("group", g))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| CliError::Usage(e.to_string()))?;
            let password = match password_env {
                Some(var) => Some(std::env::var(&var).map_err(|_| {
                    CliError::Usage(format!("environment variable {var} is not set"))
                })?),
                None => None,
            };
            let writer = Writer::start(store.clone(), None);
            let profile = AgentProfile {
                agent: agent.clone(),
                name: Some(name),
                email,
                role: Some(role.clone()),
                groups: Some(groups),
                active: Some(true),
            };
            writer
                .submit(
                    Request::Record(vec![EventBody::AgentProfile(profile)]),
                    None,
                )
                .await?;
            if let Some(password) = password {
                store.set_password(agent.as_str(), &password).await?;
            }
            println!("{role} {agent} saved");
        }
        AdminCommand::Token(TokenCommand::Issue { name, role, agent }) => {
            let (info, secret) = store
                .issue_token(&name, Role::parse(&role)?, agent.as_deref())
                .await?;
            eprintln!(
                "token {} ({}) issued; its secret is shown once:",
                info.id,
                info.role.as_str()
            );
            println!("{}", secret.0);
        }
        AdminCommand::Token(TokenCommand::Revoke { id }) => {
            if !store.revoke_token(&id).await? {
                return Err(CliError::Usage(format!("no live token with id {id}")));
            }
            println!("token {id} revoked");
        }
        AdminCommand::Token(TokenCommand::List) => {
            for t in store.tokens().await? {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else {
                    "live"
                };
                println!(
                    "{}\t{}\t{}\t{}\t{state}",
                    t.id,
                    t.role.as_str(),
                    t.agent.as_deref().unwrap_or("-"),
                    t.name
                );
            }
        }
        AdminCommand::Rebuild => {
            let total = store.event_count().await?;
            let bar = progress::bar(total as u64, "events");
            let n = store.rebuild(&|n| bar.set_position(n)).await?;
            bar.finish_and_clear();
            println!("rebuilt every projection from {n} events");
        }
    }
    store.close().await;
    Ok(())
}
