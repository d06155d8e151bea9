#!/bin/sh
# `npm run bench`: raises the open-file limit (Node cannot do it itself) for the scale scenario, then
# runs the driver with the given options, e.g.  sh bench/run.sh --scenario small --rounds 3
# BENCH_NOFILE sets the limit asked for (default 250000: 100,000 connections on each side plus room).
want="${BENCH_NOFILE:-250000}"
if ! ulimit -n "$want" 2>/dev/null; then
  hard="$(ulimit -H -n)"
  [ "$hard" = unlimited ] || ulimit -n "$hard" 2>/dev/null
  echo "# bench/run.sh: could not raise the open-file limit to $want; it is $(ulimit -n) (hard $hard)" >&2
fi
exec node "$(dirname "$0")/run.mjs" "$@"
