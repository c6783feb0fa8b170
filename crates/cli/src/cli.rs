//! The command line: subcommands and their flags.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Sanjeh (سنجه, "gauge"): a self-hosted help desk whose support KPIs are first-class.
#[derive(Debug, Parser)]
#[command(name = "sanjeh", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Settings every subcommand shares. Precedence: these flags, then `SANJEH_*` environment
/// variables, then the config file, then defaults.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Config file (TOML). Default: ./sanjeh.toml when it exists.
    #[arg(long, global = true, env = "SANJEH_CONFIG")]
    pub config: Option<PathBuf>,
    /// Database: a SQLite file path (or sqlite:PATH) or a postgres:// URL [env: SANJEH_DATABASE_URL].
    #[arg(long = "database", global = true)]
    pub database_url: Option<String>,
    /// Log filter, e.g. "info" or "sanjeh=debug,sqlx=warn" [env: SANJEH_LOG].
    #[arg(long, global = true)]
    pub log: Option<String>,
    /// Log format: text or json [env: SANJEH_LOG_FORMAT].
    #[arg(long, global = true)]
    pub log_format: Option<LogFormat>,
}

#[derive(Debug, Clone, Copy, ValueEnum, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the REST API (and health, readiness and Prometheus metrics).
    Serve(ServeArgs),
    /// Build a realistic, deterministic year of help-desk history, then serve it.
    Demo(DemoArgs),
    /// Import history. Idempotent: importing the same file twice adds nothing.
    Import(ImportArgs),
    /// Export the event log (interchange JSON Lines).
    Export(ExportArgs),
    /// Administration: agents, API tokens, projections.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Take an online, consistent copy of a SQLite store.
    Backup(BackupArgs),
    /// Show a ticket's metrics and the events that produced each one.
    Explain(ExplainArgs),
    /// Every KPI of the catalogue over a period, against benchmarks and targets.
    Report(ReportArgs),
    /// SLA: policies, business calendars, a ticket's targets, overdue tickets.
    #[command(subcommand)]
    Sla(crate::commands::SlaCommand),
    /// Email: mailboxes, the outbound relay, inbound limits, the outbound queue.
    #[command(subcommand)]
    Mail(crate::commands::MailCommand),
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Start of the period (inclusive): a date (midnight in --tz) or an RFC 3339 instant.
    #[arg(long)]
    pub from: Option<String>,
    /// End of the period (exclusive) [default: now; the period then defaults to 30 days].
    #[arg(long)]
    pub to: Option<String>,
    /// IANA time zone for the period and for days, weeks and months [default: UTC].
    #[arg(long)]
    pub tz: Option<String>,
    /// Groupings: day, week, month, channel, group, agent, priority, tag, kind, organization;
    /// comma-separated within a grouping, several groupings separated by ';'.
    #[arg(long)]
    pub by: Option<String>,
    /// en, fa or ru (first day of the week: Saturday for fa, Monday otherwise).
    #[arg(long)]
    pub lang: Option<String>,
    /// Leave out the previous period and the change.
    #[arg(long)]
    pub no_previous: bool,
    /// Only this channel's items (email, chat, …).
    #[arg(long)]
    pub channel: Option<String>,
    /// Only this group's items (its id).
    #[arg(long)]
    pub group: Option<String>,
    /// Only what this agent is credited with (their id).
    #[arg(long)]
    pub agent: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReportFormat,
    /// Rank the agents (the top-agents table) instead of reporting KPIs.
    #[arg(long)]
    pub agents: bool,
    /// Benchmark: compute the report this many times on the loaded dataset and print the
    /// timings (warm) and the process's peak memory to standard error.
    #[arg(long, hide = true)]
    pub repeat: Option<u32>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Csv,
    Markdown,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The ticket id.
    pub ticket: String,
    #[arg(long, value_enum, default_value = "text")]
    pub format: ExplainFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExplainFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [env: SANJEH_LISTEN] [default: 127.0.0.1:8080].
    #[arg(long)]
    pub listen: Option<String>,
    /// Also receive mail over SMTP on this address (behind your MX; see docs/email.md)
    /// [env: SANJEH_SMTP_LISTEN].
    #[arg(long)]
    pub smtp_listen: Option<String>,
    /// This node's name in mailbox leases when several nodes share one database
    /// [env: SANJEH_NODE_ID] [default: host name and --listen].
    #[arg(long)]
    pub node_id: Option<String>,
    /// The address people reach this server at, for links in mail (portal sign-in), e.g.
    /// https://help.example.com [env: SANJEH_PUBLIC_URL] [default: the listen address].
    #[arg(long)]
    pub public_url: Option<String>,
    /// Also trust this certificate authority (PEM) for HTTPS webhook servers, beside the
    /// Mozilla roots [env: SANJEH_WEBHOOK_CA_FILE].
    #[arg(long)]
    pub webhook_ca_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Tickets in the year of history.
    #[arg(long, default_value_t = 20_000)]
    pub tickets: u64,
    /// Random seed: the same seed gives the same history.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Build the history and exit without serving.
    #[arg(long)]
    pub no_serve: bool,
    /// Address to serve on [env: SANJEH_LISTEN] [default: 127.0.0.1:8080].
    #[arg(long)]
    pub listen: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// Interchange JSON Lines (see docs/interchange.md).
    Events,
    /// An event log in CSV (case, activity, time, resource…), read through --mapping.
    Csv,
    /// Zendesk API exports (JSON): tickets, audits, users, groups, organizations, ratings.
    Zendesk,
    /// Freshdesk API v2 exports (JSON): tickets, conversations, contacts, agents, groups.
    Freshdesk,
    /// Asterisk queue_log: the flat file or the database-table CSV export.
    Asterisk,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[arg(long, value_enum, default_value = "events")]
    pub format: ImportFormat,
    /// How the columns of a CSV event log map to events (TOML; see docs/import.md).
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// The source's IANA time zone, for times that carry no offset [default: UTC].
    #[arg(long)]
    pub tz: Option<String>,
    /// Check everything and report what would be imported; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Zendesk: compare Sanjeh's first reply and full resolution times with the export's own
    /// ticket_metrics and print the disagreements.
    #[arg(long)]
    pub verify: bool,
    /// The files to import (directories too, for zendesk and freshdesk); "-" reads standard
    /// input (events only).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// Interchange JSON Lines, in the order the events were applied.
    Events,
    /// One CSV row per ticket with its metric facts, for BI tools (docs/metrics.md).
    Facts,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value = "events")]
    pub format: ExportFormat,
    /// Write here instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create (or update) an agent or admin, optionally with a password for signing in.
    CreateAgent {
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long, default_value = "agent", value_parser = ["agent", "admin", "manager"])]
        role: String,
        /// Groups the agent works in (repeat the flag).
        #[arg(long = "group")]
        groups: Vec<String>,
        /// Read the password from this environment variable (never from a flag).
        #[arg(long)]
        password_env: Option<String>,
    },
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Rebuild every projection from the event log.
    Rebuild,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a token; its secret is printed once.
    Issue {
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["admin", "agent", "reporter"])]
        role: String,
        /// The agent the token acts as.
        #[arg(long)]
        agent: Option<String>,
    },
    /// Revoke a token by id.
    Revoke { id: String },
    /// List tokens (never their secrets).
    List,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new file to write the copy to.
    pub destination: PathBuf,
}
