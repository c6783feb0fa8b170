//! Settings from flags, `SANJEH_*` environment variables and an optional TOML file, in that
//! order of precedence, over defaults.

use crate::cli::{Cli, Command, LogFormat};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    /// SQLite file path or postgres:// URL.
    pub database_url: String,
    /// Where `serve` listens.
    pub listen: String,
    pub log: String,
    pub log_format: LogFormat,
    /// Largest request body the API accepts, in bytes.
    pub max_body_bytes: usize,
    /// The team's KPI targets (`[targets]` in the config file; see docs/metrics.md).
    #[serde(default)]
    pub targets: sanjeh_metrics::Targets,
    /// Where `serve` receives mail over SMTP; none: no SMTP receiver.
    #[serde(default)]
    pub smtp_listen: Option<String>,
    /// This node's name in mailbox leases; default: host name and `listen`.
    #[serde(default)]
    pub node_id: Option<String>,
    /// How often `serve` reads the mail configuration again, in seconds.
    #[serde(default = "fifteen")]
    pub mail_reload_secs: u64,
    /// The address people reach this server at (`https://help.example.com`), for links in
    /// mail (portal sign-in); default: the listener's address.
    #[serde(default)]
    pub public_url: Option<String>,
    /// A private certificate authority (PEM) that HTTPS webhook servers may also be signed by.
    #[serde(default)]
    pub webhook_ca_file: Option<PathBuf>,
    /// The customer portal's limits (`[portal]` in the config file; see docs/ui.md).
    #[serde(default)]
    pub portal: PortalSettings,
}

/// The customer portal's settings a team may change (`[portal]` in the config file).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct PortalSettings {
    /// How long a mailed sign-in link may be used, in minutes.
    pub link_minutes: u64,
    /// The contact form makes a customer for an address it does not know.
    pub create_customers: bool,
    /// Link requests per address and per client address, and contact-form tickets per client
    /// address, within `rate_window_minutes`.
    pub links_per_address: i64,
    pub links_per_client: i64,
    pub contacts_per_client: i64,
    pub rate_window_minutes: u64,
}

impl Default for PortalSettings {
    fn default() -> Self {
        let d = sanjeh_ui::PortalOptions::default();
        PortalSettings {
            link_minutes: d.link_ttl.as_secs() / 60,
            create_customers: d.create_customers,
            links_per_address: d.links_per_address,
            links_per_client: d.links_per_client,
            contacts_per_client: d.contacts_per_client,
            rate_window_minutes: d.rate_window.as_secs() / 60,
        }
    }
}

impl PortalSettings {
    /// The portal's options with these settings, links pointing at `public_url`.
    pub fn options(&self, public_url: String) -> sanjeh_ui::PortalOptions {
        let minutes = |m: u64| std::time::Duration::from_secs(m.max(1) * 60);
        sanjeh_ui::PortalOptions {
            public_url,
            link_ttl: minutes(self.link_minutes),
            create_customers: self.create_customers,
            links_per_address: self.links_per_address.max(1),
            links_per_client: self.links_per_client.max(1),
            contacts_per_client: self.contacts_per_client.max(1),
            rate_window: minutes(self.rate_window_minutes),
            ..sanjeh_ui::PortalOptions::default()
        }
    }
}

fn fifteen() -> u64 {
    15
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: "sanjeh.db".into(),
            listen: "127.0.0.1:8080".into(),
            log: "info,sqlx=error".into(),
            log_format: LogFormat::Text,
            max_body_bytes: 4 << 20,
            targets: sanjeh_metrics::Targets::default(),
            smtp_listen: None,
            node_id: None,
            mail_reload_secs: fifteen(),
            public_url: None,
            webhook_ca_file: None,
            portal: PortalSettings::default(),
        }
    }
}

/// Only the flags the user gave, so they override without resetting anything else.
#[derive(Debug, Default, Serialize)]
struct FlagOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log_format: Option<LogFormat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    smtp_listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    node_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    public_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    webhook_ca_file: Option<PathBuf>,
}

impl Settings {
    pub fn load(cli: &Cli) -> Result<Settings, Box<figment::Error>> {
        let g = &cli.global;
        let listen = match &cli.command {
            Command::Serve(a) => a.listen.clone(),
            Command::Demo(a) => a.listen.clone(),
            _ => None,
        };
        let (smtp_listen, node_id, public_url, webhook_ca_file) = match &cli.command {
            Command::Serve(a) => (
                a.smtp_listen.clone(),
                a.node_id.clone(),
                a.public_url.clone(),
                a.webhook_ca_file.clone(),
            ),
            _ => (None, None, None, None),
        };
        let mut defaults = Settings::default();
        if matches!(cli.command, Command::Demo(_)) {
            // The demo keeps its history apart from a real store in the same directory.
            defaults.database_url = "sanjeh-demo.db".into();
        }
        let file = g
            .config
            .clone()
            .or_else(|| Some(PathBuf::from("sanjeh.toml")).filter(|p| p.exists()));
        let mut figment = Figment::from(Serialized::defaults(defaults));
        if let Some(path) = file {
            if !path.exists() {
                return Err(Box::new(figment::Error::from(format!(
                    "config file {} does not exist",
                    path.display()
                ))));
            }
            figment = figment.merge(Toml::file(path));
        }
        figment
            .merge(Env::prefixed("SANJEH_").only(&[
                "database_url",
                "listen",
                "log",
                "log_format",
                "max_body_bytes",
                "smtp_listen",
                "node_id",
                "mail_reload_secs",
                "public_url",
                "webhook_ca_file",
            ]))
            .merge(Serialized::defaults(FlagOverrides {
                database_url: g.database_url.clone(),
                listen,
                log: g.log.clone(),
                log_format: g.log_format,
                smtp_listen,
                node_id,
                public_url,
                webhook_ca_file,
            }))
            .extract()
            .map_err(Box::new)
    }
}

/// Structured logs to standard error (so standard output stays clean for export).
pub fn init_logging(settings: &Settings) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(&settings.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match settings.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

#[cfg(test)]
// figment::Jail's closures return figment's own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use clap::Parser;

    fn settings(args: &[&str]) -> Settings {
        let cli = Cli::parse_from(args);
        Settings::load(&cli).expect("settings")
    }

    #[test]
    fn flags_beat_environment_beat_file_beat_defaults() {
        figment::Jail::expect_with(|jail| {
            assert_eq!(settings(&["sanjeh", "serve"]).listen, "127.0.0.1:8080");
            jail.create_file(
                "sanjeh.toml",
                "listen = \"10.0.0.1:1\"\ndatabase_url = \"file.db\"\nlog = \"warn\"",
            )?;
            let s = settings(&["sanjeh", "serve"]);
            assert_eq!(
                (s.listen.as_str(), s.database_url.as_str(), s.log.as_str()),
                ("10.0.0.1:1", "file.db", "warn")
            );
            jail.set_env("SANJEH_LISTEN", "10.0.0.2:2");
            jail.set_env("SANJEH_DATABASE_URL", "env.db");
            let s = settings(&["sanjeh", "serve"]);
            assert_eq!(
                (s.listen.as_str(), s.database_url.as_str(), s.log.as_str()),
                ("10.0.0.2:2", "env.db", "warn")
            );
            let s = settings(&[
                "sanjeh",
                "--database",
                "flag.db",
                "serve",
                "--listen",
                "10.0.0.3:3",
            ]);
            assert_eq!(
                (s.listen.as_str(), s.database_url.as_str()),
                ("10.0.0.3:3", "flag.db")
            );
            Ok(())
        });
    }

    #[test]
    fn the_smtp_receiver_is_set_by_flag_environment_or_file() {
        figment::Jail::expect_with(|jail| {
            assert_eq!(settings(&["sanjeh", "serve"]).smtp_listen, None);
            jail.create_file("sanjeh.toml", "smtp_listen = \"127.0.0.1:2525\"")?;
            assert_eq!(
                settings(&["sanjeh", "serve"]).smtp_listen.as_deref(),
                Some("127.0.0.1:2525")
            );
            jail.set_env("SANJEH_SMTP_LISTEN", "127.0.0.1:2526");
            assert_eq!(
                settings(&["sanjeh", "serve"]).smtp_listen.as_deref(),
                Some("127.0.0.1:2526")
            );
            let s = settings(&["sanjeh", "serve", "--smtp-listen", "127.0.0.1:2527"]);
            assert_eq!(s.smtp_listen.as_deref(), Some("127.0.0.1:2527"));
            Ok(())
        });
    }

    #[test]
    fn portal_limits_come_from_the_config_file() {
        figment::Jail::expect_with(|jail| {
            let s = settings(&["sanjeh", "serve"]);
            assert_eq!(s.portal, PortalSettings::default());
            assert_eq!(s.portal.link_minutes, 15);
            jail.create_file(
                "sanjeh.toml",
                "[portal]\nlink_minutes = 30\ncreate_customers = false\nlinks_per_address = 5",
            )?;
            let s = settings(&["sanjeh", "serve"]);
            let o = s.portal.options("https://help.example.com".into());
            assert_eq!(o.link_ttl, std::time::Duration::from_secs(30 * 60));
            assert!(!o.create_customers);
            assert_eq!(o.links_per_address, 5);
            assert_eq!(o.links_per_client, 10, "the others keep their defaults");
            jail.create_file("sanjeh.toml", "[portal]\nlink_minuts = 30")?;
            let e = Settings::load(&Cli::parse_from(["sanjeh", "serve"])).unwrap_err();
            assert!(e.to_string().contains("link_minuts"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn the_demo_keeps_its_own_file() {
        figment::Jail::expect_with(|_| {
            assert_eq!(settings(&["sanjeh", "demo"]).database_url, "sanjeh-demo.db");
            assert_eq!(settings(&["sanjeh", "serve"]).database_url, "sanjeh.db");
            Ok(())
        });
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        figment::Jail::expect_with(|_| {
            let cli = Cli::parse_from(["sanjeh", "--config", "nope.toml", "serve"]);
            assert!(Settings::load(&cli).is_err());
            Ok(())
        });
    }
}
