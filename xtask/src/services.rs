//! `cargo xtask test`: the README's test command. Finds the `redis-server`
//! binary the tests start themselves (each on a free loopback port, stopped
//! when the test ends), installing it when missing without leaving a service
//! behind, then runs `cargo test --workspace` with any further arguments.
//!
//! Debian's `redis-server` package enables and starts a system daemon on
//! 6379 with no password. Its binary is a link to `redis-check-rdb` from
//! `redis-tools`, a package with no service: Redis chooses its mode by the
//! name it runs under, so a link named `redis-server` in the target folder
//! is the whole server, and nothing runs until a test starts it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

/// The binary `redis-tools` ships: the Redis server under another name.
const REDIS_TOOLS_BINARY: &str = "/usr/bin/redis-check-rdb";

/// Where a `redis-server` is found, in order: `$INBOX_REDIS_SERVER`, the
/// `PATH`, `/usr/bin/redis-server`, then this project's own link
/// (`<target>/services/redis-server`) when it points at a binary.
pub fn redis_server(target: &Path) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("INBOX_REDIS_SERVER") {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("redis-server"))
            .find(|candidate| candidate.is_file())
    });
    on_path
        .or_else(|| Some(PathBuf::from("/usr/bin/redis-server")).filter(|p| p.is_file()))
        .or_else(|| Some(own_link(target)).filter(|p| p.is_file()))
}

/// The project's link to the server binary of `redis-tools`.
fn own_link(target: &Path) -> PathBuf {
    target.join("services").join("redis-server")
}

/// Makes `<target>/services/redis-server` a link to `binary` (replacing a
/// stale one).
pub fn link_server(target: &Path, binary: &Path) -> anyhow::Result<PathBuf> {
    let link = own_link(target);
    std::fs::create_dir_all(link.parent().expect("a link has a folder"))?;
    if link.symlink_metadata().is_ok() {
        std::fs::remove_file(&link)?;
    }
    std::os::unix::fs::symlink(binary, &link)
        .with_context(|| format!("cannot link {} to {}", link.display(), binary.display()))?;
    Ok(link)
}

/// A `redis-server` for the tests: found, or installed from Debian's
/// `redis-tools` (no service, nothing enabled or started) and linked.
pub fn ensure_redis_server(target: &Path) -> anyhow::Result<PathBuf> {
    if let Some(found) = redis_server(target) {
        return Ok(found);
    }
    let tools = Path::new(REDIS_TOOLS_BINARY);
    if !tools.is_file() {
        eprintln!(
            "redis-server is missing: installing Debian's redis-tools package \
             (the Redis binary, no service)"
        );
        install(&["redis-tools"]).context(
            "the tests need a redis-server binary (they start their own on a free loopback \
             port): install Debian's redis-tools package (`apt-get install redis-tools`, which \
             enables no service), or set INBOX_REDIS_SERVER to a redis-server binary",
        )?;
    }
    link_server(target, tools)
}

/// `apt-get install` (as root, or through `sudo` when it asks no password),
/// with `--no-install-recommends`.
fn install(packages: &[&str]) -> anyhow::Result<()> {
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
    apt(&["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend_from_slice(packages);
    apt(&args)
}

/// `cargo xtask test`: `cargo test --workspace` with a `redis-server`.
pub fn run_tests(args: &[String]) -> anyhow::Result<()> {
    run_with_redis("test", args)
}

/// `cargo xtask bench`: `cargo bench` with a `redis-server` (the fleet bench
/// starts one).
pub fn run_benches(args: &[String]) -> anyhow::Result<()> {
    run_with_redis("bench", args)
}

/// `cargo <command> --workspace <args>` after finding (or installing) the
/// server, handed over as `INBOX_REDIS_SERVER`: this module is the one
/// place that looks for it; the tests and benches only read the variable.
fn run_with_redis(command: &str, args: &[String]) -> anyhow::Result<()> {
    let root = crate::project_root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let server = ensure_redis_server(&target)?;
    eprintln!("redis-server: {}", server.display());
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(&root)
        .args([command, "--workspace"])
        .args(args)
        .env("INBOX_REDIS_SERVER", &server)
        .status()
        .with_context(|| format!("cannot run cargo {command}"))?;
    if !status.success() {
        bail!("cargo {command} --workspace failed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_own_link_is_found_and_replaced_when_stale() {
        let target = std::env::temp_dir().join(format!("xtask-services-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&target);
        let binary = target.join("redis-check-rdb");
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(&binary, "#!/bin/sh\n").unwrap();
        let link = link_server(&target, Path::new("/nonexistent/redis-check-rdb")).unwrap();
        // A link to nothing is not a server.
        assert!(!link.is_file());
        let link = link_server(&target, &binary).unwrap();
        assert!(link.is_file());
        assert_eq!(std::fs::read_link(&link).unwrap(), binary);
        std::fs::remove_dir_all(&target).unwrap();
    }
}
