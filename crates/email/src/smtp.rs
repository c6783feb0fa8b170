//! The built-in SMTP receiver (`sanjeh serve --smtp-listen`): a small, strict SMTP server
//! (RFC 5321) that accepts mail for Sanjeh's mailboxes only and hands each message to
//! [`crate::ingest::receive`] before answering `250`, so an accepted message is on disk.
//!
//! It is meant to sit behind the organisation's MX (Postfix, OpenSMTPD relaying the support
//! domain to it) on a private address: no STARTTLS, no AUTH, no relaying. A store failure
//! answers `451` (try again later); the sending MTA retries and the Message-ID dedup keeps
//! the retry from storing the message twice.

use crate::ingest::{InboundConfig, IngestError, receive};
use crate::thread::base_address;
use sanjeh_store::{Store, Writer};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Limits and the name the receiver gives itself.
#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    pub hostname: String,
    pub max_message_bytes: usize,
    pub max_recipients: usize,
    /// A client silent this long is disconnected.
    pub idle_timeout: Duration,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        ReceiverConfig {
            hostname: "sanjeh.localhost".into(),
            max_message_bytes: 25 * 1024 * 1024,
            max_recipients: 100,
            idle_timeout: Duration::from_secs(300),
        }
    }
}

/// The longest command line accepted (RFC 5321 says 512; extensions make it longer).
const MAX_COMMAND: usize = 4096;

/// Accepts connections on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    store: Store,
    writer: Writer,
    inbound: InboundConfig,
    config: ReceiverConfig,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let (store, writer, inbound, config) =
                        (store.clone(), writer.clone(), inbound.clone(), config.clone());
                    tokio::spawn(async move {
                        if let Err(e) = session(stream, &store, &writer, &inbound, &config).await {
                            tracing::debug!(%peer, error = %e, "SMTP session ended");
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "SMTP accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
}

/// Reads one line (up to `max` bytes, CRLF or LF), or `None` at end of stream. A longer
/// line is consumed and reported as `Err(too long)`.
async fn read_line<R: AsyncBufReadExt + Unpin>(
    reader: &mut R,
    max: usize,
    timeout: Duration,
) -> std::io::Result<Option<Result<Vec<u8>, ()>>> {
    let mut line = Vec::new();
    let read = tokio::time::timeout(timeout, async {
        loop {
            let buf = reader.fill_buf().await?;
            if buf.is_empty() {
                return Ok::<bool, std::io::Error>(false);
            }
            let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (&buf[..=i], true),
                None => (buf, false),
            };
            let n = chunk.len();
            if line.len() <= max {
                line.extend_from_slice(chunk);
            }
            reader.consume(n);
            if done {
                return Ok(true);
            }
        }
    })
    .await
    .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "idle timeout"))??;
    if !read && line.is_empty() {
        return Ok(None);
    }
    if line.len() > max {
        return Ok(Some(Err(())));
    }
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    Ok(Some(Ok(line)))
}

/// The address inside `FROM:<…>` / `TO:<…>`, and what follows it.
fn path_arg<'a>(rest: &'a str, keyword: &str) -> Option<(&'a str, &'a str)> {
    let rest = rest.trim_start();
    if rest.len() < keyword.len() || !rest[..keyword.len()].eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = rest[keyword.len()..].trim_start();
    let rest = rest.strip_prefix('<')?;
    let end = rest.find('>')?;
    Some((rest[..end].trim(), rest[end + 1..].trim()))
}

async fn session(
    stream: TcpStream,
    store: &Store,
    writer: &Writer,
    inbound: &InboundConfig,
    config: &ReceiverConfig,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let host = &config.hostname;
    write
        .write_all(format!("220 {host} ESMTP Sanjeh\r\n").as_bytes())
        .await?;
    let mut greeted = false;
    let mut from: Option<String> = None;
    let mut rcpts: Vec<String> = Vec::new();
    loop {
        let line = match read_line(&mut reader, MAX_COMMAND, config.idle_timeout).await? {
            None => return Ok(()),
            Some(Err(())) => {
                write.write_all(b"500 5.5.2 line too long\r\n").await?;
                continue;
            }
            Some(Ok(l)) => String::from_utf8_lossy(&l).into_owned(),
        };
        let (verb, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let reply: String = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                greeted = true;
                (from, rcpts) = (None, Vec::new());
                format!(
                    "250-{host}\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250 SIZE {}\r\n",
                    config.max_message_bytes
                )
            }
            "HELO" => {
                greeted = true;
                (from, rcpts) = (None, Vec::new());
                format!("250 {host}\r\n")
            }
            "MAIL" if !greeted => "503 5.5.1 say EHLO first\r\n".into(),
            "MAIL" => match path_arg(rest, "FROM:") {
                None => "501 5.5.4 syntax: MAIL FROM:<address>\r\n".into(),
                Some((address, params)) => {
                    let size = params.split_whitespace().find_map(|p| {
                        p.to_ascii_uppercase()
                            .strip_prefix("SIZE=")
                            .and_then(|n| n.parse::<usize>().ok())
                    });
                    if size.is_some_and(|s| s > config.max_message_bytes) {
                        "552 5.3.4 message too big\r\n".into()
                    } else {
                        from = Some(address.to_owned());
                        rcpts.clear();
                        "250 2.1.0 OK\r\n".into()
                    }
                }
            },
            "RCPT" if from.is_none() => "503 5.5.1 MAIL first\r\n".into(),
            "RCPT" => match path_arg(rest, "TO:") {
                None => "501 5.5.4 syntax: RCPT TO:<address>\r\n".into(),
                Some(_) if rcpts.len() >= config.max_recipients => {
                    "452 4.5.3 too many recipients\r\n".into()
                }
                Some((address, _)) => {
                    let base = base_address(address);
                    match store.mailboxes().await {
                        Ok(boxes) if boxes.iter().any(|m| m.address == base) => {
                            rcpts.push(address.to_lowercase());
                            "250 2.1.5 OK\r\n".into()
                        }
                        Ok(_) => "550 5.1.1 no such mailbox here\r\n".into(),
                        Err(e) => {
                            tracing::warn!(error = %e, "SMTP: mailbox lookup failed");
                            "451 4.3.0 try again later\r\n".into()
                        }
                    }
                }
            },
            "DATA" if rcpts.is_empty() => "503 5.5.1 RCPT first\r\n".into(),
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let sender = from.take().unwrap_or_default();
                let to = std::mem::take(&mut rcpts);
                data(&mut reader, store, writer, inbound, config, &sender, &to).await?
            }
            "RSET" => {
                (from, rcpts) = (None, Vec::new());
                "250 2.0.0 OK\r\n".into()
            }
            "NOOP" => "250 2.0.0 OK\r\n".into(),
            "VRFY" => "252 2.5.0 cannot verify\r\n".into(),
            "QUIT" => {
                write
                    .write_all(format!("221 2.0.0 {host} closing\r\n").as_bytes())
                    .await?;
                return Ok(());
            }
            _ => "502 5.5.1 command not implemented\r\n".into(),
        };
        write.write_all(reply.as_bytes()).await?;
    }
}

/// Reads the message up to the lone dot, then stores it; returns the reply.
async fn data<R: AsyncBufReadExt + Unpin>(
    reader: &mut R,
    store: &Store,
    writer: &Writer,
    inbound: &InboundConfig,
    config: &ReceiverConfig,
    from: &str,
    to: &[String],
) -> std::io::Result<String> {
    let mut raw = format!("Return-Path: <{from}>\r\n").into_bytes();
    let mut too_big = false;
    loop {
        let line = match read_line(reader, 64 * 1024, config.idle_timeout).await? {
            None => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "connection closed in DATA",
                ));
            }
            Some(Err(())) => {
                too_big = true;
                continue;
            }
            Some(Ok(l)) => l,
        };
        if line == b"." {
            break;
        }
        // Dot-unstuffing: a leading dot was doubled by the client.
        let line = line.strip_prefix(b".").unwrap_or(&line);
        if raw.len() + line.len() + 2 > config.max_message_bytes {
            too_big = true;
        }
        if !too_big {
            raw.extend_from_slice(line);
            raw.extend_from_slice(b"\r\n");
        }
    }
    if too_big {
        return Ok("552 5.3.4 message too big\r\n".into());
    }
    let now = jiff::Timestamp::now().as_millisecond();
    Ok(
        match receive(
            store,
            writer,
            &raw,
            to.first().map(String::as_str),
            inbound,
            now,
        )
        .await
        {
            Ok(r) => {
                tracing::info!(ticket = ?r.ticket(), message_id = r.message_id(), "SMTP message received");
                "250 2.0.0 OK\r\n".into()
            }
            Err(IngestError::Parse(e)) => format!("554 5.6.0 {e}\r\n"),
            Err(e) => {
                tracing::warn!(error = %e, "SMTP: storing a message failed");
                "451 4.3.0 try again later\r\n".into()
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::path_arg;

    #[test]
    fn paths_parse() {
        assert_eq!(
            path_arg("FROM:<a@b.c> SIZE=10", "FROM:"),
            Some(("a@b.c", "SIZE=10"))
        );
        assert_eq!(path_arg("from: <>", "FROM:"), Some(("", "")));
        assert_eq!(path_arg("TO:a@b.c", "TO:"), None);
    }
}
