//! `cargo xtask test`: the README's test command. Makes sure the services
//! the tests start themselves are installed (`redis-server`, from Debian's
//! package, when missing and the machine can install it), then runs
//! `cargo test --workspace` with any further arguments.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context};

/// Where the tests look for `redis-server` (`tests/it/redis_server.rs`):
/// `$INBOX_REDIS_SERVER`, the `PATH`, `/usr/bin/redis-server`.
pub fn redis_server() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("INBOX_REDIS_SERVER") {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("redis-server"))
            .find(|candidate| candidate.is_file())
    });
    on_path.or_else(|| Some(PathBuf::from("/usr/bin/redis-server")).filter(|p| p.is_file()))
}

/// Installs Debian's `redis-server` package when the binary is missing
/// (with `apt-get`, as root, or through `sudo` when it asks no password).
pub fn ensure_redis_server() -> anyhow::Result<PathBuf> {
    if let Some(found) = redis_server() {
        return Ok(found);
    }
    eprintln!("redis-server is missing: installing Debian's redis-server package");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0");
    let apt = |args: &[&str]| -> anyhow::Result<()> {
        let mut command = if root {
            Command::new("apt-get")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.args(["-n", "apt-get"]);
            sudo
        };
        let status = command
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .context("cannot run apt-get")?;
        if !status.success() {
            bail!("apt-get {} failed", args.join(" "));
        }
        Ok(())
    };
    apt(&["update", "-qq"])
        .and_then(|()| apt(&["install", "-y", "-qq", "redis-server"]))
        .context(
            "the tests need redis-server (they start their own on a free loopback port): \
             install Debian's redis-server package, or set INBOX_REDIS_SERVER to a redis-server binary",
        )?;
    redis_server().context("redis-server is still not found after installing it")
}

pub fn run_tests(args: &[String]) -> anyhow::Result<()> {
    let server = ensure_redis_server()?;
    eprintln!("redis-server: {}", server.display());
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(crate::project_root())
        .args(["test", "--workspace"])
        .args(args)
        .env("INBOX_REDIS_SERVER", &server)
        .status()
        .context("cannot run cargo test")?;
    if !status.success() {
        bail!("cargo test --workspace failed");
    }
    Ok(())
}
