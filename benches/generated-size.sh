#!/usr/bin/env bash
# Generated lines and incremental `cargo check` time of the crate's own code,
# before and after a change to the pipeline, in one run: the vendored specs
# (the library with all three providers) and the complete Quo fixture (its
# `--compile` scratch crate). "Before" is a git revision (default: the
# commit before the lean-code and tolerant-enum work) and "after" another
# (default: HEAD), each checked out in a temporary worktree. Each check time
# is the median of 5 runs, each after touching the crate's lib.rs.
#
#   bash benches/generated-size.sh [BEFORE_REV [AFTER_REV]]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
before_rev=${1:-4640e2a}
after_rev=${2:-HEAD}
fixture=$root/../shared/fixtures/openphone-public-api-v1.2025-06-16.json
scratch=$(mktemp -d)
trap 'for side in before after; do git -C "$root" worktree remove --force "$scratch/$side" >/dev/null 2>&1 || true; done; rm -rf "$scratch"' EXIT
git worktree add --quiet --detach "$scratch/before" "$before_rev"
git worktree add --quiet --detach "$scratch/after" "$after_rev"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}

seconds() { python3 -c "import time; print(time.monotonic())"; }
# Median seconds of 5 incremental `cargo check`s of the crate at $1 (manifest), touching $2.
check_time() {
  cargo check --quiet --lib --manifest-path "$1" 2>/dev/null
  local times=()
  for _ in 1 2 3 4 5; do
    touch "$2"
    local start; start=$(seconds)
    cargo check --quiet --lib --manifest-path "$1" 2>/dev/null
    times+=("$(python3 -c "print($(seconds) - $start)")")
  done
  local joined; joined=$(IFS=,; echo "${times[*]}")
  python3 -c "import statistics; print(round(statistics.median([$joined]), 2))"
}

declare -A lines seconds_taken
for side in before after; do
  tree=$scratch/$side
  lines[$side-vendored]=$(cat "$tree"/generated/{partoo,quo,textus}.rs | wc -l)
  seconds_taken[$side-vendored]=$(check_time "$tree/Cargo.toml" "$tree/src/lib.rs")
  # Each side's own xtask binary: with one shared target dir, cargo would run
  # whichever `xtask` it uplifted last. (The scratch crate `--compile` builds
  # still shares CARGO_TARGET_DIR, so the dependencies are built once.)
  (cd "$tree" && cargo run --quiet --target-dir "$scratch/$side-xtask" --package xtask -- \
    codegen --spec "$fixture" --api quo --out "$scratch/$side-fixture" --compile >/dev/null)
  lines[$side-fixture]=$(wc -l < "$scratch/$side-fixture/quo.rs")
  seconds_taken[$side-fixture]=$(check_time "$scratch/$side-fixture/quo-compile-check/Cargo.toml" "$scratch/$side-fixture/quo-compile-check/src/lib.rs")
done

printf '| generated from | lines before | lines after | ratio | check before | check after | ratio |\n'
printf '| --- | --- | --- | --- | --- | --- | --- |\n'
for what in vendored fixture; do
  python3 -c "
lb, la, sb, sa = ${lines[before-$what]}, ${lines[after-$what]}, ${seconds_taken[before-$what]}, ${seconds_taken[after-$what]}
print(f'| $what | {lb:,} | {la:,} | {la/lb:.2f} | {sb:.2f} s | {sa:.2f} s | {sa/sb:.2f} |')"
done
