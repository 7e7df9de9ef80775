//! `cargo xtask`: the maintainers' commands of inbox-bindings.
//!
//! One module per subcommand, each with a plain entry point. The pipeline
//! stages live in their own modules and work on `serde_json::Value`.

use std::process::ExitCode;

use xtask::{api, assemble, codegen, drift, fetch, lock, services};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  codegen [--check]                       regenerate generated/ from openapi/ (--check: write nothing, fail on drift)
  codegen --spec <file> --api <name> --out <dir> [--compile]
                                          generate from any document into any folder (robustness checks);
                                          --compile also builds the output against this crate
  assemble <api> <page>...                extract the OpenAPI slices embedded in documentation pages,
                                          merge them into the api's vendored document, update the lock
  fetch <api> [--from <url-or-file>]      download the upstream document into openapi/, update
                                          openapi/specs.lock, print the drift report
  lock <api>                              record the vendored document in openapi/specs.lock as it is
                                          (after a reviewed edit of an authored spec)
  api [--check]                           write tests/public-api.txt, the library's public API from rustdoc
                                          (--check: write nothing, fail on a change or a leaked external type)
  drift <api> [--against <url-or-file>] [--json]
  drift <api> --webhooks --against <url-or-file> [--json]
                                          compare the vendored document (or the webhook document) with another
                                          version; exit 0 no drift, 1 compatible only, 2 breaking, 3 error
  test [<cargo test arguments>]           the tests: installs redis-server (Debian's package) when it is
                                          missing, then runs cargo test --workspace
  bench [<cargo bench arguments>]         the same for cargo bench --workspace (the fleet bench starts a redis-server)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("codegen") => codegen::run(&args[1..]),
        Some("assemble") => assemble::run(&args[1..]),
        Some("fetch") => fetch::run(&args[1..]),
        Some("lock") => lock::run(&args[1..]),
        Some("drift") => return ExitCode::from(drift::run(&args[1..])),
        Some("api") => api::run(&args[1..]),
        Some("test") => services::run_tests(&args[1..]),
        Some("bench") => services::run_benches(&args[1..]),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(anyhow::anyhow!("unknown command `{other}`\n\n{USAGE}")),
        None => Err(anyhow::anyhow!("no command given\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
