#!/usr/bin/env bash
# A clean debug `cargo build --lib` (default features, an empty target
# directory) and the incremental one after touching src/lib.rs, of a
# commit and of the working tree, one run each.
#
#   bash benches/build-compare.sh 4772d43
set -euo pipefail
cd "$(dirname "$0")/.."
before=${1:?usage: bash benches/build-compare.sh <commit>}
scratch=$(mktemp -d)
trap 'git worktree remove --force "$scratch/before" >/dev/null 2>&1 || true; rm -rf "$scratch"' EXIT
git worktree add --quiet "$scratch/before" "$before"
seconds() { python3 -c "import time; print(time.monotonic())"; }
for side in before after; do
  dir=$PWD
  [ "$side" = before ] && dir="$scratch/before"
  target="$scratch/target-$side"
  start=$(seconds)
  (cd "$dir" && cargo build --quiet --lib --target-dir "$target")
  clean=$(python3 -c "print(f'{$(seconds) - $start:.1f}')")
  touch "$dir/src/lib.rs"
  start=$(seconds)
  (cd "$dir" && cargo build --quiet --lib --target-dir "$target")
  incremental=$(python3 -c "print(f'{$(seconds) - $start:.2f}')")
  echo "$side: clean $clean s, incremental $incremental s"
done
