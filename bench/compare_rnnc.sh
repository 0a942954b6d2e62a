#!/usr/bin/env bash
# Kernel speed of two builds of rnnc on the same machine, alternating, each
# configuration run twice per build: GFLOP/s of fwd-infer, fwd-train and
# fwd+bwd from `rnnc bench`, one line per cell, size, batch and build.
#   bench/compare_rnnc.sh OLD/rnnc NEW/rnnc [CELL ...]   (default: lstm gru rnn layernorm_lstm)
# Extra `rnnc bench` options (e.g. --target-cpu haswell) go in $BENCH_OPTIONS.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 OLD_RNNC NEW_RNNC [CELL ...]" >&2
  exit 2
fi
old=$1 new=$2
shift 2
cells=("$@")
[ ${#cells[@]} -gt 0 ] || cells=(lstm gru rnn layernorm_lstm)
dsl="$(cd "$(dirname "$0")/../dsl" && pwd)"
for cell in "${cells[@]}"; do
  for h in 256 512 1024; do
    for b in 1 16 64; do
      for build in old new; do
        binary=$old
        [ $build = new ] && binary=$new
        runs=""
        for run in 1 2; do
          # shellcheck disable=SC2086
          rates=$(RNNC_CACHE=off "$binary" bench "$dsl/$cell.cell" -D I=$h -D H=$h --steps 20 --batch $b \
                  ${BENCH_OPTIONS:-} | awk '/GFLOP/ {printf "%s ", $(NF-1)}')
          runs="$runs| $rates"
        done
        echo "$cell H=$h B=$b $build $runs"
      done
    done
  done
done
