//! `livret serve` and `livret watch` through the real binary: start, change a page, see the
//! rebuild (an HTTP client waiting on the reload channel, as the page's script does), see a
//! failed build in the page while the last good one stays, stop on Ctrl-C (SIGINT).

use crate::common;

use common::livret;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Hang guard only: a rebuild of the sample corpus takes well under a second.
const PATIENCE: Duration = Duration::from_secs(60);

/// A fresh sample corpus made by `livret init`.
fn sample_project() -> tempfile::TempDir {
    let project = tempfile::tempdir().unwrap();
    let o = livret(project.path())
        .args(["init", "."])
        .output()
        .expect("livret runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    project
}

/// The running command, with its stdout lines arriving on a channel; killed if the test fails.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Running {
    fn start(cwd: &Path, args: &[&str], stderr: &Path) -> Self {
        Self::start_with(livret(cwd), args, stderr)
    }

    fn start_with(mut command: std::process::Command, args: &[&str], stderr: &Path) -> Self {
        let mut child = command
            .args(args)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(stderr).unwrap())
            .spawn()
            .expect("livret starts");
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines }
    }

    fn line_containing(&self, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => panic!("no line with `{needle}` on stdout"),
            }
        }
    }

    /// Ctrl-C, as a terminal sends it; the exit status once it stopped.
    fn interrupt(&mut self) -> std::process::ExitStatus {
        let sent = std::process::Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "still running after SIGINT");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// This machine's address on its network, if it has one (no packet is sent: a UDP socket only
/// picks the interface a route would use).
fn outward_address() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// A plain HTTP/1.1 GET: status code and body.
fn get(port: u16, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("the server listens");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("a whole response");
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").expect("headers then body");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    (status, body.to_string())
}

/// The build number the served page knows (`var seen = N` of the reload script).
fn generation(page: &str) -> u64 {
    let at = page.find("var seen = ").expect("the reload script") + "var seen = ".len();
    page[at..]
        .split(';')
        .next()
        .and_then(|n| n.trim().parse().ok())
        .expect("a build number")
}

/// The server instance the served page knows (`var instance = '…'` of the reload script).
fn instance(page: &str) -> String {
    let at = page.find("var instance = '").expect("the reload script") + "var instance = '".len();
    page[at..].split('\'').next().unwrap().to_string()
}

/// A long-poll's answer: the server's instance, its build number, and whether it was busy.
fn wait_state(body: &str) -> (String, u64, bool) {
    let json: serde_json::Value = serde_json::from_str(body).expect("a JSON answer");
    (
        json["instance"].as_str().expect("an instance").to_string(),
        json["generation"].as_u64().expect("a build number"),
        json["busy"].as_bool().expect("busy"),
    )
}

/// Ask for the next build, as the page's script does; the answer arrives on the channel.
fn wait_for_rebuild(port: u16, query: &str) -> mpsc::Receiver<(u16, String)> {
    let (send, answer) = mpsc::channel();
    let path = format!("/__livret/wait?{query}");
    std::thread::spawn(move || {
        let _ = send.send(get(port, &path));
    });
    // The request is in the server before the change that should answer it.
    std::thread::sleep(Duration::from_millis(300));
    answer
}

fn port_of(line: &str) -> u16 {
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("a URL");
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "loopback only: {line}"
    );
    url.trim_start_matches("http://127.0.0.1:")
        .trim_end_matches('/')
        .parse()
        .expect("a port")
}

#[test]
fn serve_reloads_after_a_change_shows_a_failed_build_and_stops_on_ctrl_c() {
    let project = sample_project();
    let root = project.path();
    let log = root.join("serve.log");
    let mut serve = Running::start(root, &["serve", "--port", "0"], &log);
    let port = port_of(&serve.line_containing("serving"));

    let (status, page) = get(port, "/");
    assert_eq!(status, 200);
    assert!(page.contains("<h1") && page.contains("Newcomer"), "{page}");
    assert!(
        page.contains("/__livret/wait"),
        "the reload script is served"
    );
    let first = generation(&page);

    // A change to a page: the waiting request is answered with the next build number.
    let answer = wait_for_rebuild(port, &format!("since={first}"));
    let page_path = root.join("content/_faq/newcomer.md");
    let mut text = std::fs::read_to_string(&page_path).unwrap();
    text.push_str("\n## Is this answer new?\n\nYes, written while livret serve was running.\n");
    std::fs::write(&page_path, &text).unwrap();
    let (status, next) = answer.recv_timeout(PATIENCE).expect("a reload");
    assert_eq!(status, 200);
    let next = wait_state(&next).1;
    assert!(next > first, "{next} after {first}");
    let (_, page) = get(port, "/");
    assert!(page.contains("Is this answer new?"), "rebuilt page served");
    assert!(!page.contains("livret-build-failed"));

    // A broken index: the error is in the page (and on stderr), over the last good page.
    let answer = wait_for_rebuild(port, &format!("since={}", generation(&page)));
    let index = root.join("content/index.md");
    let good_index = std::fs::read_to_string(&index).unwrap();
    std::fs::write(
        &index,
        good_index.replacen("title: Our FAQ", "title: [Our FAQ", 1),
    )
    .unwrap();
    answer
        .recv_timeout(PATIENCE)
        .expect("a reload after the failure");
    let (status, page) = get(port, "/");
    assert_eq!(status, 200);
    assert!(page.contains("livret-build-failed"), "{page}");
    assert!(page.contains("invalid YAML front matter"), "{page}");
    assert!(
        page.contains("Is this answer new?"),
        "the last good page stays"
    );

    // Fixed again: the banner goes.
    let answer = wait_for_rebuild(port, &format!("since={}", generation(&page)));
    std::fs::write(&index, &good_index).unwrap();
    answer
        .recv_timeout(PATIENCE)
        .expect("a reload after the fix");
    let (_, page) = get(port, "/");
    assert!(!page.contains("livret-build-failed"));

    assert_eq!(get(port, "/nothing-here").0, 404);
    // Loopback only: the machine's own network address does not answer.
    if let Some(ip) = outward_address() {
        let refused = TcpStream::connect_timeout(&(ip, port).into(), Duration::from_secs(2));
        assert!(refused.is_err(), "serving on {ip} too");
    }
    let status = serve.interrupt();
    assert!(status.success(), "a clean stop on Ctrl-C: {status:?}");
    let stderr = std::fs::read_to_string(&log).unwrap();
    assert!(
        stderr.contains("content/index.md:") && stderr.contains("invalid YAML"),
        "the failure is on the terminal too: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    // First build, the change, the failure, the fix: reading the pages is not a change.
    let builds = stderr.matches("] built").count() + stderr.matches("build failed").count();
    assert!(builds <= 6, "{builds} builds for 3 changes: {stderr}");
    assert!(
        !root.join("out").exists(),
        "serve without --formats writes nothing"
    );
}

#[test]
fn watch_rebuilds_into_the_output_folder_even_inside_the_corpus_and_writes_no_script() {
    let project = sample_project();
    let root = project.path();
    let log = root.join("watch.log");
    // The output folder inside the corpus: its own writes must not start another build.
    let mut watch = Running::start(root, &["watch", "-f", "html", "-o", "content/out"], &log);
    watch.line_containing("watching");
    let html = root.join("content/out/our-faq.html");
    let first = std::fs::read_to_string(&html).expect("built before watching");
    assert!(first.contains("Newcomer"));
    assert!(
        !first.contains("__livret"),
        "no preview script in an artifact"
    );

    let page_path = root.join("content/_faq/contributor.md");
    let mut text = std::fs::read_to_string(&page_path).unwrap();
    text.push_str("\n## Can I watch?\n\nYes.\n");
    std::fs::write(&page_path, &text).unwrap();
    let deadline = Instant::now() + PATIENCE;
    while !std::fs::read_to_string(&html)
        .unwrap_or_default()
        .contains("Can I watch?")
    {
        assert!(Instant::now() < deadline, "not rebuilt after a change");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Quiet now: no build loop on our own output.
    std::thread::sleep(Duration::from_millis(1500));
    let status = watch.interrupt();
    assert!(status.success(), "{status:?}");
    let stderr = std::fs::read_to_string(&log).unwrap();
    let builds = stderr.matches("] built").count();
    assert!((2..=3).contains(&builds), "{builds} builds: {stderr}");
    let after = std::fs::read_to_string(&html).unwrap();
    assert!(
        !after.contains("__livret"),
        "no preview script in an artifact"
    );
    let names: Vec<String> = std::fs::read_dir(root.join("content/out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.ends_with(".tmp")),
        "no temporary file left: {names:?}"
    );
}

#[cfg(unix)]
#[test]
fn serve_open_calls_the_browser_and_formats_are_written_without_the_script() {
    use std::os::unix::fs::PermissionsExt;
    let project = sample_project();
    let root = project.path();
    // A stand-in for the desktop's browser opener: it notes the URL it was given.
    let bin = root.join("fake-bin");
    std::fs::create_dir(&bin).unwrap();
    let opener = bin.join("xdg-open");
    std::fs::write(&opener, "#!/bin/sh\necho \"$1\" > \"$OPENED\"\n").unwrap();
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
    let opened = root.join("opened.txt");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = livret(root);
    command.env("PATH", path).env("OPENED", &opened);
    let log = root.join("serve.log");
    let mut serve = Running::start_with(
        command,
        &["serve", "--port", "0", "--open", "--formats", "html,epub"],
        &log,
    );
    let port = port_of(&serve.line_containing("serving"));
    let deadline = Instant::now() + PATIENCE;
    while !opened.exists() {
        assert!(Instant::now() < deadline, "the browser was not opened");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        std::fs::read_to_string(&opened).unwrap().trim(),
        format!("http://127.0.0.1:{port}/")
    );
    let written = std::fs::read_to_string(root.join("out/our-faq.html")).unwrap();
    assert!(written.contains("Newcomer") && !written.contains("__livret"));
    assert!(root.join("out/our-faq.epub").exists());
    assert!(
        !root.join("out/our-faq.pdf").exists(),
        "only the formats asked for"
    );
    let (_, served) = get(port, "/");
    assert!(served.contains("__livret"));
    assert!(serve.interrupt().success());
}

/// Wait until `path` holds `needle`, within PATIENCE.
fn wait_for_text(path: &Path, needle: &str, what: &str) {
    let deadline = Instant::now() + PATIENCE;
    while !std::fs::read_to_string(path)
        .unwrap_or_default()
        .contains(needle)
    {
        assert!(Instant::now() < deadline, "not rebuilt after {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn watch_rebuilds_on_a_theme_change_and_a_livret_toml_change() {
    let project = sample_project();
    let root = project.path();
    let theme = root.join("my-theme/html");
    std::fs::create_dir_all(&theme).unwrap();
    let css = theme.join("style.css");
    std::fs::write(&css, "body { color: #123456; }\n").unwrap();
    let log = root.join("watch.log");
    let mut watch = Running::start(root, &["watch", "-f", "html", "--theme", "my-theme"], &log);
    watch.line_containing("watching");
    let html = root.join("out/our-faq.html");
    wait_for_text(&html, "#123456", "the first build");

    std::fs::write(&css, "body { color: #654321; }\n").unwrap();
    wait_for_text(&html, "#654321", "a theme change");

    let toml = root.join("livret.toml");
    let settings = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(
        &toml,
        settings.replace("# title = \"Our FAQ\"", "title = \"Watched title\""),
    )
    .unwrap();
    wait_for_text(&html, "Watched title", "a livret.toml change");
    assert!(watch.interrupt().success());
}

/// Send `head` as it is (request line and headers, no blank line added) and read the answer:
/// status, headers (lower-cased names) and body. `None` when the server closed without one.
fn exchange(port: u16, head: &[u8]) -> Option<(u16, String, Vec<u8>)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("the server listens");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    // A server that refuses early may close while a long head is still being sent.
    let _ = stream.write_all(head);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let end = response.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&response[..end]).to_lowercase();
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, head, response[end + 4..].to_vec()))
}

fn status_of(port: u16, head: &str) -> u16 {
    exchange(port, head.as_bytes()).expect("an answer").0
}

#[test]
fn serve_answers_only_its_own_host_and_get_or_head_with_a_bounded_head() {
    let project = sample_project();
    let root = project.path();
    let log = root.join("serve.log");
    let serve = Running::start(root, &["serve", "--port", "0"], &log);
    let port = port_of(&serve.line_containing("serving"));
    let get = |host: &str| status_of(port, &format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n"));
    // Loopback names and the bound address, with or without the port.
    for host in [
        format!("127.0.0.1:{port}"),
        "127.0.0.1".to_string(),
        format!("localhost:{port}"),
        "localhost".to_string(),
        format!("[::1]:{port}"),
    ] {
        assert_eq!(get(&host), 200, "Host: {host}");
    }
    // A DNS-rebinding page sends its own name: refused before anything is read.
    for host in [
        format!("evil.example:{port}"),
        "evil.example".to_string(),
        format!("127.0.0.1.evil.example:{port}"),
    ] {
        assert_eq!(get(&host), 421, "Host: {host}");
    }
    assert_eq!(status_of(port, "GET / HTTP/1.1\r\n\r\n"), 400, "no Host");
    let with_host = |method: &str, path: &str| {
        status_of(
            port,
            &format!("{method} {path} HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n"),
        )
    };
    for method in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"] {
        assert_eq!(with_host(method, "/"), 405, "{method}");
    }
    let (status, headers, body) =
        exchange(port, b"HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    assert_eq!(status, 200);
    assert!(
        headers.contains("content-length: ") && body.is_empty(),
        "{headers}"
    );
    assert_eq!(with_host("GET", "/etc/passwd"), 404);
    assert_eq!(with_host("GET", "/../content/index.md"), 404);
    assert_eq!(
        with_host("GET", "/index.md"),
        404,
        "a page source is not served"
    );
    // 8 KiB for the request line and headers together.
    let long_url = format!("/{}", "a".repeat(9 * 1024));
    assert_eq!(with_host("GET", &long_url), 414);
    let long_header = format!(
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: {}\r\n\r\n",
        "b".repeat(9 * 1024)
    );
    assert_eq!(status_of(port, &long_header), 431);
    assert_eq!(with_host("GET", "/"), 200, "still serving");
}

/// A value of /proc/<pid>/status (`Threads`, `VmRSS` in kB).
#[cfg(target_os = "linux")]
fn proc_status(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in /proc/{pid}/status"))
}

/// The test process may hold this many sockets (raised to the hard limit if need be).
#[cfg(unix)]
fn allow_open_files(wanted: u64) -> bool {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: a valid out-pointer; RLIMIT_NOFILE exists on every unix.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    if limit.rlim_cur >= wanted as libc::rlim_t {
        return true;
    }
    if limit.rlim_max < wanted as libc::rlim_t {
        return false;
    }
    limit.rlim_cur = wanted as libc::rlim_t;
    // SAFETY: as above, raising the soft limit within the hard one.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 }
}

#[cfg(target_os = "linux")]
#[test]
fn serve_survives_2000_idle_connections_and_a_1_mb_request_line_with_bounded_threads_and_memory() {
    if !allow_open_files(2_200) {
        eprintln!("skipped: fewer than 2,200 open files allowed here");
        return;
    }
    let project = sample_project();
    let root = project.path();
    let log = root.join("serve.log");
    let serve = Running::start(root, &["serve", "--port", "0"], &log);
    let port = port_of(&serve.line_containing("serving"));
    let pid = serve.child.id();
    assert_eq!(get(port, "/").0, 200);
    let threads = proc_status(pid, "Threads");
    let rss = proc_status(pid, "VmRSS");

    // 2,000 clients that connect and say nothing.
    let idle: Vec<TcpStream> = (0..2_000)
        .filter_map(|_| {
            TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(5)).ok()
        })
        .collect();
    assert!(idle.len() > 1_000, "only {} connections", idle.len());
    // One client streaming a 1 MB request line: refused once past the bound.
    let mut long_line = b"GET /".to_vec();
    long_line.resize(1 << 20, b'a');
    let refused = std::thread::spawn(move || exchange(port, &long_line));
    std::thread::sleep(Duration::from_millis(500));
    let busy_threads = proc_status(pid, "Threads");
    let busy_rss = proc_status(pid, "VmRSS");
    if let Some((status, _, _)) = refused.join().unwrap() {
        assert!(status == 414 || status == 503, "{status}");
    }
    assert!(
        busy_threads <= threads + 2,
        "{busy_threads} threads under load, {threads} at rest"
    );
    assert!(
        busy_rss <= 2 * rss,
        "{busy_rss} kB under load, {rss} kB at rest"
    );
    drop(idle);
    // The clients gone, the next request is answered.
    let deadline = Instant::now() + PATIENCE;
    loop {
        if exchange(port, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .is_some_and(|(status, _, _)| status == 200)
        {
            break;
        }
        assert!(Instant::now() < deadline, "not answering after the load");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(proc_status(pid, "Threads") <= threads + 2);
    let stderr = std::fs::read_to_string(&log).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[cfg(target_os = "linux")]
#[test]
fn serve_out_of_file_descriptors_waits_and_answers_again() {
    use std::os::unix::process::CommandExt;
    let project = sample_project();
    let root = project.path();
    let log = root.join("serve.log");
    let mut command = livret(root);
    // SAFETY: only setrlimit, async-signal-safe, between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 32,
                rlim_max: 32,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let serve = Running::start_with(command, &["serve", "--port", "0"], &log);
    let port = port_of(&serve.line_containing("serving"));
    assert_eq!(get(port, "/").0, 200);
    // More sockets than the server may open: its accept fails with EMFILE.
    let held: Vec<TcpStream> = (0..100)
        .filter_map(|_| {
            TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2)).ok()
        })
        .collect();
    assert!(held.len() >= 50, "only {} connections", held.len());
    let deadline = Instant::now() + PATIENCE;
    while !std::fs::read_to_string(&log)
        .unwrap()
        .contains("cannot accept a connection")
    {
        assert!(
            Instant::now() < deadline,
            "never ran out of file descriptors"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(held);
    let deadline = Instant::now() + PATIENCE;
    loop {
        if exchange(port, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").is_some_and(
            |(status, _, body)| {
                status == 200 && String::from_utf8_lossy(&body).contains("Newcomer")
            },
        ) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "a dead port after running out of files"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let stderr = std::fs::read_to_string(&log).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn serve_serves_every_artifact_of_the_set_with_its_type_and_a_bar_linking_to_them() {
    let project = sample_project();
    let root = project.path();
    let log = root.join("serve.log");
    let mut serve = Running::start(
        root,
        &["serve", "--port", "0", "--formats", "pdf,epub"],
        &log,
    );
    let port = port_of(&serve.line_containing("serving"));
    let fetch = |path: &str| {
        exchange(
            port,
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes(),
        )
        .expect("an answer")
    };
    for (name, media_type, magic) in [
        ("/our-faq.pdf", "application/pdf", &b"%PDF-"[..]),
        ("/our-faq.epub", "application/epub+zip", &b"PK"[..]),
        ("/our-faq.html", "text/html", &b"<!DOCTYPE html>"[..]),
        ("/img/diagram.png", "image/png", &b"\x89PNG"[..]),
    ] {
        let (status, headers, body) = fetch(name);
        assert_eq!(status, 200, "{name}");
        assert!(
            headers.contains(&format!("content-type: {media_type}")),
            "{name}: {headers}"
        );
        assert!(body.starts_with(magic), "{name}");
    }
    // The artifact as written: no preview bar, no script.
    let (_, _, html) = fetch("/our-faq.html");
    let html = String::from_utf8(html).unwrap();
    assert!(!html.contains("livret-preview-bar") && !html.contains("__livret"));
    assert_eq!(
        std::fs::read(root.join("out/our-faq.pdf")).unwrap(),
        fetch("/our-faq.pdf").2,
        "the PDF served is the one written"
    );
    // The preview page links to each artifact, in its bar only.
    let (_, page) = get(port, "/");
    let bar = &page[page.find("livret-preview-bar").expect("a preview bar")..];
    for name in ["our-faq.html", "our-faq.epub", "our-faq.pdf"] {
        assert!(bar.contains(&format!("href=\"/{name}\"")), "{name}: {bar}");
    }
    for name in ["our-faq.epub", "our-faq.pdf"] {
        let bytes = std::fs::read(root.join("out").join(name)).unwrap();
        assert!(
            !bytes
                .windows(b"livret-preview-bar".len())
                .any(|w| w == b"livret-preview-bar"),
            "{name}"
        );
    }
    assert!(serve.interrupt().success());
}

#[test]
fn a_waiting_tab_reloads_when_the_server_restarts() {
    let project = sample_project();
    let root = project.path();
    let log = root.join("serve.log");
    let mut first = Running::start(root, &["serve", "--port", "0"], &log);
    let port = port_of(&first.line_containing("serving"));
    let (_, page) = get(port, "/");
    let (old, seen) = (instance(&page), generation(&page));
    // Same instance and build: the long-poll is held (no answer within a moment).
    let held = wait_for_rebuild(port, &format!("since={seen}&instance={old}"));
    assert!(held.recv_timeout(Duration::from_millis(700)).is_err());
    assert!(first.interrupt().success());
    // The stop answers it, with this same instance: the page then keeps asking.
    let (status, body) = held.recv_timeout(PATIENCE).expect("answered on stop");
    assert_eq!(status, 200);
    assert_eq!(wait_state(&body).0, old);

    let port_arg = port.to_string();
    let _second = Running::start(root, &["serve", "--port", &port_arg], &log);
    _second.line_containing("serving");
    // The tab's next question gets a new instance at once, even with a build number as high.
    let answer = wait_for_rebuild(port, &format!("since={seen}&instance={old}"));
    let (status, body) = answer.recv_timeout(PATIENCE).expect("answered at once");
    assert_eq!(status, 200);
    let (new, _, _) = wait_state(&body);
    assert_ne!(new, old, "a restarted server is another instance");
}

#[test]
fn serve_and_watch_refuse_an_unknown_persona_before_starting() {
    let project = sample_project();
    let root = project.path();
    for args in [
        &["serve", "--port", "0", "--persona", "nope"][..],
        &["watch", "--persona", "nope"][..],
    ] {
        let log = root.join("refused.log");
        let mut running = Running::start(root, args, &log);
        // A loop that started anyway would run until killed: wait for an exit, not forever.
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = running.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "{args:?} started despite --persona nope"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let stderr = std::fs::read_to_string(&log).unwrap();
        assert_eq!(status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("unknown persona `nope`"), "{stderr}");
        let stdout: Vec<String> = running.lines.try_iter().collect();
        assert!(
            stdout
                .iter()
                .all(|l| !l.contains("serving") && !l.contains("watching")),
            "{stdout:?}"
        );
    }
}

#[test]
fn watch_into_the_project_folder_itself_rebuilds_and_each_rebuild_has_its_own_date() {
    let project = sample_project();
    let root = project.path();
    let log = root.join("watch.log");
    // `-o .`: the corpus is inside the output folder; livret's own files are known by name.
    let mut watch = Running::start(root, &["watch", "-f", "html", "-o", "."], &log);
    watch.line_containing("watching");
    let html = root.join("our-faq.html");
    let manifest = || -> i64 {
        let text = std::fs::read_to_string(root.join("manifest.json")).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        json["build_time"].as_i64().expect("a build time")
    };
    let first = manifest();
    // The dates are in seconds: the next build is in another second.
    std::thread::sleep(Duration::from_millis(1_100));
    let page_path = root.join("content/_faq/contributor.md");
    let mut text = std::fs::read_to_string(&page_path).unwrap();
    text.push_str("\n## Can I watch from the root?\n\nYes.\n");
    std::fs::write(&page_path, &text).unwrap();
    wait_for_text(&html, "Can I watch from the root?", "a change under -o .");
    let deadline = Instant::now() + PATIENCE;
    while manifest() == first {
        assert!(
            Instant::now() < deadline,
            "the manifest kept the first date"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(manifest() > first);
    // Quiet now: writing our-faq.html and manifest.json into `.` starts no build.
    std::thread::sleep(Duration::from_millis(1_500));
    assert!(watch.interrupt().success());
    let stderr = std::fs::read_to_string(&log).unwrap();
    let builds: Vec<&str> = stderr.lines().filter(|l| l.contains("] built ")).collect();
    assert_eq!(builds.len(), 2, "{stderr}");
    for line in builds {
        assert!(
            line.contains("our-faq.html in ") && (line.ends_with(" ms") || line.ends_with(" s")),
            "the rebuild says what it wrote and how long it took: {line}"
        );
    }
}

#[test]
fn long_polls_past_the_cap_are_answered_at_once_as_busy() {
    let project = sample_project();
    let root = project.path();
    let log = root.join("serve.log");
    let serve = Running::start(root, &["serve", "--port", "0"], &log);
    let port = port_of(&serve.line_containing("serving"));
    let (_, page) = get(port, "/");
    let query = format!("since={}&instance={}", generation(&page), instance(&page));
    let ask = |stream: &mut TcpStream| {
        write!(
            stream,
            "GET /__livret/wait?{query} HTTP/1.1\r\nHost: localhost\r\n\r\n"
        )
        .unwrap();
    };
    // Up to the cap, reload requests are held; each holds a socket, not a thread.
    let held: Vec<TcpStream> = (0..64)
        .map(|_| {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
            ask(&mut stream);
            // One at a time, as pages ask: not a burst past the connection queue.
            std::thread::sleep(Duration::from_millis(10));
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let mut over = TcpStream::connect(("127.0.0.1", port)).unwrap();
    over.set_read_timeout(Some(PATIENCE)).unwrap();
    ask(&mut over);
    let mut answer = String::new();
    over.read_to_string(&mut answer).unwrap();
    let body = answer.split_once("\r\n\r\n").expect("an answer").1;
    let (_, _, busy) = wait_state(body);
    assert!(busy, "past the cap: answered at once, the page asks later");
    // The held ones are still held: none has an answer yet.
    for mut stream in held.iter().take(3) {
        stream.set_nonblocking(true).unwrap();
        let mut byte = [0u8; 1];
        let pending = stream.read(&mut byte);
        assert!(
            pending.is_err_and(|e| e.kind() == std::io::ErrorKind::WouldBlock),
            "a held long-poll was answered"
        );
    }
    assert_eq!(get(port, "/").0, 200, "pages are still served");
}

#[test]
fn serve_on_a_network_address_answers_for_it_and_refuses_a_foreign_host() {
    let Some(ip) = outward_address() else {
        eprintln!("skipped: no network address here");
        return;
    };
    let project = sample_project();
    let root = project.path();
    let log = root.join("serve.log");
    let host = ip.to_string();
    let serve = Running::start(root, &["serve", "--port", "0", "--host", &host], &log);
    let line = serve.line_containing("serving");
    let port: u16 = line
        .rsplit(':')
        .next()
        .and_then(|p| {
            p.trim_end_matches(|c: char| !c.is_ascii_digit())
                .parse()
                .ok()
        })
        .expect("a port");
    let status = |host_header: &str| {
        let mut stream = TcpStream::connect((ip, port)).expect("listening on the address");
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        write!(stream, "GET / HTTP/1.1\r\nHost: {host_header}\r\n\r\n").unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string()
    };
    let own = match ip {
        std::net::IpAddr::V6(v6) => format!("[{v6}]:{port}"),
        std::net::IpAddr::V4(v4) => format!("{v4}:{port}"),
    };
    assert_eq!(status(&own), "200");
    assert_eq!(status(&format!("rebind.example:{port}")), "421");
}

#[test]
fn watch_and_serve_honour_the_out_and_formats_of_livret_toml() {
    let project = sample_project();
    let root = project.path();
    let settings = root.join("livret.toml");
    let mut text = std::fs::read_to_string(&settings).unwrap();
    text.push_str("\nout = \"dist\"\nformats = [\"html\"]\n");
    std::fs::write(&settings, text).unwrap();

    let log = root.join("watch.log");
    let mut watch = Running::start(root, &["watch"], &log);
    watch.line_containing("watching");
    assert!(watch.interrupt().success());
    let names = |dir: &str| common::names_in(&root.join(dir));
    assert_eq!(names("dist"), ["manifest.json", "our-faq.html"]);
    assert!(!root.join("out").exists(), "nothing in out/");

    // `serve -f epub` writes what -f asks for, into livret.toml's folder.
    let log = root.join("serve.log");
    let mut serve = Running::start(root, &["serve", "--port", "0", "-f", "epub"], &log);
    serve.line_containing("serving");
    assert!(serve.interrupt().success());
    assert_eq!(names("dist"), ["manifest.json", "our-faq.epub"]);
    assert!(!root.join("out").exists(), "nothing in out/");
}

#[test]
fn watch_ignores_its_manifest_under_the_name_livret_toml_gives_it() {
    let project = sample_project();
    let root = project.path();
    let settings = root.join("livret.toml");
    let mut text = std::fs::read_to_string(&settings).unwrap();
    text.push_str("\nmanifest = \"book.json\"\n");
    std::fs::write(&settings, text).unwrap();
    let log = root.join("watch.log");
    // Inside the corpus: its own manifest, whatever its name, starts no build.
    let mut watch = Running::start(root, &["watch", "-f", "html", "-o", "content/out"], &log);
    watch.line_containing("watching");
    assert!(root.join("content/out/book.json").exists());
    std::thread::sleep(Duration::from_millis(1500));
    assert!(watch.interrupt().success());
    let stderr = std::fs::read_to_string(&log).unwrap();
    assert_eq!(stderr.matches("] built").count(), 1, "{stderr}");
}

#[test]
fn serve_and_watch_take_a_project_folder_and_watch_its_livret_toml() {
    let outside = tempfile::tempdir().unwrap();
    let o = livret(outside.path())
        .args(["init", "my-faq"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let project = outside.path().join("my-faq");

    // watch DIR from outside: the project's out/, a change of its root livret.toml rebuilds.
    let log = outside.path().join("watch.log");
    let mut watch = Running::start(outside.path(), &["watch", "my-faq", "-f", "html"], &log);
    watch.line_containing("watching");
    let html = project.join("out/our-faq.html");
    wait_for_text(&html, "data:image/png", "the first build, with its image");
    let toml = project.join("livret.toml");
    let settings = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(
        &toml,
        settings.replace("# title = \"Our FAQ\"", "title = \"Project title\""),
    )
    .unwrap();
    wait_for_text(
        &html,
        "Project title",
        "a change of the project's livret.toml",
    );
    assert!(watch.interrupt().success());
    assert!(!outside.path().join("out").exists());

    // serve DIR: the corpus's images at their site path, the page built from content/.
    let log = outside.path().join("serve.log");
    let mut serve = Running::start(outside.path(), &["serve", "my-faq", "--port", "0"], &log);
    let port = port_of(&serve.line_containing("serving"));
    let (status, page) = get(port, "/");
    assert_eq!(status, 200);
    assert!(page.contains("Project title"), "{page}");
    assert_eq!(get(port, "/img/diagram.png").0, 200);
    assert!(serve.interrupt().success());
}
