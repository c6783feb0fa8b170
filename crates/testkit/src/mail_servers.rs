//! Real mail servers for tests: Postfix (SMTP) and Dovecot (IMAP) from Debian packages, run
//! from throwaway configuration in a temporary directory on free loopback ports.
//!
//! Postfix delivers `*@sanjeh.test` and `*@example.com` users into Dovecot's maildirs and
//! relays the domain `help.sanjeh.test` to a port of the test's choosing (Sanjeh's SMTP
//! receiver). With `tls`, the test makes a certificate authority and a server certificate
//! for `127.0.0.1`/`localhost` with openssl: Dovecot then offers IMAPS and STARTTLS, and
//! Postfix STARTTLS; `ca_file` is the authority to trust.
//!
//! Needs root (Postfix's master runs as root and delivers as the `postfix` user). Without
//! the servers or root, [`MailServers::start`] prints a notice and returns `None`, unless
//! `SANJEH_REQUIRE_MAIL_SERVERS=1` (CI), where that is a failure.

use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

/// What to start.
#[derive(Debug, Clone, Default)]
pub struct MailServerOptions {
    /// Where Postfix relays `help.sanjeh.test` (Sanjeh's SMTP receiver); none: nowhere.
    pub relay_port: Option<u16>,
    /// Mail users: (address, password). Each gets a maildir and an IMAP login.
    pub users: Vec<(String, String)>,
    /// Make a certificate; offer IMAPS, IMAP STARTTLS and SMTP STARTTLS.
    pub tls: bool,
}

/// Running Postfix and Dovecot; stopped when dropped.
pub struct MailServers {
    dir: tempfile::TempDir,
    /// Postfix's SMTP port (no authentication; relays for loopback clients).
    pub smtp_port: u16,
    /// Dovecot's IMAP port (STARTTLS offered with `tls`).
    pub imap_port: u16,
    /// Dovecot's IMAPS port, with `tls`.
    pub imaps_port: Option<u16>,
    /// The certificate authority (PEM) that signed the servers' certificate, with `tls`.
    pub ca_file: Option<PathBuf>,
}

impl MailServers {
    fn etc(&self) -> PathBuf {
        self.dir.path().join("postfix")
    }

    fn dovecot_conf(&self) -> PathBuf {
        self.dir.path().join("dovecot/dovecot.conf")
    }

    /// Both servers' logs, for assertion messages.
    pub fn log(&self) -> String {
        let mut s = std::fs::read_to_string(self.dir.path().join("maillog")).unwrap_or_default();
        s.push_str(
            &std::fs::read_to_string(self.dir.path().join("dovecot/dovecot.log"))
                .unwrap_or_default(),
        );
        s
    }

    /// Starts the servers, or says why not and returns `None` (see the module docs).
    pub fn start(options: &MailServerOptions) -> Option<MailServers> {
        if !Path::new("/usr/sbin/postfix").exists() || !Path::new("/usr/sbin/dovecot").exists() {
            return skip(
                "postfix or dovecot is not installed (apt-get install postfix dovecot-imapd)",
            );
        }
        let me = Process::new("id").arg("-u").output().expect("id");
        if String::from_utf8_lossy(&me.stdout).trim() != "0" {
            return skip("not running as root");
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().to_path_buf();
        Process::new("chmod")
            .arg("755")
            .arg(&root)
            .status()
            .expect("chmod");
        for d in ["postfix", "queue", "data", "mail", "dovecot", "tls"] {
            std::fs::create_dir_all(root.join(d)).expect("mkdir");
        }
        let (uid, gid) = (id_of("postfix", "-u"), id_of("postfix", "-g"));
        for d in ["data", "mail"] {
            Process::new("chown")
                .arg("postfix")
                .arg(root.join(d))
                .status()
                .expect("chown");
        }
        let ca_file = options.tls.then(|| make_certificates(&root.join("tls")));
        let servers = MailServers {
            smtp_port: free_port(),
            imap_port: free_port(),
            imaps_port: options.tls.then(free_port),
            ca_file,
            dir,
        };
        let r = root.display();
        let relay = match options.relay_port {
            Some(port) => format!("help.sanjeh.test smtp:[127.0.0.1]:{port}\n"),
            None => "help.sanjeh.test error:no relay in this test\n".into(),
        };
        let tls = if options.tls {
            format!(
                "smtpd_tls_cert_file = {r}/tls/server.pem\nsmtpd_tls_key_file = {r}/tls/server.key\nsmtpd_tls_security_level = may\nsmtpd_tls_loglevel = 1\n"
            )
        } else {
            String::new()
        };
        write(
            &root.join("postfix/main.cf"),
            &format!(
                "compatibility_level = 3.6
queue_directory = {r}/queue
data_directory = {r}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.sanjeh.test
mydomain = sanjeh.test
myorigin = sanjeh.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
virtual_mailbox_domains = sanjeh.test, example.com
virtual_mailbox_base = {r}/mail
virtual_mailbox_maps = texthash:{r}/postfix/vmailbox
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
recipient_delimiter = +
maillog_file = {r}/maillog
maillog_file_prefixes = {r}
smtputf8_enable = yes
default_transport = error:no outside mail from tests
relay_domains = help.sanjeh.test
transport_maps = texthash:{r}/postfix/transport
{tls}"
            ),
        );
        let vmailbox: String = options
            .users
            .iter()
            .map(|(address, _)| format!("{address} {}/\n", local_part(address)))
            .collect();
        write(&root.join("postfix/vmailbox"), &vmailbox);
        write(&root.join("postfix/transport"), &relay);
        let master = std::fs::read_to_string("/etc/postfix/master.cf").expect("master.cf");
        let master: String = master
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                if l.starts_with("smtp ") && l.contains(" inet ") {
                    format!("127.0.0.1:{} inet n - n - - smtpd\n", servers.smtp_port)
                } else if l.starts_with("postlog ") {
                    "postlog unix-dgram n - n - 1 postlogd\n".to_owned()
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        write(&root.join("postfix/master.cf"), &master);
        // The daemons inherit our stdout and stderr: give them none, or waiting for the
        // command's output waits for the daemon to exit.
        let started = quiet(
            Process::new("postfix")
                .arg("-c")
                .arg(servers.etc())
                .arg("start"),
        );
        assert!(
            started.success(),
            "postfix start: {started:?}\n{}",
            servers.log()
        );

        let (ssl, imaps) = match servers.imaps_port {
            Some(port) => (
                format!(
                    "ssl = yes\nssl_cert = <{r}/tls/server.pem\nssl_key = <{r}/tls/server.key\n"
                ),
                format!("address = 127.0.0.1\n    port = {port}"),
            ),
            None => ("ssl = no\n".to_owned(), "port = 0".to_owned()),
        };
        write(
            &servers.dovecot_conf(),
            &format!(
                "base_dir = {r}/dovecot/run
state_dir = {r}/dovecot/state
protocols = imap
listen = 127.0.0.1
{ssl}disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = {r}/dovecot/dovecot.log
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {r}/dovecot/passwd
}}
userdb {{
  driver = static
  args = uid=postfix gid=postfix home={r}/mail/%n
}}
mail_location = maildir:{r}/mail/%n
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {}
  }}
  inet_listener imaps {{
    {imaps}
  }}
}}
service anvil {{
  chroot =
}}
",
                servers.imap_port
            ),
        );
        let passwd: String = options
            .users
            .iter()
            .map(|(address, password)| format!("{address}:{{PLAIN}}{password}\n"))
            .collect();
        write(&root.join("dovecot/passwd"), &passwd);
        let started = quiet(
            Process::new("dovecot")
                .arg("-c")
                .arg(servers.dovecot_conf()),
        );
        assert!(started.success(), "dovecot: {started:?}\n{}", servers.log());
        for port in [servers.smtp_port, servers.imap_port]
            .into_iter()
            .chain(servers.imaps_port)
        {
            assert!(
                wait_listening(port),
                "port {port} not listening\n{}",
                servers.log()
            );
        }
        Some(servers)
    }
}

impl Drop for MailServers {
    fn drop(&mut self) {
        quiet(
            Process::new("postfix")
                .arg("-c")
                .arg(self.etc())
                .arg("stop"),
        );
        quiet(
            Process::new("doveadm")
                .arg("-c")
                .arg(self.dovecot_conf())
                .arg("stop"),
        );
    }
}

fn local_part(address: &str) -> &str {
    address.split('@').next().unwrap_or(address)
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Runs a command with no standard streams, and waits for it.
fn quiet(command: &mut Process) -> std::process::ExitStatus {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run")
}

/// A loopback port free right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn skip(why: &str) -> Option<MailServers> {
    if std::env::var("SANJEH_REQUIRE_MAIL_SERVERS").is_ok_and(|v| v == "1") {
        panic!("mail servers required: {why}");
    }
    eprintln!("notice: {why}; skipping the real mail server test");
    None
}

fn id_of(user: &str, flag: &str) -> String {
    let out = Process::new("id").arg(flag).arg(user).output().expect("id");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Waits up to 15 s for something to listen on a loopback port.
pub fn wait_listening(port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// A certificate authority and a server certificate it signed, for 127.0.0.1 and
/// localhost (`server.pem`, `server.key` beside it); returns the authority's PEM file.
pub fn make_certificates(dir: &Path) -> PathBuf {
    let run = |args: &[&str]| {
        let out = Process::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Sanjeh test CA",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    write(
        &dir.join("ext.cnf"),
        "basicConstraints = CA:FALSE\nkeyUsage = digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth\nsubjectAltName = IP:127.0.0.1, DNS:localhost\n",
    );
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    // Dovecot and Postfix read the key as root; others may read the certificates.
    for f in ["ca.pem", "server.pem"] {
        Process::new("chmod")
            .arg("644")
            .arg(dir.join(f))
            .status()
            .expect("chmod");
    }
    dir.join("ca.pem")
}
