//! A real `redis-server` for a test (or a bench): started on a free
//! loopback port, with no persistence, stopped when dropped. The binary is
//! `$INBOX_REDIS_SERVER`: `cargo xtask test` (and `cargo xtask bench`)
//! finds one, or installs Debian's `redis-tools` (no service) and links its
//! server binary, and sets the variable. Nothing here looks for it.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisServer {
    pub port: u16,
    child: Option<Child>,
}

/// `$INBOX_REDIS_SERVER`, which `cargo xtask test` sets (finding or
/// installing the binary: `xtask/src/services.rs` is the one place that
/// looks).
fn binary() -> PathBuf {
    let Some(path) = std::env::var_os("INBOX_REDIS_SERVER") else {
        panic!(
            "INBOX_REDIS_SERVER is not set: run the tests with `cargo xtask test` (or \
             benches with `cargo xtask bench`), which finds or installs a redis-server \
             (no service) and sets it, or set it to a redis-server binary"
        );
    };
    PathBuf::from(path)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl RedisServer {
    /// Starts a server on a free port; panics, saying how to get one, when
    /// there is no `redis-server`.
    pub fn start() -> RedisServer {
        let mut server = RedisServer {
            port: free_port(),
            child: None,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let path = binary();
        let child = Command::new(&path)
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot start {} ({error}): run the tests with `cargo xtask test`, \
                     which finds or installs a redis-server (no service)",
                    path.display()
                )
            });
        self.child = Some(child);
        let started = Instant::now();
        while self.command(&["PING"]).as_deref() != Some("+PONG") {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server on port {} did not answer",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Stops the server at once (SIGKILL): what a crash looks like.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port (empty: nothing persisted).
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Freezes it (SIGSTOP): connected, but never answering.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    /// Thaws a frozen server (SIGCONT).
    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let status = Command::new("kill").args([signal, &pid]).status().unwrap();
        assert!(status.success());
    }

    /// One command over a fresh connection (RESP, inline form); the reply's
    /// first line, or `None` when the server does not answer.
    pub fn command(&self, parts: &[&str]) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        let mut request = format!("*{}\r\n", parts.len());
        for part in parts {
            request.push_str(&format!("${}\r\n{part}\r\n", part.len()));
        }
        stream.write_all(request.as_bytes()).ok()?;
        let mut reply = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            let n = stream.read(&mut buffer).ok()?;
            if n == 0 {
                break;
            }
            reply.extend_from_slice(&buffer[..n]);
            if complete(&reply) {
                break;
            }
        }
        let text = String::from_utf8_lossy(&reply).to_string();
        Some(text.trim_end().to_string())
    }

    /// Every key (`KEYS *`).
    pub fn keys(&self) -> Vec<String> {
        let reply = self.command(&["KEYS", "*"]).unwrap_or_default();
        // *N, then $len / key pairs.
        reply
            .lines()
            .skip(1)
            .filter(|line| !line.starts_with('$'))
            .map(str::to_string)
            .collect()
    }

    /// A key's value (`GET`), if any.
    pub fn get(&self, key: &str) -> Option<String> {
        let reply = self.command(&["GET", key])?;
        let mut lines = reply.lines();
        match lines.next()? {
            "$-1" => None,
            _ => lines.next().map(str::to_string),
        }
    }

    /// A key's time to live in milliseconds (`PTTL`: -2 gone, -1 none).
    pub fn pttl(&self, key: &str) -> i64 {
        let reply = self.command(&["PTTL", key]).unwrap();
        reply.trim_start_matches(':').parse().unwrap()
    }
}

/// Whether a RESP reply is whole (enough for the replies read here).
fn complete(reply: &[u8]) -> bool {
    let text = String::from_utf8_lossy(reply);
    let Some(first) = text.lines().next() else {
        return false;
    };
    if !text.ends_with("\r\n") {
        return false;
    }
    match first.chars().next() {
        Some('*') => {
            let count: i64 = first[1..].parse().unwrap_or(0);
            // Each element of a `KEYS` reply is two lines.
            count <= 0 || text.lines().count() as i64 > 2 * count
        }
        Some('$') => {
            let length: i64 = first[1..].parse().unwrap_or(-1);
            length < 0 || text.lines().count() >= 2
        }
        _ => true,
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(child) = &self.child {
            // A frozen server does not die of SIGKILL before it is thawed
            // on every system: thaw it first.
            let _ = Command::new("kill")
                .args(["-CONT", &child.id().to_string()])
                .status();
        }
        self.kill();
    }
}
