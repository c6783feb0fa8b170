pub mod imap;
pub mod ingest;
pub mod outbound;
pub mod parse;
pub mod smtp;
pub mod thread;
