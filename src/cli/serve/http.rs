//! The preview's HTTP server, on `std::net` alone: one request per connection (`Connection:
//! close`), a fixed pool of worker threads, a bounded queue of accepted connections, a bounded
//! request head, and long-polls parked without a thread. Everything it holds is capped, so
//! idle or hostile clients cost a known amount of threads, memory and file descriptors.

use crate::cli::report::eprint_line;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Request line and headers together; longer is refused (414 or 431), never buffered.
pub const HEAD_LIMIT: usize = 8 * 1024;
/// Threads answering requests; a long-poll does not hold one.
pub const WORKERS: usize = 8;
/// Accepted connections waiting for a worker; past it a connection gets 503 at once.
const QUEUE: usize = 64;
/// A client has this long to send its whole request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// A response has this long per write (a large PDF to a slow phone still goes through).
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest pause of the accept loop when the process runs out of file descriptors.
const MAX_BACKOFF: Duration = Duration::from_millis(500);

/// A request the server accepted: `GET` or `HEAD`, its Host already checked.
pub struct Request {
    /// Percent-decoded, without the query.
    pub path: String,
    pub query: String,
}

impl Request {
    /// The value of `name=` in the query, if any.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .split('&')
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
    }
}

/// What the server answers.
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Arc<[u8]>,
    pub extra: Vec<(&'static str, String)>,
}

impl Response {
    pub fn new(status: u16, content_type: &'static str, body: impl Into<Arc<[u8]>>) -> Self {
        Self {
            status,
            content_type,
            body: body.into(),
            extra: Vec::new(),
        }
    }

    pub fn text(status: u16, body: &str) -> Self {
        Self::new(status, "text/plain; charset=utf-8", body.as_bytes())
    }
}

/// A connection whose request was read, to answer now or later (a long-poll).
pub struct Connection {
    stream: TcpStream,
    head_only: bool,
}

impl Connection {
    /// Write `response` and close. Errors (the client left) are the client's business.
    pub fn answer(mut self, response: &Response) {
        let _ = write_response(&mut self.stream, response, self.head_only);
        let _ = self.stream.shutdown(std::net::Shutdown::Write);
    }
}

/// Which `Host:` values are ours: loopback names, the address given with `--host`, and the
/// address a connection arrived on (an IP literal cannot be rebound by a foreign DNS name).
#[derive(Clone)]
pub struct HostCheck {
    names: Vec<String>,
}

impl HostCheck {
    pub fn new(bound: &str) -> Self {
        let mut names: Vec<String> = ["localhost", "127.0.0.1", "[::1]"].map(String::from).into();
        names.push(host_name(bound));
        Self { names }
    }

    /// `host` (a Host header, with or without a port) names this server for a connection that
    /// arrived on `local`.
    pub fn allows(&self, host: &str, local: Option<IpAddr>) -> bool {
        let name = match host.strip_prefix('[') {
            Some(rest) => match rest.split_once(']') {
                Some((inside, port)) if port.is_empty() || is_port(port) => format!("[{inside}]"),
                _ => return false,
            },
            None => match host.rsplit_once(':') {
                Some((name, port)) if is_port(&format!(":{port}")) => name.to_string(),
                Some(_) => return false,
                None => host.to_string(),
            },
        };
        let name = name.to_ascii_lowercase();
        let name = name.strip_suffix('.').unwrap_or(&name);
        self.names.iter().any(|n| n == name)
            || local.is_some_and(|ip| host_name(&ip.to_string()) == name)
    }
}

fn is_port(text: &str) -> bool {
    text.strip_prefix(':')
        .is_some_and(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// How an address appears in a Host header: IPv6 in brackets, names in lower case.
fn host_name(address: &str) -> String {
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V6(ip)) => format!("[{ip}]"),
        Ok(ip) => ip.to_string(),
        Err(_) => address.trim_matches(['[', ']']).to_ascii_lowercase(),
    }
}

/// Serve on `listener` until `stop`: `handle` answers each well-formed GET/HEAD whose Host
/// passed, through its connection, now or later (a long-poll it parks). Returns once the accept
/// loop and every worker have ended.
pub fn serve<H>(listener: &TcpListener, hosts: &HostCheck, stop: &AtomicBool, handle: H)
where
    H: Fn(Request, Connection) + Sync,
{
    let (queue, accepted): (SyncSender<TcpStream>, Receiver<TcpStream>) = sync_channel(QUEUE);
    let accepted = Mutex::new(accepted);
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                loop {
                    // The lock is held only while taking the next connection.
                    let next = accepted.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    let Ok(stream) = next else { break };
                    if let Some((request, connection)) = read_request(stream, hosts) {
                        handle(request, connection);
                    }
                }
            });
        }
        accept_loop(listener, stop, &queue);
        // Dropping the sender ends the workers once the queue is empty.
        drop(queue);
    });
}

/// Accept until `stop`. Out of file descriptors (or any other accept failure) is waited out,
/// with a pause growing to MAX_BACKOFF, and said once: the port never dies behind a live process.
fn accept_loop(listener: &TcpListener, stop: &AtomicBool, queue: &SyncSender<TcpStream>) {
    let mut backoff = Duration::ZERO;
    let mut warned = false;
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                backoff = Duration::ZERO;
                warned = false;
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                if let Err(TrySendError::Full(mut stream)) = queue.try_send(stream) {
                    // Every worker busy and the queue full: say so now rather than hold it.
                    let _ = stream.set_write_timeout(Some(Duration::from_millis(100)));
                    let mut busy = Response::text(503, "busy: try again\n");
                    busy.extra.push(("Retry-After", "1".to_string()));
                    let _ = write_response(&mut stream, &busy, false);
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::Interrupted | ErrorKind::ConnectionAborted
                ) => {}
            Err(e) => {
                if !warned {
                    eprint_line(format_args!(
                        "livret: the preview server cannot accept a connection ({e}); \
                         it waits and tries again"
                    ));
                    warned = true;
                }
                backoff = (backoff * 2).clamp(Duration::from_millis(10), MAX_BACKOFF);
                std::thread::sleep(backoff);
            }
        }
    }
}

/// Wake an accept loop blocked on `addr` (after `stop` was set): one connection to itself.
pub fn wake(addr: SocketAddr) {
    let target = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::from(([127, 0, 0, 1], addr.port())),
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, addr.port()))
        }
        _ => addr,
    };
    let _ = TcpStream::connect_timeout(&target, Duration::from_secs(1));
}

/// Read and check one request head. Malformed, too long, a foreign Host or another method is
/// answered here; a request for the handler is returned with its connection.
fn read_request(mut stream: TcpStream, hosts: &HostCheck) -> Option<(Request, Connection)> {
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let _ = stream.set_nodelay(true);
    let local = stream.local_addr().ok().map(|a| a.ip());
    let head = match read_head(&mut stream) {
        Ok(head) => head,
        Err(Some(status)) => {
            refuse(stream, status, "");
            return None;
        }
        Err(None) => return None,
    };
    let text = match std::str::from_utf8(&head) {
        Ok(text) => text,
        Err(_) => {
            refuse(stream, 400, "");
            return None;
        }
    };
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        refuse(stream, 400, "");
        return None;
    };
    if !version.starts_with("HTTP/1.") || !target.starts_with('/') {
        refuse(stream, 400, "");
        return None;
    }
    let mut host = None;
    for line in lines.filter(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            refuse(stream, 400, "");
            return None;
        };
        if name.eq_ignore_ascii_case("host") {
            if host.is_some() {
                refuse(stream, 400, "");
                return None;
            }
            host = Some(value.trim());
        }
    }
    // The Host check comes first: a page of another site learns nothing, not even a 404.
    match host {
        None => {
            refuse(stream, 400, "a Host header is required\n");
            return None;
        }
        Some(host) if !hosts.allows(host, local) => {
            refuse(
                stream,
                421,
                "this server answers only for its own address\n",
            );
            return None;
        }
        Some(_) => {}
    }
    let head_only = match method {
        "GET" => false,
        "HEAD" => true,
        _ => {
            let mut response = Response::text(405, "only GET and HEAD\n");
            response.extra.push(("Allow", "GET, HEAD".to_string()));
            let _ = write_response(&mut stream, &response, false);
            close_after_error(stream);
            return None;
        }
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let Some(path) = livret::url::percent_decode(path) else {
        refuse(stream, 400, "");
        return None;
    };
    Some((
        Request {
            path,
            query: query.to_string(),
        },
        Connection { stream, head_only },
    ))
}

/// The bytes up to the blank line ending the head, at most HEAD_LIMIT. `Err(Some(status))`:
/// answer with it; `Err(None)`: the client left or sent nothing in time.
fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, Option<u16>> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    // One deadline for the whole head: a byte now and then does not keep a worker.
    let deadline = std::time::Instant::now() + HEAD_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(if head.is_empty() { None } else { Some(408) });
        }
        let _ = stream.set_read_timeout(Some(left));
        let n = match stream.read(&mut chunk) {
            Ok(0) => return Err(None),
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(if head.is_empty() { None } else { Some(408) });
            }
            Err(_) => return Err(None),
        };
        let room = HEAD_LIMIT - head.len();
        head.extend_from_slice(&chunk[..n.min(room)]);
        if let Some(end) = find_end(&head) {
            head.truncate(end);
            return Ok(head);
        }
        if head.len() >= HEAD_LIMIT {
            // Still in the request line: the URL is too long; else the headers are.
            return Err(Some(if head.contains(&b'\n') { 431 } else { 414 }));
        }
    }
}

/// Where the head ends (`\r\n\r\n`, or `\n\n` from a lax client).
fn find_end(head: &[u8]) -> Option<usize> {
    let crlf = head.windows(4).position(|w| w == b"\r\n\r\n");
    let lf = head.windows(2).position(|w| w == b"\n\n");
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn refuse(mut stream: TcpStream, status: u16, body: &str) {
    let body = if body.is_empty() {
        reason(status)
    } else {
        body
    };
    let _ = write_response(&mut stream, &Response::text(status, body), false);
    close_after_error(stream);
}

/// After an error the client may still be sending (a long URL): read a little of it so the
/// close does not reset the connection before the client reads the answer, then close.
fn close_after_error(mut stream: TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    while drained < 16 * HEAD_LIMIT {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

fn write_response(
    stream: &mut TcpStream,
    response: &Response,
    head_only: bool,
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n",
        response.status,
        reason(response.status),
        response.content_type,
        response.body.len()
    );
    for (name, value) in &response.extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if !head_only {
        stream.write_all(&response.body)?;
    }
    stream.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        414 => "URI Too Long",
        421 => "Misdirected Request",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_check_takes_loopback_names_the_bound_address_and_the_arrival_address() {
        let check = HostCheck::new("127.0.0.1");
        for host in [
            "localhost",
            "localhost:3000",
            "LOCALHOST:1",
            "127.0.0.1",
            "127.0.0.1:3000",
            "[::1]",
            "[::1]:3000",
        ] {
            assert!(check.allows(host, None), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:3000",
            "127.0.0.1.evil.example",
            "localhost:abc",
            "[::1]x",
            "",
            "192.168.1.5",
        ] {
            assert!(!check.allows(host, None), "{host}");
        }
        let lan: IpAddr = "192.168.1.5".parse().unwrap();
        assert!(check.allows("192.168.1.5:3000", Some(lan)));
        assert!(HostCheck::new("::1").allows("[::1]:80", None));
        assert!(HostCheck::new("10.0.0.2").allows("10.0.0.2:3000", None));
    }

    #[test]
    fn the_head_ends_at_the_first_blank_line() {
        assert_eq!(find_end(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nbody"), Some(23));
        assert_eq!(find_end(b"GET / HTTP/1.1\nHost: x\n\n"), Some(22));
        assert_eq!(find_end(b"GET / HTTP/1.1\r\n"), None);
    }
}
