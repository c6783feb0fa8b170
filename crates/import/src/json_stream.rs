//! Streaming the records of large JSON exports in constant memory, shared by the Zendesk and
//! Freshdesk converters.
//!
//! API exports come in three layouts: an object whose array holds the records
//! (`{"tickets":[…],"next_page":…}`, possibly inside a recorded response's `body`), a top-level
//! array (`[{…},{…}]`), or one value after another (JSON Lines, or a single bare object). A file
//! is first *probed* (its layout and what it holds, read from its first bytes and first record);
//! then a reader thread deserializes its records one at a time into the converter's own types
//! and hands them over in small batches through a bounded channel. Nothing larger than one
//! record (and a batch of them) is ever held, and parsing overlaps with conversion.
//!
//! Record numbers ("line" in [`Origin`]) are the 1-based index of the record in its array, or
//! the line the record ends on for JSON Lines.

use crate::record::{Converted, Item, Origin, Problem, Record};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use sanjeh_domain::{Event, EventBody, Id};
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer as _, IgnoredAny, MapAccess, SeqAccess,
    Visitor,
};
use serde_json::Map;
use serde_json::Value;
use std::cell::Cell;
use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Records per batch handed from the reader thread to the converter.
const BATCH: usize = 128;
/// Batches waiting in the channel at most: bounds the memory whatever the file's size.
const BATCHES_IN_FLIGHT: usize = 8;
/// The message a probe aborts the parse with once it knows enough.
const PROBE_DONE: &str = "\u{0}probe-done";

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StreamError {
    /// The record (or, for malformed JSON, the text line) where reading stopped.
    pub line: u64,
    pub message: String,
}

impl StreamError {
    fn io(e: &io::Error) -> StreamError {
        StreamError {
            line: 0,
            message: format!("cannot read: {e}"),
        }
    }

    fn json(e: &serde_json::Error, record: u64) -> StreamError {
        // A syntax error is best located by its text line; a record of the wrong shape by
        // its index in the array.
        let line = if e.is_syntax() || e.is_eof() || record == 0 {
            e.line() as u64
        } else {
            record
        };
        StreamError {
            line,
            message: format!("not valid JSON or not the expected shape: {e}"),
        }
    }

    /// The problem that rejects `file` as a whole.
    pub fn into_problem(self, file: &Arc<str>) -> Problem {
        Problem::new(Origin::new(file, self.line), "json", self.message)
    }
}

/// How a file's records are laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// The value under `key` inside an object document (reached through `path`, e.g. a
    /// recorded response's `body`): an array of records, or a single record.
    Keyed { path: Vec<String>, key: String },
    /// A top-level array of records.
    Array,
    /// One JSON value after another: JSON Lines, or one bare (possibly pretty-printed) object.
    Values,
}

/// What a probe learned about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub layout: Layout,
    /// The keys of the first record, for [`Layout::Array`] and [`Layout::Values`], so that a
    /// file without an envelope can be classified by its content.
    pub keys: Vec<String>,
}

impl Probe {
    /// The collection key of a keyed document, if it is one.
    pub fn key(&self) -> Option<&str> {
        match &self.layout {
            Layout::Keyed { key, .. } => Some(key),
            _ => None,
        }
    }

    /// Whether the first record has all of `keys`.
    pub fn has_all(&self, keys: &[&str]) -> bool {
        keys.iter().all(|k| self.keys.iter().any(|have| have == k))
    }
}

/// Reads the start of `path` to learn its layout. `collections` are the top-level keys that
/// hold records; `wrappers` are keys to descend into (a recorded API response's `body`).
pub fn probe(path: &Path, collections: &[&str], wrappers: &[&str]) -> Result<Probe, StreamError> {
    let mut reader = open(path)?;
    match first_byte(&mut reader)? {
        Some(b'[') => {
            let found = Cell::new(None);
            let mut de = serde_json::Deserializer::from_reader(reader);
            let result = de.deserialize_seq(FirstElement { found: &found });
            if let Err(e) = result
                && !is_probe_done(&e)
            {
                return Err(StreamError::json(&e, 0));
            }
            Ok(Probe {
                layout: Layout::Array,
                keys: found.take().unwrap_or_default(),
            })
        }
        Some(b'{') => {
            let found = Cell::new(None);
            let first_keys = Cell::new(None);
            let mut keys = Vec::new();
            let mut de = serde_json::Deserializer::from_reader(reader);
            let result = de.deserialize_map(ProbeMap {
                collections,
                wrappers,
                path: Vec::new(),
                found: &found,
                first_keys: &first_keys,
                keys: &mut keys,
            });
            match result {
                Err(e) if is_probe_done(&e) => Ok(Probe {
                    layout: found.take().unwrap_or(Layout::Values),
                    keys: first_keys.take().unwrap_or_default(),
                }),
                Err(e) => Err(StreamError::json(&e, 0)),
                Ok(()) => Ok(Probe {
                    layout: Layout::Values,
                    keys,
                }),
            }
        }
        Some(other) => Err(StreamError {
            line: 1,
            message: format!(
                "not a JSON document: starts with {:?}, expected '{{' or '['",
                char::from(other)
            ),
        }),
        None => Err(StreamError {
            line: 1,
            message: "the file is empty".into(),
        }),
    }
}

/// A batch of records (or the error that ended the file) from a reader thread.
pub type Batch<R> = Vec<Result<(u64, R), StreamError>>;
/// The receiving end of a reader thread.
pub type Records<R> = Receiver<Batch<R>>;

/// Starts a reader thread streaming the records of `path` deserialized as `T`, each wrapped
/// by `wrap` into the converter's record type. The thread stops when the receiver is dropped.
pub fn spawn<T, R>(path: PathBuf, layout: Layout, wrap: fn(T) -> R) -> Records<R>
where
    T: DeserializeOwned + 'static,
    R: Send + 'static,
{
    let (tx, rx) = sync_channel(BATCHES_IN_FLIGHT);
    std::thread::spawn(move || {
        let mut sink = Sink {
            tx,
            batch: Vec::with_capacity(BATCH),
            index: 0,
            wrap,
            stopped: false,
            _t: PhantomData::<fn() -> T>,
        };
        if let Err(e) = read_all(&path, &layout, &mut sink) {
            sink.push(Err(e));
        }
        sink.flush();
    });
    rx
}

fn read_all<T: DeserializeOwned, R>(
    path: &Path,
    layout: &Layout,
    sink: &mut Sink<T, R>,
) -> Result<(), StreamError> {
    let file = File::open(path).map_err(|e| StreamError::io(&e))?;
    let mut w = Window::new(file);
    if w.skip_ws()? == Some(0xEF) {
        w.consume(3); // a UTF-8 byte-order mark
    }
    match layout {
        Layout::Keyed { path: inner, key } => {
            w.expect(b'{')?;
            keyed(&mut w, inner, key, sink)?;
        }
        Layout::Array => collection(&mut w, sink)?,
        Layout::Values => return values(&mut w, sink),
    }
    if sink.stopped {
        return Ok(());
    }
    match w.skip_ws()? {
        None => Ok(()),
        Some(_) => Err(w.error("trailing characters after the JSON document")),
    }
}

/// Inside an object (its `{` consumed): descends through `path` to `key` and streams what is
/// there; every other value is skipped by scanning, not parsed.
fn keyed<T: DeserializeOwned, R>(
    w: &mut Window,
    path: &[String],
    key: &str,
    sink: &mut Sink<T, R>,
) -> Result<(), StreamError> {
    if w.skip_ws()? == Some(b'}') {
        w.consume(1);
        return Ok(());
    }
    loop {
        if w.skip_ws()? != Some(b'"') {
            return Err(w.error("expected an object key"));
        }
        let n = w.value_len()?;
        let k: String = serde_json::from_slice(w.slice(n)).map_err(|e| w.parse_error(&e))?;
        w.consume(n);
        w.expect(b':')?;
        let next = w.skip_ws()?;
        match path.split_first() {
            Some((first, rest)) if *first == k && next == Some(b'{') => {
                w.consume(1);
                keyed(w, rest, key, sink)?;
            }
            None if k == key => collection(w, sink)?,
            _ => {
                let n = w.value_len()?;
                w.consume(n);
            }
        }
        if sink.stopped {
            return Ok(());
        }
        match w.skip_ws()? {
            Some(b',') => w.consume(1),
            Some(b'}') => {
                w.consume(1);
                return Ok(());
            }
            _ => return Err(w.error("expected ',' or '}' in an object")),
        }
    }
}

/// An array of records, a single record, or null.
fn collection<T: DeserializeOwned, R>(
    w: &mut Window,
    sink: &mut Sink<T, R>,
) -> Result<(), StreamError> {
    match w.skip_ws()? {
        Some(b'[') => w.consume(1),
        Some(b'{') => {
            sink.index += 1;
            return record(w, sink).map(|_| ());
        }
        _ => {
            // null (or anything else): no records.
            let n = w.value_len()?;
            w.consume(n);
            return Ok(());
        }
    }
    if w.skip_ws()? == Some(b']') {
        w.consume(1);
        return Ok(());
    }
    loop {
        w.skip_ws()?;
        sink.index += 1;
        if !record(w, sink)? {
            return Ok(());
        }
        match w.skip_ws()? {
            Some(b',') => w.consume(1),
            Some(b']') => {
                w.consume(1);
                return Ok(());
            }
            _ => return Err(w.error("expected ',' or ']' in an array")),
        }
    }
}

/// Parses the value at the window's start as one record and sends it; false once nobody
/// listens any more. The record is parsed straight from the window, which is refilled (and the
/// parse retried) when the record runs past what has been read so far.
fn record<T: DeserializeOwned, R>(
    w: &mut Window,
    sink: &mut Sink<T, R>,
) -> Result<bool, StreamError> {
    if w.byte(0)? != Some(b'{') {
        // Not an object (null in an array, a stray scalar): parsed the slow way, by extent.
        let n = w.value_len()?;
        let value: T =
            serde_json::from_slice(w.slice(n)).map_err(|e| w.record_error(&e, sink.index))?;
        w.consume(n);
        return Ok(sink.send(value));
    }
    loop {
        let mut stream = serde_json::Deserializer::from_slice(w.rest()).into_iter::<T>();
        match stream.next() {
            Some(Ok(value)) => {
                let n = stream.byte_offset();
                w.consume(n);
                return Ok(sink.send(value));
            }
            Some(Err(e)) if e.is_eof() => {
                if !w.fill()? {
                    return Err(w.record_error(&e, sink.index));
                }
            }
            Some(Err(e)) => return Err(w.record_error(&e, sink.index)),
            None => return Err(w.error("unexpected end of file")),
        }
    }
}

/// JSON Lines (or concatenated values): each value is a record, numbered by its first line.
fn values<T: DeserializeOwned, R>(
    w: &mut Window,
    sink: &mut Sink<T, R>,
) -> Result<(), StreamError> {
    while w.skip_ws()?.is_some() {
        sink.index = w.line + 1;
        if !record(w, sink)? {
            break;
        }
    }
    Ok(())
}

/// A sliding window over a file: values are scanned for their extent (strings, nesting) and
/// only records are parsed, from a slice, which is several times faster than parsing from a
/// reader byte by byte. The window grows to hold the largest record.
struct Window {
    file: File,
    buf: Vec<u8>,
    /// Unconsumed data is `buf[start..end]`.
    start: usize,
    end: usize,
    eof: bool,
    /// Newlines consumed so far, for locating errors.
    line: u64,
}

/// Bytes read per refill.
const CHUNK: usize = 1 << 20;

impl Window {
    fn new(file: File) -> Window {
        Window {
            file,
            buf: Vec::new(),
            start: 0,
            end: 0,
            eof: false,
            line: 0,
        }
    }

    /// Reads more data after what is unconsumed; false at the end of the file.
    fn fill(&mut self) -> Result<bool, StreamError> {
        if self.eof {
            return Ok(false);
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() < self.end + CHUNK {
            self.buf.resize(self.end + CHUNK, 0);
        }
        loop {
            match self.file.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(StreamError::io(&e)),
            }
        }
    }

    /// The byte `i` past the start, reading more as needed.
    fn byte(&mut self, i: usize) -> Result<Option<u8>, StreamError> {
        while self.start + i >= self.end {
            if !self.fill()? {
                return Ok(None);
            }
        }
        Ok(Some(self.buf[self.start + i]))
    }

    fn slice(&self, n: usize) -> &[u8] {
        &self.buf[self.start..self.start + n]
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.line += memchr::memchr_iter(b'\n', self.slice(n)).count() as u64;
        self.start += n;
    }

    /// Skips whitespace; the next byte, if any.
    fn skip_ws(&mut self) -> Result<Option<u8>, StreamError> {
        loop {
            match self.byte(0)? {
                Some(b) if b.is_ascii_whitespace() => self.consume(1),
                other => return Ok(other),
            }
        }
    }

    fn expect(&mut self, want: u8) -> Result<(), StreamError> {
        if self.skip_ws()? == Some(want) {
            self.consume(1);
            Ok(())
        } else {
            Err(self.error(&format!("expected '{}'", char::from(want))))
        }
    }

    fn error(&self, message: &str) -> StreamError {
        StreamError {
            line: self.line + 1,
            message: format!("not valid JSON: {message}"),
        }
    }

    /// Everything read and not yet consumed.
    fn rest(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// A record that failed to parse: a syntax error is named by its text line, a record of
    /// the wrong shape by its number.
    fn record_error(&self, e: &serde_json::Error, record: u64) -> StreamError {
        let mut err = self.parse_error(e);
        if !(e.is_syntax() || e.is_eof()) {
            err.line = record;
        }
        err
    }

    /// A parse error inside the value at the window's start, located in the file.
    fn parse_error(&self, e: &serde_json::Error) -> StreamError {
        StreamError {
            line: self.line + (e.line() as u64).max(1),
            message: format!("not valid JSON or not the expected shape: {e}"),
        }
    }

    /// The length of the JSON value at the window's start, found by scanning for its end
    /// (strings and nesting respected); its content is checked when it is parsed.
    fn value_len(&mut self) -> Result<usize, StreamError> {
        let Some(first) = self.byte(0)? else {
            return Err(self.error("unexpected end of file"));
        };
        if !matches!(first, b'{' | b'[' | b'"') {
            let mut i = 0;
            while let Some(b) = self.byte(i)? {
                if matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace() {
                    break;
                }
                i += 1;
            }
            return if i == 0 {
                Err(self.error(&format!("unexpected '{}'", char::from(first))))
            } else {
                Ok(i)
            };
        }
        let (mut i, mut depth, mut in_str) = (0usize, 0usize, false);
        loop {
            let data = &self.buf[self.start + i..self.end];
            let mut j = 0;
            while j < data.len() {
                if in_str {
                    match memchr::memchr2(b'"', b'\\', &data[j..]) {
                        None => j = data.len(),
                        Some(k) if data[j + k] == b'\\' => j += k + 2,
                        Some(k) => {
                            j += k + 1;
                            in_str = false;
                            if depth == 0 {
                                return Ok(i + j);
                            }
                        }
                    }
                    continue;
                }
                match data[j] {
                    b'"' => in_str = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return Ok(i + j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            i += j;
            if !self.fill()? {
                return Err(self.error("unexpected end of file inside a value"));
            }
        }
    }
}

fn open(path: &Path) -> Result<BufReader<File>, StreamError> {
    let file = File::open(path).map_err(|e| StreamError::io(&e))?;
    Ok(BufReader::with_capacity(1 << 16, file))
}

/// Skips a byte-order mark and leading whitespace; returns the first significant byte.
fn first_byte(reader: &mut BufReader<File>) -> Result<Option<u8>, StreamError> {
    let mut bom_checked = false;
    loop {
        let buf = reader.fill_buf().map_err(|e| StreamError::io(&e))?;
        if buf.is_empty() {
            return Ok(None);
        }
        if !bom_checked {
            bom_checked = true;
            if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
                reader.consume(3);
                continue;
            }
        }
        let skip = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if skip < buf.len() {
            let b = buf[skip];
            reader.consume(skip);
            return Ok(Some(b));
        }
        let n = buf.len();
        reader.consume(n);
    }
}

fn is_probe_done(e: &serde_json::Error) -> bool {
    e.to_string().starts_with(PROBE_DONE)
}

/// Collects records into batches and sends them; notes when the receiver has gone.
struct Sink<T, R> {
    tx: SyncSender<Batch<R>>,
    batch: Batch<R>,
    /// The number of the last record read (array index or line).
    index: u64,
    wrap: fn(T) -> R,
    stopped: bool,
    _t: PhantomData<fn() -> T>,
}

impl<T, R> Sink<T, R> {
    /// Queues one record; false once nobody listens any more.
    fn send(&mut self, value: T) -> bool {
        let record = (self.wrap)(value);
        self.push(Ok((self.index, record)));
        !self.stopped
    }

    fn push(&mut self, item: Result<(u64, R), StreamError>) {
        self.batch.push(item);
        if self.batch.len() >= BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.batch.is_empty() || self.stopped {
            return;
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        if self.tx.send(batch).is_err() {
            self.stopped = true;
        }
    }
}

/// Takes the keys of an array's first element, then stops the parse.
struct FirstElement<'a> {
    found: &'a Cell<Option<Vec<String>>>,
}

impl<'de> Visitor<'de> for FirstElement<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let first = seq.next_element::<Value>()?;
        let keys = match first {
            Some(Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        };
        self.found.set(Some(keys));
        Err(de::Error::custom(PROBE_DONE))
    }
}

/// Looks for the first known collection key (descending into wrappers); remembers the keys
/// seen in case the object turns out to be a bare record. A wrapper holding an array (a
/// search result's `results`) is a collection whose records tell what they are.
struct ProbeMap<'a, 'k> {
    collections: &'a [&'a str],
    wrappers: &'a [&'a str],
    path: Vec<String>,
    found: &'a Cell<Option<Layout>>,
    first_keys: &'a Cell<Option<Vec<String>>>,
    keys: &'k mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for ProbeMap<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ProbeMap<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<String>()? {
            if self.collections.contains(&k.as_str()) {
                self.found.set(Some(Layout::Keyed {
                    path: self.path.clone(),
                    key: k,
                }));
                return Err(de::Error::custom(PROBE_DONE));
            }
            if self.wrappers.contains(&k.as_str()) {
                let mut path = self.path.clone();
                path.push(k.clone());
                let mut inner_keys = Vec::new();
                map.next_value_seed(ProbeMap {
                    collections: self.collections,
                    wrappers: self.wrappers,
                    path,
                    found: self.found,
                    first_keys: self.first_keys,
                    keys: &mut inner_keys,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
            if self.path.is_empty() {
                self.keys.push(k);
            }
        }
        Ok(())
    }

    /// A wrapper holding an array: its records, classified by their keys.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Some((key, path)) = self.path.split_last() else {
            return Ok(());
        };
        let keys = match seq.next_element::<Value>()? {
            Some(Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        };
        self.first_keys.set(Some(keys));
        self.found.set(Some(Layout::Keyed {
            path: path.to_vec(),
            key: key.clone(),
        }));
        Err(de::Error::custom(PROBE_DONE))
    }

    // A wrapper key holding a scalar is just skipped.
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// A source's numeric id, given as a JSON number or as a string of digits (some exporters
/// quote large ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub i64);

impl SourceId {
    /// The Sanjeh id of this source id: a system and kind prefix (`zd-u`, `fd-g`…) and the digits.
    pub fn prefixed(self, prefix: &str) -> Id {
        Id::parse("id", &format!("{prefix}{}", self.0))
            .expect("a prefix and an integer form a valid id")
    }

    /// An id inside a loosely typed value (an audit's `value`): a number or a digit string.
    pub fn from_value(v: &Value) -> Option<SourceId> {
        match v {
            Value::Number(n) => n.as_i64().map(SourceId),
            Value::String(s) => s.trim().parse().ok().map(SourceId),
            _ => None,
        }
    }
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl<'de> serde::Deserialize<'de> for SourceId {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<SourceId, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = SourceId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a numeric id")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<SourceId, E> {
                Ok(SourceId(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<SourceId, E> {
                i64::try_from(v)
                    .map(SourceId)
                    .map_err(|_| E::custom("id out of range"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SourceId, E> {
                v.trim()
                    .parse()
                    .map(SourceId)
                    .map_err(|_| E::custom(format!("{v:?} is not a numeric id")))
            }
        }
        d.deserialize_any(V)
    }
}

/// A hasher for integer source ids. Ids are not attacker-chosen keys here (they come from the
/// export being imported), so a multiply-and-fold is enough; SipHash cost more than the
/// lookups it guarded.
#[derive(Debug, Default, Clone, Copy)]
pub struct IdHasher(u64);

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 32)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(GOLDEN);
        }
    }
    fn write_i64(&mut self, n: i64) {
        self.0 = (self.0 ^ n as u64).wrapping_mul(GOLDEN);
    }
}

/// A map keyed by a source's integer id.
pub type IdMap<V> = std::collections::HashMap<i64, V, std::hash::BuildHasherDefault<IdHasher>>;
/// A set of a source's integer ids.
pub type IdSet = std::collections::HashSet<i64, std::hash::BuildHasherDefault<IdHasher>>;

/// A source's instant: RFC 3339 with its offset, or (where the data carries none) a civil time
/// in `tz`.
pub fn parse_time(raw: &str, tz: &TimeZone) -> Option<Timestamp> {
    if let Ok(ts) = Timestamp::from_str(raw) {
        return Some(ts);
    }
    let civil = jiff::civil::DateTime::from_str(raw.trim()).ok()?;
    tz.to_ambiguous_timestamp(civil).compatible().ok()
}

/// A file's name as shown in origins.
pub fn display_name(path: &Path) -> Arc<str> {
    Arc::from(path.display().to_string())
}

/// Expands directories (their `.json`, `.jsonl` and `.ndjson` files, not recursively) and
/// orders files naturally (`page2` before `page10`), so paged exports are read in page order.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Problem> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|e| {
                Problem::new(
                    Origin::new(&display_name(path), 0),
                    "path",
                    format!("cannot read directory: {e}"),
                )
            })?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && is_json_name(p))
                .collect();
            if found.is_empty() {
                // Subdirectories are not read (an export's folder may hold other things):
                // say so rather than import nothing in silence.
                let subdirs: Vec<String> = std::fs::read_dir(path)
                    .into_iter()
                    .flatten()
                    .filter_map(Result::ok)
                    .filter(|e| e.path().is_dir())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                let hint = if subdirs.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; subdirectories are not read, name the ones to import: {}",
                        subdirs.join(", ")
                    )
                };
                return Err(Problem::new(
                    Origin::new(&display_name(path), 0),
                    "path",
                    format!("no .json or .jsonl files in this directory{hint}"),
                ));
            }
            found.sort_by(|a, b| natural_cmp(&a.to_string_lossy(), &b.to_string_lossy()));
            files.extend(found);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            return Err(Problem::new(
                Origin::new(&display_name(path), 0),
                "path",
                "no such file or directory",
            ));
        }
    }
    Ok(files)
}

fn is_json_name(path: &Path) -> bool {
    let hidden = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'));
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    !hidden && matches!(ext, "json" | "jsonl" | "ndjson")
}

/// Compares names with digit runs taken as numbers.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let (na, nb) = (trim_zeros(&a[..da]), trim_zeros(&b[..db]));
                let ord = na.len().cmp(&nb.len()).then(na.cmp(nb));
                if ord.is_ne() {
                    return ord;
                }
                a = &a[da..];
                b = &b[db..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|&&d| d == b'0').count();
    &digits[zeros.min(digits.len().saturating_sub(1))..]
}

/// A mapped value, or the fallback used for a value the mapping does not know.
pub enum Mapped<T> {
    Known(T),
    Fallback(T),
}

impl<T> Mapped<T> {
    pub fn value(self) -> T {
        match self {
            Mapped::Known(v) | Mapped::Fallback(v) => v,
        }
    }
}

/// Where the items of one record go, with the record's origin.
pub struct Out<'a> {
    pub origin: Origin,
    pub out: &'a mut VecDeque<Converted>,
}

impl<'a> Out<'a> {
    pub fn new(origin: Origin, out: &'a mut VecDeque<Converted>) -> Out<'a> {
        Out { origin, out }
    }

    pub fn event(&mut self, at: Timestamp, id: String, body: EventBody) {
        let event = Event {
            at,
            id: Some(id),
            body,
            extra: Map::new(),
        };
        self.out.push_back(Ok(Item::Event(Box::new(Record {
            origin: self.origin.clone(),
            event,
        }))));
    }

    pub fn skip(&mut self, field: &str, message: impl Into<String>) {
        let problem = Problem::new(self.origin.clone(), field, message);
        self.out.push_back(Ok(Item::Skipped(problem)));
    }

    pub fn unmapped(&mut self, field: &str, value: impl Into<String>) {
        self.out.push_back(Ok(Item::Unmapped {
            origin: self.origin.clone(),
            field: field.into(),
            value: value.into(),
        }));
    }

    /// The mapped value, reporting a fallback.
    pub fn mapped<T>(&mut self, field: &str, raw: Option<&str>, mapped: Mapped<T>) -> T {
        if let (Mapped::Fallback(_), Some(raw)) = (&mapped, raw) {
            self.unmapped(field, raw);
        }
        mapped.value()
    }
}

/// A format's conversion of records into items, driven by [`Driver`].
pub trait Convert: Send + 'static {
    type Record: Send + 'static;
    /// Converts one record, pushing what it yields.
    fn record(&mut self, record: Self::Record, origin: Origin, out: &mut VecDeque<Converted>);
    /// A step between files (e.g. flushing events held back until their turn).
    fn hook(&mut self, _step: u8, _out: &mut VecDeque<Converted>) {}
}

/// One step of a conversion plan.
pub enum Step<R> {
    /// Read a file through a reader thread started when the step is reached.
    Read {
        file: Arc<str>,
        open: Box<dyn FnOnce() -> Records<R> + Send>,
    },
    /// Call [`Convert::hook`].
    Hook(u8),
    /// Yield an item as it is (a note about a file).
    Yield(Box<Converted>),
}

/// Runs a plan: one file at a time, records converted as their batches arrive. After an
/// `Err` nothing more is yielded.
pub struct Driver<C: Convert> {
    steps: VecDeque<Step<C::Record>>,
    current: Option<(Arc<str>, Records<C::Record>)>,
    batch: std::vec::IntoIter<Result<(u64, C::Record), StreamError>>,
    out: VecDeque<Converted>,
    convert: C,
    failed: bool,
}

impl<C: Convert> Driver<C> {
    pub fn new(convert: C, steps: Vec<Step<C::Record>>) -> Driver<C> {
        Driver {
            steps: steps.into(),
            current: None,
            batch: Vec::new().into_iter(),
            out: VecDeque::new(),
            convert,
            failed: false,
        }
    }

    /// Advances by one record or step; false when the plan is exhausted.
    fn advance(&mut self) -> bool {
        if let Some((file, _)) = &self.current {
            if let Some(next) = self.batch.next() {
                match next {
                    Ok((line, record)) => {
                        let origin = Origin::new(file, line);
                        self.convert.record(record, origin, &mut self.out);
                    }
                    Err(e) => self.out.push_back(Err(e.into_problem(file))),
                }
                return true;
            }
            let received = self.current.as_ref().map(|(_, rx)| rx.recv());
            match received {
                Some(Ok(batch)) => self.batch = batch.into_iter(),
                _ => self.current = None,
            }
            return true;
        }
        match self.steps.pop_front() {
            Some(Step::Read { file, open }) => self.current = Some((file, open())),
            Some(Step::Hook(n)) => self.convert.hook(n, &mut self.out),
            Some(Step::Yield(item)) => self.out.push_back(*item),
            None => return false,
        }
        true
    }
}

impl<C: Convert> Iterator for Driver<C> {
    type Item = Converted;

    fn next(&mut self) -> Option<Converted> {
        loop {
            if let Some(item) = self.out.pop_front() {
                if item.is_err() {
                    self.failed = true;
                    self.steps.clear();
                    self.current = None;
                    self.out.clear();
                }
                return Some(item);
            }
            if self.failed || !self.advance() {
                return None;
            }
        }
    }
}

/// A note that a file was not read, and why (what it holds, e.g. `ticket_metric_events`).
/// A file of an export, probed: what it holds and how to read it.
pub struct Planned<K> {
    pub kind: K,
    pub path: PathBuf,
    pub file: Arc<str>,
    pub layout: Layout,
}

/// The files to read, ordered, and notes on the files left unread.
pub type Plan<K, R> = (Vec<Planned<K>>, Vec<Step<R>>);

/// Probes every file of `paths` (directories one level deep) and orders the readable ones by
/// kind, then by name (a stable sort keeps the natural name order `expand` gave). Files that
/// hold nothing the converter reads become notes (`Item::Unmapped`, field `file`).
pub fn plan<K: Ord + Copy, R>(
    paths: &[PathBuf],
    keys: &[&str],
    wrappers: &[&str],
    classify: impl Fn(&Probe) -> Result<K, String>,
) -> Result<Plan<K, R>, Problem> {
    let mut planned = Vec::new();
    let mut notes = Vec::new();
    for path in expand(paths)? {
        let file = display_name(&path);
        let probe = probe(&path, keys, wrappers).map_err(|e| e.into_problem(&file))?;
        match classify(&probe) {
            Ok(kind) => planned.push(Planned {
                kind,
                path,
                file,
                layout: probe.layout,
            }),
            Err(what) => notes.push(not_read(&file, &what)),
        }
    }
    planned.sort_by_key(|p| p.kind);
    Ok((planned, notes))
}

pub fn not_read<R>(file: &Arc<str>, what: &str) -> Step<R> {
    Step::Yield(Box::new(Ok(Item::Unmapped {
        origin: Origin::new(file, 0),
        field: "file".into(),
        value: what.into(),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_puts_page2_before_page10() {
        let mut names = vec!["p10.json", "p2.json", "p1.json", "a.json"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(names, ["a.json", "p1.json", "p2.json", "p10.json"]);
    }

    #[test]
    fn civil_times_take_the_zone() {
        let tz = TimeZone::get("Europe/Berlin").unwrap();
        let t = parse_time("2024-01-10 10:00:00", &tz).unwrap();
        assert_eq!(t.to_string(), "2024-01-10T09:00:00Z");
        let t = parse_time("2024-01-10T10:00:00+10:00", &tz).unwrap();
        assert_eq!(t.to_string(), "2024-01-10T00:00:00Z");
    }
}
