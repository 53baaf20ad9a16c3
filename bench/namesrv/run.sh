#!/bin/sh
# rmq-namesrv benchmark: builds ns-bench and the daemon in BUILDDIR, runs it,
# prints Markdown rows for bench/README.md (appended there with --append).
#   bench/namesrv/run.sh [--append] [BUILDDIR] [-- ns-bench options]
# Columns: machine | date | command | result | peer measured in the same run | ratio
set -eu
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
append=no
if [ "${1:-}" = "--append" ]; then append=yes; shift; fi
builddir=${1:-"$srcdir/_build-namesrv"}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift

make -C "$builddir" -s src/namesrv/rmq-namesrv bench/namesrv/ns-bench >/dev/null
out=$(RMQ_BUILDDIR="$builddir" "$builddir/bench/namesrv/ns-bench" "$@" 2>/dev/null)
echo "$out" >&2

machine="$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
date=$(date -u +%Y-%m-%d)
cmd='bench/namesrv/run.sh'
# No Apache RocketMQ (Java) name server can be installed on the reference
# machine (no Maven access), so no peer is measured.
peer='none: Apache RocketMQ namesrv not installable here'
get() { echo "$out" | sed -n "s/^$1=\([^ ]*\).*/\1/p"; }
rows=$(cat <<ROWS
| $machine | $date | $cmd | GET_ROUTEINFO_BY_TOPIC, 1 connection, 1000 topics x 4 brokers: $(get route_rps_c1) req/s ($(echo "$out" | sed -n 's/^route_rps_c1=[^ ]* //p')) | $peer | n/a |
| $machine | $date | $cmd | GET_ROUTEINFO_BY_TOPIC, 64 connections, 1000 topics x 4 brokers: $(get route_rps_c64) req/s ($(echo "$out" | sed -n 's/^route_rps_c64=[^ ]* //p')) | $peer | n/a |
| $machine | $date | $cmd | rmq-namesrv idle RSS: $(get idle_rss_kib) KiB empty, $(get loaded_rss_kib) KiB with 1000 topics x 4 brokers | $peer | n/a |
| $machine | $date | $cmd | rmq-namesrv exec to READY=1: $(get exec_to_ready_ms) ms | $peer | n/a |
ROWS
)
echo "$rows"
if [ "$append" = yes ]; then
    readme="$srcdir/bench/README.md"
    if [ ! -f "$readme" ]; then
        printf '# Benchmarks\n\n| machine | date | command | result | peer measured in the same run | ratio |\n|---|---|---|---|---|---|\n' >"$readme"
    fi
    echo "$rows" >>"$readme"
fi
