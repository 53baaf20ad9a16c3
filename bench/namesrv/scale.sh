#!/bin/sh
# rmq-namesrv under many connections: REGISTER_BROKER time per broker and
# GET_ROUTEINFO_BY_TOPIC time while 1, 1,000 and 5,000 idle clients are
# connected (the route table held small and constant: 200 brokers x 10 topics
# registered over one connection), so what grows is the loop's cost per
# connection, not the table's. Each cell runs ROUNDS times (default 2); with a
# second daemon binary the two alternate cell by cell (same-minute ratios on a
# busy machine).
#   bench/namesrv/scale.sh [BUILDDIR [OTHER_RMQ_NAMESRV]]
# Bounded: 5,000 clients at most, 120 s per run (timeout), 3 x ROUNDS x 2 runs.
set -eu
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${1:-"$srcdir/_build"}
other=${2:-}
rounds=${ROUNDS:-2}
make -C "$builddir" -s src/namesrv/rmq-namesrv bench/namesrv/ns-bench >/dev/null
need=$((5000 + 300))
[ "$(ulimit -n)" -ge "$need" ] || ulimit -n "$need" 2>/dev/null || {
    echo "scale.sh: needs ulimit -n >= $need" >&2; exit 1; }
run() { # daemon clients
    out=$(timeout 120 "$builddir/bench/namesrv/ns-bench" --daemon "$1" --scale 200 \
        --scale-topics 10 --scale-one-connection --scale-clients "$2" 2>/dev/null) || {
        echo "| $2 | $1 | failed | |"; return; }
    reg=$(echo "$out" | sed -n 's/^scale_register_us first10%=\([0-9]*\) last10%=\([0-9]*\).*/\1 \/ \2/p')
    route=$(echo "$out" | sed -n 's/^scale_route_us cold=\([0-9]*\) cached=\([0-9]*\).*/\1 \/ \2/p')
    echo "| $2 | $1 | $reg | $route |"
}
echo "| idle clients | daemon | REGISTER_BROKER us (first / last 10 %) | GET_ROUTEINFO us (cold / cached) |"
echo "|---|---|---|---|"
r=0
while [ "$r" -lt "$rounds" ]; do
    for c in 1 1000 5000; do
        run "$builddir/src/namesrv/rmq-namesrv" "$c"
        [ -n "$other" ] && run "$other" "$c"
    done
    r=$((r + 1))
done
