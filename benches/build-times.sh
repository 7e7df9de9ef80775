#!/usr/bin/env bash
# Clean and incremental debug builds of the library per TLS choice and per
# provider, in one run, as ratios to today's default (`partoo,quo,textus,
# rustls`). Each clean build starts from an empty target directory
# (dependencies included); the incremental one follows a touch of
# src/lib.rs. Then `cargo build --timings` of the lightest set names the
# slowest units of what remains.
#
#   bash benches/build-times.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

seconds() { python3 -c "import time; print(time.monotonic())"; }
declare -A clean incremental
default="partoo,quo,textus,rustls"
sets=("$default" "partoo,rustls" "partoo,quo,textus,rustls-ring" "partoo,rustls-ring"
      "partoo,quo,textus,native-tls" "partoo,native-tls" "partoo,no-tls")
for features in "${sets[@]}"; do
  rm -rf "$scratch/target"
  start=$(seconds)
  cargo build --quiet --lib --no-default-features --features "$features" --target-dir "$scratch/target"
  clean[$features]=$(python3 -c "print($(seconds) - $start)")
  touch src/lib.rs
  start=$(seconds)
  cargo build --quiet --lib --no-default-features --features "$features" --target-dir "$scratch/target"
  incremental[$features]=$(python3 -c "print($(seconds) - $start)")
done
printf '| features | clean | ratio | incremental | ratio |\n| --- | --- | --- | --- | --- |\n'
for features in "${sets[@]}"; do
  python3 -c "
c, i, ca, ia = ${clean[$features]}, ${incremental[$features]}, ${clean[$default]}, ${incremental[$default]}
print(f'| {\"$features\"} | {c:.1f} s | {c/ca:.2f} | {i:.2f} s | {i/ia:.2f} |')"
done

lightest="partoo,rustls-ring"
rm -rf "$scratch/target"
cargo build --quiet --lib --no-default-features --features "$lightest" --target-dir "$scratch/target" --timings >/dev/null 2>&1
echo
echo "slowest units of a clean build with $lightest (cargo build --timings):"
python3 - "$scratch/target/cargo-timings/cargo-timing.html" <<'PY'
import json, re, sys
html = open(sys.argv[1]).read()
data = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);", html, re.S).group(1))
units = sorted(data, key=lambda u: u["duration"], reverse=True)[:10]
for unit in units:
    print(f'| {unit["name"]} {unit["version"]} | {unit["duration"]:.1f} s |')
PY
