//! `livret serve` and `livret watch` through the real binary: start, change a page, see the
//! rebuild (an HTTP client waiting on the reload channel, as the page's script does), see a
//! failed build in the page while the last good one stays, stop on Ctrl-C (SIGINT).

mod common;

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

/// Ask for the next build, as the page's script does; the answer arrives on the channel.
fn wait_for_rebuild(port: u16, since: u64) -> mpsc::Receiver<(u16, String)> {
    let (send, answer) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(get(port, &format!("/__livret/wait?since={since}")));
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
    let answer = wait_for_rebuild(port, first);
    let page_path = root.join("content/_faq/newcomer.md");
    let mut text = std::fs::read_to_string(&page_path).unwrap();
    text.push_str("\n## Is this answer new?\n\nYes, written while livret serve was running.\n");
    std::fs::write(&page_path, &text).unwrap();
    let (status, next) = answer.recv_timeout(PATIENCE).expect("a reload");
    assert_eq!(status, 200);
    let next: u64 = next.trim().parse().expect("a build number");
    assert!(next > first, "{next} after {first}");
    let (_, page) = get(port, "/");
    assert!(page.contains("Is this answer new?"), "rebuilt page served");
    assert!(!page.contains("livret-build-failed"));

    // A broken index: the error is in the page (and on stderr), over the last good page.
    let answer = wait_for_rebuild(port, generation(&page));
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
    let answer = wait_for_rebuild(port, generation(&page));
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

    let toml = root.join("content/livret.toml");
    let settings = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(
        &toml,
        settings.replace("# title = \"Our FAQ\"", "title = \"Watched title\""),
    )
    .unwrap();
    wait_for_text(&html, "Watched title", "a livret.toml change");
    assert!(watch.interrupt().success());
}
