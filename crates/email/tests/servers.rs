//! Against real mail servers on loopback, installed from Debian packages (`postfix`,
//! `dovecot-imapd`) and run from throwaway configuration in a temporary directory on free
//! ports: a customer's mail goes through Postfix into a Dovecot mailbox, Sanjeh's IMAP poller
//! opens a ticket from it; the agent's reply goes out through Postfix into the customer's
//! mailbox with headers that thread; the customer's answer lands on the same ticket.
//!
//! Needs root (Postfix's master runs as root and delivers as the `postfix` user). Without
//! the servers or root the test prints a notice and passes; set `SANJEH_REQUIRE_MAIL_SERVERS=1`
//! (CI) to make that a failure.

use sanjeh_domain::event::{AgentProfile, TicketMessage};
use sanjeh_domain::{Author, Channel, Command, EventBody, Id};
use sanjeh_email::imap::{ImapConfig, Processed, fetch_all, poll_once};
use sanjeh_email::ingest::InboundConfig;
use sanjeh_email::outbound::{
    OutboundConfig, SmtpConfig, SmtpPassword, SmtpSecurity, feed_outbox, send_due, transport,
};
use sanjeh_email::parse::{Limits, parse};
use sanjeh_email::smtp::{ReceiverConfig, serve};
use sanjeh_store::{Request, Writer};
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::{Duration, Instant};

struct MailServers {
    dir: tempfile::TempDir,
    smtp_port: u16,
    imap_port: u16,
}

impl MailServers {
    fn etc(&self) -> PathBuf {
        self.dir.path().join("postfix")
    }

    fn dovecot_conf(&self) -> PathBuf {
        self.dir.path().join("dovecot/dovecot.conf")
    }

    fn log(&self) -> String {
        let mut s = std::fs::read_to_string(self.dir.path().join("maillog")).unwrap_or_default();
        s.push_str(
            &std::fs::read_to_string(self.dir.path().join("dovecot/dovecot.log"))
                .unwrap_or_default(),
        );
        s
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

/// Runs a command with no standard streams, and waits for it.
fn quiet(command: &mut Process) -> std::process::ExitStatus {
    use std::process::Stdio;
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
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
    let out = Process::new("id").arg(flag).arg(user).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn wait_listening(port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// Starts Postfix and Dovecot; Postfix relays the domain `help.sanjeh.test` to Sanjeh's SMTP
/// receiver on `relay_port`.
fn start_servers(relay_port: u16) -> Option<MailServers> {
    if !Path::new("/usr/sbin/postfix").exists() || !Path::new("/usr/sbin/dovecot").exists() {
        return skip("postfix or dovecot is not installed (apt-get install postfix dovecot-imapd)");
    }
    let me = Process::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&me.stdout).trim() != "0" {
        return skip("not running as root");
    }
    let dir = tempfile::tempdir().unwrap();
    let root_buf = dir.path().to_path_buf();
    let root = root_buf.as_path();
    let chmod = |p: &Path, mode: &str| {
        Process::new("chmod").arg(mode).arg(p).status().unwrap();
    };
    chmod(root, "755");
    for d in ["postfix", "queue", "data", "mail", "dovecot"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    let (uid, gid) = (id_of("postfix", "-u"), id_of("postfix", "-g"));
    for d in ["data", "mail"] {
        Process::new("chown")
            .arg("postfix")
            .arg(root.join(d))
            .status()
            .unwrap();
    }
    let servers = MailServers {
        smtp_port: free_port(),
        imap_port: free_port(),
        dir,
    };
    let r = root.display();
    std::fs::write(
        root.join("postfix/main.cf"),
        format!(
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
"
        ),
    )
    .unwrap();
    std::fs::write(
        root.join("postfix/vmailbox"),
        "support@sanjeh.test support/\nann@example.com ann/\n",
    )
    .unwrap();
    std::fs::write(
        root.join("postfix/transport"),
        format!("help.sanjeh.test smtp:[127.0.0.1]:{relay_port}\n"),
    )
    .unwrap();
    let master = std::fs::read_to_string("/etc/postfix/master.cf").unwrap();
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
    std::fs::write(root.join("postfix/master.cf"), master).unwrap();
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

    std::fs::write(
        servers.dovecot_conf(),
        format!(
            "base_dir = {r}/dovecot/run
state_dir = {r}/dovecot/state
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
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
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
",
            servers.imap_port
        ),
    )
    .unwrap();
    std::fs::write(
        root.join("dovecot/passwd"),
        "support@sanjeh.test:{PLAIN}support-secret\nann@example.com:{PLAIN}ann-secret\n",
    )
    .unwrap();
    let started = quiet(
        Process::new("dovecot")
            .arg("-c")
            .arg(servers.dovecot_conf()),
    );
    assert!(started.success(), "dovecot: {started:?}\n{}", servers.log());
    assert!(
        wait_listening(servers.smtp_port),
        "postfix did not listen\n{}",
        servers.log()
    );
    assert!(
        wait_listening(servers.imap_port),
        "dovecot did not listen\n{}",
        servers.log()
    );
    Some(servers)
}

fn imap(servers: &MailServers, user: &str, password: &str) -> ImapConfig {
    ImapConfig {
        host: "127.0.0.1".into(),
        port: servers.imap_port,
        tls: false,
        user: user.into(),
        password: SmtpPassword(password.into()),
        folder: "INBOX".into(),
        address: Some(user.into()),
        processed: Processed::MarkSeen,
        interval: Duration::from_secs(1),
    }
}

/// Submits raw mail to the Postfix on loopback.
async fn smtp_send(servers: &MailServers, from: &str, to: &str, raw: &[u8]) {
    use lettre::AsyncTransport;
    let smtp = transport(&smtp_config(servers)).unwrap();
    let envelope =
        lettre::address::Envelope::new(Some(from.parse().unwrap()), vec![to.parse().unwrap()])
            .unwrap();
    smtp.send_raw(&envelope, raw).await.unwrap();
}

fn smtp_config(servers: &MailServers) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port: servers.smtp_port,
        security: SmtpSecurity::None,
        credentials: None,
        timeout: Duration::from_secs(10),
    }
}

/// Waits until the mailbox holds `n` messages (Postfix delivers asynchronously).
async fn wait_for_mail(servers: &MailServers, config: &ImapConfig, n: usize) -> Vec<Vec<u8>> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mails = fetch_all(config).await.unwrap();
        if mails.len() >= n {
            return mails;
        }
        assert!(
            Instant::now() < deadline,
            "{} has {} of {n} messages\n{}",
            config.user,
            mails.len(),
            servers.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn mail_through_postfix_and_dovecot_opens_a_ticket_and_the_reply_threads() {
    let Some(servers) = start_servers(free_port()) else {
        return;
    };
    let db = sanjeh_testkit::fresh_sqlite();
    let store = sanjeh_testkit::open(&db).await;
    let writer = Writer::start(store.clone(), None);
    store
        .set_mailbox("support@sanjeh.test", Some("G-support"), 0)
        .await
        .unwrap();
    writer
        .submit(
            Request::Record(vec![EventBody::AgentProfile(AgentProfile {
                agent: Id::parse("id", "A-1").unwrap(),
                name: Some("Sara".into()),
                email: None,
                role: None,
                groups: None,
                active: None,
            })]),
            None,
        )
        .await
        .unwrap();
    let outbound = OutboundConfig {
        default_from: "support@sanjeh.test".into(),
        message_id_domain: "sanjeh.test".into(),
        ..OutboundConfig::default()
    };
    feed_outbox(&store, &outbound, 0).await.unwrap();
    let support = imap(&servers, "support@sanjeh.test", "support-secret");
    let ann = imap(&servers, "ann@example.com", "ann-secret");

    // 1. The customer writes, in KOI8-R, through Postfix; Sanjeh polls Dovecot.
    let (koi8, _, _) = encoding_rs::KOI8_R.encode("Здравствуйте! Счёт не пришёл.");
    let mut first = b"From: Ann <ann@example.com>\r\nTo: support@sanjeh.test\r\nSubject: =?KOI8-R?B?896j1A==?=\r\nMessage-ID: <real-1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=koi8-r\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".to_vec();
    first.extend_from_slice(&koi8);
    first.extend_from_slice(b"\r\n");
    smtp_send(&servers, "ann@example.com", "support@sanjeh.test", &first).await;
    wait_for_mail(&servers, &support, 1).await;
    let inbound = InboundConfig::default();
    let report = poll_once(&store, &writer, &support, &inbound)
        .await
        .unwrap();
    assert_eq!((report.fetched, report.stored), (1, 1), "{report:?}");
    let page = store
        .tickets(&sanjeh_store::TicketFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let ticket = page.items[0].clone();
    assert_eq!(ticket.channel, Channel::Email);
    assert_eq!(ticket.group.as_ref().unwrap().as_str(), "G-support");
    let messages = store.messages(ticket.id.as_str(), true).await.unwrap();
    assert_eq!(messages[0].body, "Здравствуйте! Счёт не пришёл.");
    // Marked seen: the next pass fetches nothing.
    let report = poll_once(&store, &writer, &support, &inbound)
        .await
        .unwrap();
    assert_eq!(report.fetched, 0, "{report:?}");

    // 2. The agent replies; the queue sends it through Postfix to the customer's mailbox.
    writer
        .submit(
            Request::Command(Command::PostMessage(TicketMessage {
                ticket: ticket.id.clone(),
                author: Author::Agent(Id::parse("id", "A-1").unwrap()),
                public: true,
                body: "Отправили ещё раз.".into(),
                channel: None,
                message: None,
            })),
            None,
        )
        .await
        .unwrap();
    let now = jiff::Timestamp::now().as_millisecond();
    assert_eq!(feed_outbox(&store, &outbound, now).await.unwrap(), 1);
    let smtp = transport(&smtp_config(&servers)).unwrap();
    let sent = send_due(&store, &writer, &smtp, &outbound, now)
        .await
        .unwrap();
    assert_eq!(sent.sent, 1, "{sent:?}\n{}", servers.log());
    let delivered = wait_for_mail(&servers, &ann, 1).await;
    let reply = parse(&delivered[0], &Limits::default()).unwrap();
    assert_eq!(reply.subject, format!("Re: Счёт [#{}]", ticket.id));
    assert_eq!(reply.in_reply_to, ["real-1@example.com"]);
    assert_eq!(reply.references, ["real-1@example.com"]);
    assert_eq!(reply.from.address, "support@sanjeh.test");
    assert!(reply.text.contains("Отправили ещё раз."));
    let queued = store.ticket_mail(ticket.id.as_str()).await.unwrap();
    assert_eq!(queued[0].status, "sent");
    assert_eq!(reply.message_id, queued[0].message_id);

    // 3. The customer answers from her mail client: it lands on the same ticket.
    let answer = format!(
        "From: Ann <ann@example.com>\r\nTo: support@sanjeh.test\r\nSubject: Re: {}\r\nMessage-ID: <real-2@example.com>\r\nIn-Reply-To: <{}>\r\nReferences: <real-1@example.com> <{}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nПришло, спасибо!\r\n\r\nOn Mon, Support <support@sanjeh.test> wrote:\r\n> Отправили ещё раз.\r\n",
        reply.subject, reply.message_id, reply.message_id
    );
    smtp_send(
        &servers,
        "ann@example.com",
        "support@sanjeh.test",
        answer.as_bytes(),
    )
    .await;
    wait_for_mail(&servers, &support, 2).await;
    let report = poll_once(&store, &writer, &support, &inbound)
        .await
        .unwrap();
    assert_eq!((report.fetched, report.stored), (1, 1), "{report:?}");
    let bodies: Vec<String> = store
        .messages(ticket.id.as_str(), true)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert_eq!(
        bodies,
        [
            "Здравствуйте! Счёт не пришёл.",
            "Отправили ещё раз.",
            "Пришло, спасибо!"
        ]
    );
    let page = store
        .tickets(&sanjeh_store::TicketFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1, "no second ticket");
}

#[tokio::test]
async fn mail_relayed_by_postfix_to_the_smtp_receiver_opens_a_ticket_once() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let Some(servers) = start_servers(port) else {
        return;
    };
    let db = sanjeh_testkit::fresh_sqlite();
    let store = sanjeh_testkit::open(&db).await;
    let writer = Writer::start(store.clone(), None);
    store
        .set_mailbox("help@help.sanjeh.test", Some("G-help"), 0)
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let receiver = tokio::spawn(serve(
        listener,
        store.clone(),
        writer.clone(),
        InboundConfig::default(),
        ReceiverConfig::default(),
        async {
            let _ = stopped.await;
        },
    ));
    // windows-1256 Persian, with a line starting with a dot (dot-stuffed on the wire).
    let (body, _, _) = encoding_rs::WINDOWS_1256.encode("سلام\r\n.کد تخفيف کار نمي‌کند");
    let mut raw = b"From: Reza <reza@example.com>\r\nTo: help@help.sanjeh.test\r\nSubject: =?UTF-8?B?2qnYryDYqtiu2YHbjNmB?=\r\nMessage-ID: <relay-1@example.com>\r\nContent-Type: text/plain; charset=windows-1256\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".to_vec();
    raw.extend_from_slice(&body);
    raw.extend_from_slice(b"\r\n");
    // Twice: the second is stored once (Message-ID dedup), whatever the MTA does.
    for _ in 0..2 {
        smtp_send(&servers, "reza@example.com", "help@help.sanjeh.test", &raw).await;
    }
    // Mail for a mailbox that is not ours is refused by the receiver (and bounced by Postfix).
    smtp_send(
        &servers,
        "reza@example.com",
        "nobody@help.sanjeh.test",
        &raw,
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let ticket = loop {
        let page = store
            .tickets(&sanjeh_store::TicketFilter {
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        let log = servers.log();
        let delivered = log.matches("relay=127.0.0.1").count();
        if !page.items.is_empty() && delivered >= 3 {
            break page.items[0].clone();
        }
        assert!(Instant::now() < deadline, "not relayed in time\n{log}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let log = servers.log();
    assert!(
        log.contains("550 5.1.1"),
        "the unknown mailbox is refused\n{log}"
    );
    assert_eq!(ticket.subject, "کد تخفیف");
    assert_eq!(ticket.group.as_ref().unwrap().as_str(), "G-help");
    let page = store
        .tickets(&sanjeh_store::TicketFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1, "stored once");
    let messages = store.messages(ticket.id.as_str(), true).await.unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].body, "سلام\n.کد تخفيف کار نمي\u{200c}کند");
    let _ = stop.send(());
    receiver.await.unwrap();
}
