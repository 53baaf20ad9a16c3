#!/bin/sh
# bench-probe self-check (TAP): each subcommand on this machine, quickly.
P=${RMQ_BUILDDIR:-.}/bench/bench-probe
T=$(mktemp -d "${TMPDIR:-/tmp}/bench-probe-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
echo "1..7"
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
kv() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

ports=$("$P" ports 3)
distinct=$(echo "$ports" | tr ' ' '\n' | sort -u | grep -c '^[0-9][0-9]*$')
ok "$([ "$distinct" = 3 ] && echo 0 || echo 1)" "ports: three distinct ports ($ports)"

"$P" ready "$T/log" -- /bin/sh -c 'echo started; exit 3' >/dev/null 2>&1
rc=$?
ok "$([ "$rc" = 1 ] && grep -q started "$T/log" && echo 0 || echo 1)" "ready: a command that exits before READY=1 fails, its output is in the log"

if command -v systemd-notify >/dev/null; then
    out=$("$P" ready "$T/log" -- /bin/sh -c 'sleep 0.2; systemd-notify --ready; exec sleep 30')
    pid=$(kv "$out" pid); ms=$(kv "$out" ready_ms)
    good=$(awk -v m="$ms" 'BEGIN { print (m >= 200 && m < 10000) ? 0 : 1 }')
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || good=1
    ok "$good" "ready: READY=1 after 0.2 s is timed ($ms ms) and the daemon keeps running"
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
else
    n=$((n + 1)); echo "ok $n # SKIP no systemd-notify"
fi

out=$("$P" rtt 0.3 128)
good=$(echo "$out" | awk '{ for (i = 1; i <= NF; i++) { split($i, a, "="); v[a[1]] = a[2] } }
    END { print (v["n"] > 0 && v["round_trips_per_s"] > 0 && v["p50_us"] <= v["p99_us"] && v["p99_us"] <= v["max_us"]) ? 0 : 1 }')
ok "$good" "rtt: round trips counted, p50 <= p99 <= max ($out)"

good=0
for m in overwrite append fallocate; do
    out=$("$P" fsync "$T" 0.2 128 "$m") || good=1
    [ "$(kv "$out" n)" -gt 0 ] 2>/dev/null || good=1
done
ok "$good" "fsync: all three modes flush at least once"
ok "$([ ! -e "$T/bench-probe-fsync.dat" ] && echo 0 || echo 1)" "fsync: its file is removed"

"$P" fsync "$T" 0.2 128 bogus >/dev/null 2>&1
ok "$([ $? = 2 ] && echo 0 || echo 1)" "fsync: an unknown mode is a usage error"
