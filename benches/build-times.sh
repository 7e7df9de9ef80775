#!/usr/bin/env bash
# Clean and incremental debug build times of the library with each provider
# feature alone and with all three, in one run, as ratios to "all three".
# Each clean build starts from an empty target directory (dependencies
# included); the incremental one follows a touch of src/lib.rs.
#
#   bash benches/build-times.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

seconds() { python3 -c "import time; print(time.monotonic())"; }
declare -A clean incremental
sets=("partoo,quo,textus" "partoo" "quo" "textus")
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
all="partoo,quo,textus"
printf '| features | clean | ratio | incremental | ratio |\n| --- | --- | --- | --- | --- |\n'
for features in "${sets[@]}"; do
  python3 -c "
c, i, ca, ia = ${clean[$features]}, ${incremental[$features]}, ${clean[$all]}, ${incremental[$all]}
print(f'| {\"$features\"} | {c:.1f} s | {c/ca:.2f} | {i:.2f} s | {i/ia:.2f} |')"
done
