#!/usr/bin/env bash
# Generated lines and incremental `cargo check` time of the crate's own code,
# before and after a change to the pipeline, in one run: the vendored specs
# (the library with all three providers) and the complete Quo fixture (its
# `--compile` scratch crate). "Before" is a git revision (default: the
# commit before the lean-code and tolerant-enum work) and "after" another
# (default: HEAD), each checked out in a temporary worktree. A check time is
# `cargo check` of the crate's own code after touching its lib.rs, without
# incremental reuse (dependencies stay built), in 7 interleaved rounds.
#
#   bash benches/generated-size.sh [BEFORE_REV [AFTER_REV]]
#
# AFTER_FIXTURE=path gives the after side another document (the complete
# 43-operation Quo document, which the before side cannot generate): the
# fixture row then compares two documents, to be read per operation.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
before_rev=${1:-4640e2a}
after_rev=${2:-HEAD}
fixture=$root/../shared/fixtures/openphone-public-api-v1.2025-06-16.json
declare -A fixtures=([before]=$fixture [after]=${AFTER_FIXTURE:-$fixture})
scratch=$(mktemp -d)
trap 'for side in before after; do git -C "$root" worktree remove --force "$scratch/$side" >/dev/null 2>&1 || true; done; rm -rf "$scratch"' EXIT
git worktree add --quiet --detach "$scratch/before" "$before_rev"
git worktree add --quiet --detach "$scratch/after" "$after_rev"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}

seconds() { python3 -c "import time; print(time.monotonic())"; }
# Seconds of one `cargo check` of the crate at $1 (manifest) after touching $2:
# the crate's own code is checked again whole (CARGO_INCREMENTAL=0), its
# dependencies are not.
check_once() {
  touch "$2"
  local start; start=$(seconds)
  CARGO_INCREMENTAL=0 cargo check --quiet --lib --manifest-path "$1" 2>/dev/null
  python3 -c "print($(seconds) - $start)"
}

declare -A lines manifest librs
for side in before after; do
  tree=$scratch/$side
  lines[$side-vendored]=$(cat "$tree"/generated/{partoo,quo,textus}.rs | wc -l)
  manifest[$side-vendored]=$tree/Cargo.toml
  librs[$side-vendored]=$tree/src/lib.rs
  # Each side's own xtask binary: with one shared target dir, cargo would run
  # whichever `xtask` it uplifted last. (The scratch crate `--compile` builds
  # still shares CARGO_TARGET_DIR, so the dependencies are built once.)
  (cd "$tree" && cargo run --quiet --target-dir "$scratch/$side-xtask" --package xtask -- \
    codegen --spec "${fixtures[$side]}" --api quo --out "$scratch/$side-fixture" --compile >/dev/null)
  lines[$side-fixture]=$(wc -l < "$scratch/$side-fixture/quo.rs")
  manifest[$side-fixture]=$scratch/$side-fixture/quo-compile-check/Cargo.toml
  librs[$side-fixture]=$scratch/$side-fixture/quo-compile-check/src/lib.rs
  for what in vendored fixture; do
    CARGO_INCREMENTAL=0 cargo check --quiet --lib --manifest-path "${manifest[$side-$what]}" 2>/dev/null
  done
done

# Interleaved rounds, so drift in machine load hits both sides alike.
declare -A samples
rounds=7
for round in $(seq $rounds); do
  for what in vendored fixture; do
    for side in before after; do
      samples[$side-$what]+="$(check_once "${manifest[$side-$what]}" "${librs[$side-$what]}"),"
    done
  done
done

printf '| generated from | lines before | lines after | ratio | check before | check after | ratio (median of %s rounds) |\n' "$rounds"
printf '| --- | --- | --- | --- | --- | --- | --- |\n'
for what in vendored fixture; do
  python3 -c "
import statistics
lb, la = ${lines[before-$what]}, ${lines[after-$what]}
b, a = [${samples[before-$what]}], [${samples[after-$what]}]
ratio = statistics.median([y / x for x, y in zip(b, a)])
print(f'| $what | {lb:,} | {la:,} | {la/lb:.2f} | {statistics.median(b):.2f} s | {statistics.median(a):.2f} s | {ratio:.2f} |')"
done
