//! `sanjeh mail …`: the email channel's configuration (mailboxes with their IMAP accounts,
//! the outbound relay, inbound limits) and the outbound queue. Written to the database, so
//! every `sanjeh serve` node picks a change up within its reload interval (15 s).
//!
//! Passwords never come from a flag (they would sit in the shell history and `ps`): either
//! `--…-password-env VAR` stores the *name* of an environment variable that `sanjeh serve`
//! reads, or `--…-password-stdin` reads the password from standard input and stores it.

use super::{CliError, CliResult};
use crate::config::Settings;
use clap::{Args, Subcommand, ValueEnum};
use sanjeh_email::config::{
    self, AfterProcessing, ImapSettings, InboundSettings, MailConfigError, MailboxSettings,
    OutboundSettings, TlsMode,
};
use sanjeh_store::{Durability, Store};

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Mailboxes: the addresses Sanjeh receives on, their groups and IMAP accounts.
    #[command(subcommand)]
    Mailbox(MailboxCommand),
    /// The SMTP relay agents' replies go out through.
    #[command(subcommand)]
    Outbound(OutboundCommand),
    /// Limits on inbound mail.
    #[command(subcommand)]
    Inbound(InboundCommand),
    /// The outbound queue, newest first.
    Queue {
        /// Only mail given up on (failed).
        #[arg(long)]
        failed: bool,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Put a failed mail back in the queue, due now.
    Retry { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum MailboxCommand {
    /// Add a mailbox, or replace one with the same address.
    Add(MailboxArgs),
    /// List the mailboxes (passwords are never shown).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a mailbox (its tickets and messages stay).
    Remove { address: String },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TlsArg {
    Plain,
    Starttls,
    Tls,
}

impl From<TlsArg> for TlsMode {
    fn from(t: TlsArg) -> TlsMode {
        match t {
            TlsArg::Plain => TlsMode::Plain,
            TlsArg::Starttls => TlsMode::Starttls,
            TlsArg::Tls => TlsMode::Tls,
        }
    }
}

#[derive(Debug, Args)]
pub struct MailboxArgs {
    /// The address customers write to, e.g. support@example.com.
    pub address: String,
    /// The group its new tickets go to.
    #[arg(long)]
    pub group: Option<String>,
    /// Fetch its mail over IMAP: imaps://host[:993] or imap://host[:143].
    #[arg(long)]
    pub imap_url: Option<String>,
    /// The IMAP login [default: the address].
    #[arg(long)]
    pub imap_user: Option<String>,
    /// The environment variable holding the IMAP password, read by `sanjeh serve`.
    #[arg(long, conflicts_with = "imap_password_stdin")]
    pub imap_password_env: Option<String>,
    /// Read the IMAP password from standard input and store it.
    #[arg(long)]
    pub imap_password_stdin: bool,
    /// plain, starttls or tls [default: tls for imaps://, starttls for imap://].
    #[arg(long, value_enum)]
    pub imap_tls: Option<TlsArg>,
    /// PEM certificate authorities to trust instead of the public ones (a private CA, a
    /// self-signed server).
    #[arg(long)]
    pub imap_ca_file: Option<String>,
    #[arg(long, default_value = "INBOX")]
    pub imap_folder: String,
    /// Move stored messages to this folder instead of flagging them \Seen.
    #[arg(long)]
    pub imap_move_to: Option<String>,
    /// Seconds between polls when the server has no IDLE.
    #[arg(long, default_value_t = 60)]
    pub imap_interval: u64,
}

#[derive(Debug, Subcommand)]
// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum OutboundCommand {
    /// Set the relay (replaces the previous settings).
    Set(OutboundArgs),
    /// Show the relay (the password is never shown).
    Show,
}

#[derive(Debug, Args)]
pub struct OutboundArgs {
    /// The relay's host name (as its certificate names it).
    #[arg(long)]
    pub host: String,
    /// [default: 25 for plain, 587 for starttls, 465 for tls]
    #[arg(long)]
    pub port: Option<u16>,
    #[arg(long, value_enum, default_value = "starttls")]
    pub tls: TlsArg,
    #[arg(long)]
    pub user: Option<String>,
    /// The environment variable holding the relay password, read by `sanjeh serve`.
    #[arg(long, conflicts_with = "password_stdin")]
    pub password_env: Option<String>,
    /// Read the relay password from standard input and store it.
    #[arg(long)]
    pub password_stdin: bool,
    /// PEM certificate authorities to trust instead of the public ones.
    #[arg(long)]
    pub ca_file: Option<String>,
    /// The sender of replies to tickets that came in on no mailbox.
    #[arg(long)]
    pub from: String,
    #[arg(long, default_value = "Support")]
    pub from_name: String,
    /// The domain of the Message-IDs Sanjeh makes [default: the domain of --from].
    #[arg(long)]
    pub message_id_domain: Option<String>,
    /// Reply-To support+T-1@…: only when your mail server delivers plus-addressed mail.
    #[arg(long)]
    pub plus_addressing: bool,
    #[arg(long, default_value_t = 8)]
    pub max_attempts: i64,
    /// SMTP connections kept open to the relay (mails sent at once); lower it for relays
    /// that limit connections per client.
    #[arg(long, default_value_t = 16)]
    pub connections: u32,
    /// Sanjeh's public web address, for the survey link in "solved" notices.
    #[arg(long)]
    pub base_url: Option<String>,
    /// Notification language when neither customer nor mailbox names one (en, fa, ru).
    #[arg(long, default_value = "en")]
    pub default_language: String,
    /// Do not mail the customer when their email ticket is solved.
    #[arg(long)]
    pub no_solved_notice: bool,
}

#[derive(Debug, Subcommand)]
pub enum InboundCommand {
    /// Set the limits (unnamed ones keep their current value).
    Set {
        #[arg(long)]
        max_message_bytes: Option<usize>,
        #[arg(long)]
        max_attachment_bytes: Option<usize>,
        /// Messages per sender per window that make tickets.
        #[arg(long)]
        rate_limit: Option<i64>,
        #[arg(long)]
        rate_window_minutes: Option<i64>,
        #[arg(long)]
        same_subject_window_minutes: Option<i64>,
        /// Sanjeh's own addresses besides the mailboxes (repeat the flag; replaces the list).
        #[arg(long = "own-address")]
        own_addresses: Vec<String>,
        /// Acknowledge new tickets from people (true or false).
        #[arg(long)]
        acknowledge: Option<bool>,
    },
    Show,
}

impl From<MailConfigError> for CliError {
    fn from(e: MailConfigError) -> CliError {
        match e {
            MailConfigError::Invalid(c) => CliError::Usage(c.to_string()),
            MailConfigError::Store(s) => CliError::Store(s),
        }
    }
}

fn read_password_stdin() -> Result<String, CliError> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err(CliError::Usage("no password on standard input".to_owned()));
    }
    Ok(password)
}

fn now() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

fn print_json(v: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(v).expect("values serialize")
    );
}

pub async fn run(settings: &Settings, command: MailCommand) -> CliResult {
    let store = super::open(settings, Durability::Full).await?;
    let result = run_on(&store, command).await;
    store.close().await;
    result
}

async fn run_on(store: &Store, command: MailCommand) -> CliResult {
    match command {
        MailCommand::Mailbox(MailboxCommand::Add(a)) => {
            let imap = match a.imap_url {
                Some(url) => Some(ImapSettings {
                    user: a.imap_user.unwrap_or_else(|| a.address.trim().to_owned()),
                    url,
                    password: a
                        .imap_password_stdin
                        .then(read_password_stdin)
                        .transpose()?,
                    password_env: a.imap_password_env,
                    tls: a.imap_tls.map(TlsMode::from),
                    ca_file: a.imap_ca_file,
                    folder: a.imap_folder,
                    after: if a.imap_move_to.is_some() {
                        AfterProcessing::Move
                    } else {
                        AfterProcessing::Seen
                    },
                    move_to: a.imap_move_to,
                    interval_secs: a.imap_interval,
                }),
                None if a.imap_user.is_some()
                    || a.imap_password_env.is_some()
                    || a.imap_password_stdin
                    || a.imap_ca_file.is_some()
                    || a.imap_move_to.is_some() =>
                {
                    return Err(CliError::Usage(
                        "imap_url: the IMAP options need --imap-url".into(),
                    ));
                }
                None => None,
            };
            let saved = config::put_mailbox(
                store,
                MailboxSettings {
                    address: a.address,
                    group: a.group,
                    imap,
                },
                now(),
            )
            .await?;
            println!(
                "mailbox {} saved{}",
                saved.address,
                if saved.imap.is_some() {
                    " (fetched over IMAP by `sanjeh serve`)"
                } else {
                    ""
                }
            );
        }
        MailCommand::Mailbox(MailboxCommand::List { json }) => {
            let mailboxes = config::mailboxes(store).await?;
            if json {
                let items: Vec<_> = mailboxes.iter().map(MailboxSettings::public).collect();
                print_json(&items);
            } else {
                for m in &mailboxes {
                    let imap = m.imap.as_ref().map_or_else(
                        || "no IMAP (SMTP receiver or API)".to_owned(),
                        |i| {
                            format!(
                                "{} user {} folder {}{}",
                                i.url,
                                i.user,
                                i.folder,
                                if i.password.is_some() {
                                    ", password stored".to_owned()
                                } else {
                                    format!(
                                        ", password from ${}",
                                        i.password_env.as_deref().unwrap_or("?")
                                    )
                                }
                            )
                        },
                    );
                    println!(
                        "{}\tgroup {}\t{imap}",
                        m.address,
                        m.group.as_deref().unwrap_or("-")
                    );
                }
            }
        }
        MailCommand::Mailbox(MailboxCommand::Remove { address }) => {
            let key = config::mailbox_key("address", &address)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            if !store.remove_mailbox(&key).await? {
                return Err(CliError::Usage(format!("address: no mailbox {key}")));
            }
            println!("mailbox {key} removed");
        }
        MailCommand::Outbound(OutboundCommand::Set(a)) => {
            let settings = OutboundSettings {
                host: a.host,
                port: a.port,
                tls: a.tls.into(),
                user: a.user,
                password: a.password_stdin.then(read_password_stdin).transpose()?,
                password_env: a.password_env,
                ca_file: a.ca_file,
                from: a.from,
                from_name: a.from_name,
                message_id_domain: a.message_id_domain,
                plus_addressing: a.plus_addressing,
                max_attempts: a.max_attempts,
                timeout_secs: 30,
                connections: a.connections,
                base_url: a.base_url,
                default_language: a.default_language,
                notify_solved: !a.no_solved_notice,
            };
            let saved = config::put_outbound(store, settings, now()).await?;
            println!(
                "outbound relay {}:{} ({:?}) saved; replies go out from {}",
                saved.host,
                saved.port(),
                saved.tls,
                saved.from
            );
        }
        MailCommand::Outbound(OutboundCommand::Show) => match config::outbound(store).await? {
            Some(o) => print_json(&o.public()),
            None => {
                return Err(CliError::Usage(
                    "no outbound relay is configured (sanjeh mail outbound set)".into(),
                ));
            }
        },
        MailCommand::Inbound(InboundCommand::Set {
            max_message_bytes,
            max_attachment_bytes,
            rate_limit,
            rate_window_minutes,
            same_subject_window_minutes,
            own_addresses,
            acknowledge,
        }) => {
            let mut s: InboundSettings = config::inbound(store).await?;
            if let Some(v) = max_message_bytes {
                s.max_message_bytes = v;
            }
            if let Some(v) = max_attachment_bytes {
                s.max_attachment_bytes = v;
            }
            if let Some(v) = rate_limit {
                s.rate_limit = v;
            }
            if let Some(v) = rate_window_minutes {
                s.rate_window_minutes = v;
            }
            if let Some(v) = same_subject_window_minutes {
                s.same_subject_window_minutes = v;
            }
            if !own_addresses.is_empty() {
                s.own_addresses = own_addresses;
            }
            if let Some(v) = acknowledge {
                s.acknowledge = v;
            }
            print_json(&config::put_inbound(store, s, now()).await?);
        }
        MailCommand::Inbound(InboundCommand::Show) => {
            print_json(&config::inbound(store).await?);
        }
        MailCommand::Queue {
            failed,
            limit,
            json,
        } => {
            let items = store
                .mail_queue(failed.then_some("failed"), limit.clamp(1, 1000))
                .await?;
            if json {
                let v: Vec<_> = items
                    .iter()
                    .map(|m| {
                        serde_json::json!({
                            "id": m.id, "ticket": m.ticket, "message_id": m.message_id,
                            "recipient": m.recipient, "status": m.status,
                            "attempts": m.attempts, "last_error": m.last_error,
                        })
                    })
                    .collect();
                print_json(&v);
            } else {
                for m in &items {
                    println!(
                        "{}\t{}\t{}\t{}\tattempts {}{}",
                        m.id,
                        m.status,
                        m.ticket,
                        m.recipient,
                        m.attempts,
                        m.last_error
                            .as_deref()
                            .map(|e| format!("\t{e}"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        MailCommand::Retry { id } => {
            let Some(mail) = store.mail_queue_item(id).await? else {
                return Err(CliError::Usage(format!("id: no queued mail {id}")));
            };
            match mail.status.as_str() {
                "failed" => {
                    store.retry_mail(id, now()).await?;
                    println!("mail {id} queued again");
                }
                "queued" => println!("mail {id} is queued already"),
                _ => return Err(CliError::Usage(format!("id: mail {id} was sent already"))),
            }
        }
    }
    Ok(())
}
