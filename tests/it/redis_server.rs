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
    /// TLS: the port it listens on with TLS, and its certificate files.
    tls: Option<Tls>,
    /// More arguments (a cluster node's), and the folder of its files.
    extra: Vec<String>,
    _folder: Option<tempfile_dir::Dir>,
}

/// A TLS listener's port and the files of its certificate (kept until the
/// server is dropped).
struct Tls {
    port: u16,
    _files: tempfile_dir::Dir,
    args: Vec<String>,
}

/// A folder removed when dropped.
mod tempfile_dir {
    pub struct Dir(pub std::path::PathBuf);

    impl Dir {
        pub fn new(name: &str) -> Dir {
            let path = std::env::temp_dir().join(format!(
                "{name}-{}-{}",
                std::process::id(),
                fastrand::u64(..)
            ));
            std::fs::create_dir_all(&path).unwrap();
            Dir(path)
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
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
        RedisServer::start_with(Vec::new(), None)
    }

    fn start_with(extra: Vec<String>, folder: Option<tempfile_dir::Dir>) -> RedisServer {
        let mut server = RedisServer {
            port: free_port(),
            child: None,
            tls: None,
            extra,
            _folder: folder,
        };
        server.spawn();
        server
    }

    /// Starts a server that also listens with TLS, its certificate (for
    /// `127.0.0.1` and `localhost`) signed by a CA made here; returns the
    /// server and the CA's certificate (PEM). The plain port stays open for
    /// the test's own inspection.
    pub fn start_tls() -> (RedisServer, String) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "inbox-bindings test CA");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .unwrap();
        let certificate = params.signed_by(&key, &ca).unwrap();
        let files = tempfile_dir::Dir::new("inbox-redis-tls");
        let write = |name: &str, text: &str| {
            let path = files.0.join(name);
            std::fs::write(&path, text).unwrap();
            path.display().to_string()
        };
        let cert_file = write("server.pem", &certificate.pem());
        let key_file = write("server.key", &key.serialize_pem());
        let ca_file = write("ca.pem", &ca.pem());
        let tls_port = free_port();
        let args = vec![
            "--tls-port".to_string(),
            tls_port.to_string(),
            "--tls-cert-file".to_string(),
            cert_file,
            "--tls-key-file".to_string(),
            key_file,
            "--tls-ca-cert-file".to_string(),
            ca_file,
            "--tls-auth-clients".to_string(),
            "no".to_string(),
        ];
        let mut server = RedisServer {
            port: free_port(),
            child: None,
            tls: Some(Tls {
                port: tls_port,
                _files: files,
                args,
            }),
            extra: Vec::new(),
            _folder: None,
        };
        server.spawn();
        (server, ca.pem())
    }

    /// The TLS URL (`rediss://`) of a server started with [`start_tls`].
    pub fn tls_url(&self) -> String {
        let port = self.tls.as_ref().expect("started with TLS").port;
        format!("rediss://127.0.0.1:{port}/")
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
            .args(self.tls.iter().flat_map(|tls| tls.args.iter()))
            .args(&self.extra)
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

/// A Redis Cluster of three masters on free loopback ports, its slots
/// split among them, ready when every node says `cluster_state:ok`.
pub struct RedisCluster {
    pub nodes: Vec<RedisServer>,
}

impl RedisCluster {
    pub fn start() -> RedisCluster {
        let nodes: Vec<RedisServer> = (0..3)
            .map(|_| {
                let folder = tempfile_dir::Dir::new("inbox-redis-cluster");
                let config = folder.0.join("nodes.conf").display().to_string();
                RedisServer::start_with(
                    vec![
                        "--cluster-enabled".into(),
                        "yes".into(),
                        "--cluster-config-file".into(),
                        config,
                        "--cluster-node-timeout".into(),
                        "5000".into(),
                    ],
                    Some(folder),
                )
            })
            .collect();
        let ranges = [(0, 5460), (5461, 10922), (10923, 16383)];
        for (node, (first, last)) in nodes.iter().zip(ranges) {
            let reply = node.command(&[
                "CLUSTER",
                "ADDSLOTSRANGE",
                &first.to_string(),
                &last.to_string(),
            ]);
            assert_eq!(
                reply.as_deref(),
                Some("+OK"),
                "ADDSLOTSRANGE on {}",
                node.port
            );
        }
        for node in &nodes[1..] {
            let reply = nodes[0].command(&["CLUSTER", "MEET", "127.0.0.1", &node.port.to_string()]);
            assert_eq!(reply.as_deref(), Some("+OK"));
        }
        let started = Instant::now();
        while !nodes.iter().all(|node| {
            node.command(&["CLUSTER", "INFO"])
                .is_some_and(|info| info.contains("cluster_state:ok"))
        }) {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the cluster never became ready"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        RedisCluster { nodes }
    }

    /// Every node's URL.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    /// The keys every node holds (each only its own slots').
    pub fn keys_by_node(&self) -> Vec<Vec<String>> {
        self.nodes.iter().map(RedisServer::keys).collect()
    }
}
