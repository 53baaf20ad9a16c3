#!/bin/bash
# Interop tests of the rmq daemons with an independent client, the npm
# package ali-ons (pure JavaScript RocketMQ 4.x client, pinned in
# package.json / package-lock.json).
#
#   tests/interop/run.sh [--require-broker | --mock-broker] [BUILDDIR]
#
# BUILDDIR (default $RMQ_BUILDDIR, else /work/main/_build) must hold
# src/namesrv/rmq-namesrv and src/tools/rmq-call; src/broker/rmq-broker too,
# or the broker tests are reported as skipped, unless --require-broker is
# given (then a missing broker is a failure). Starts a name server and a broker on free
# loopback ports with a store in a temporary directory, runs every
# tests/*.test.js (node's test runner), stops the daemons and prints one TAP
# stream and "N passed, N failed, N skipped". Exit 0 when nothing failed,
# 1 when a test failed, 99 when the run could not be set up.
#
# --mock-broker runs the tests against mock/mock-broker.js instead of
# rmq-broker: a check of the tests themselves, not of rmq (with MOCK_FAULT=x
# the mock misbehaves in one way, and some test must then fail).
#
# RMQ_INTEROP_KEEP=1 keeps the run directory (configs, logs, store, client
# logs); RMQ_INTEROP_VERBOSE=1 starts the daemons with --verbose.
# RMQ_INTEROP_TESTS="a b" runs only tests/a.test.js and tests/b.test.js.
# RMQ_INTEROP_TRACE=1 logs every frame ali-ons sends and receives (client-*.log).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)

require_broker=0
RMQ_INTEROP_MOCK_BROKER=0
case ${1:-} in
--require-broker) require_broker=1; shift ;;
--mock-broker) RMQ_INTEROP_MOCK_BROKER=1; shift ;;
esac
export RMQ_INTEROP_MOCK_BROKER
build=${1:-${RMQ_BUILDDIR:-/work/main/_build}}
build=$(cd "$build" 2>/dev/null && pwd) || { echo "run.sh: no build directory $1" >&2; exit 99; }

# node and npm: Node 18+ has the test runner; install Debian's if missing.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "# node/npm missing: installing Debian's nodejs and npm"
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    fi || { echo "run.sh: cannot install nodejs/npm" >&2; exit 99; }
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
    echo "run.sh: node $(node --version) is too old (the tests need 18 or later)" >&2
    exit 99
fi
echo "# node $(node --version), npm $(npm --version)"

# The client library: reinstall when node_modules is missing or older than
# the lock file (npm ci reproduces the lock file exactly).
if [ ! -f "$here/node_modules/.package-lock.json" ] ||
    [ ! -d "$here/node_modules/ali-ons" ] ||
    [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ] ||
    [ "$here/package.json" -nt "$here/node_modules/.package-lock.json" ]; then
    echo "# installing ali-ons with npm"
    if [ -f "$here/package-lock.json" ]; then
        (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >&2
    else
        (cd "$here" && npm install --no-audit --no-fund --loglevel=error) >&2
    fi || { echo "run.sh: npm could not install the test dependencies" >&2; exit 99; }
fi
echo "# ali-ons $(node -p "require('$here/node_modules/ali-ons/package.json').version")"

for f in src/namesrv/rmq-namesrv src/tools/rmq-call; do
    [ -x "$build/$f" ] || { echo "run.sh: $build/$f is missing (make $f)" >&2; exit 99; }
done
have_broker=0
if [ "$RMQ_INTEROP_MOCK_BROKER" = 1 ]; then
    have_broker=1
    echo "# MOCK BROKER: checking the tests themselves, not rmq-broker${MOCK_FAULT:+ (fault: $MOCK_FAULT)}"
elif [ -x "$build/src/broker/rmq-broker" ]; then
    have_broker=1
elif [ "$require_broker" = 1 ]; then
    echo "run.sh: $build/src/broker/rmq-broker is missing" >&2
    exit 1
else
    echo "# $build/src/broker/rmq-broker is missing: broker tests will be skipped"
fi

run=$(mktemp -d "${TMPDIR:-/tmp}/rmq-interop.XXXXXX")
daemons="$here/daemons.sh"
failed_setup=0
cleanup() {
    "$daemons" stop-all "$run" || echo "# a daemon had to be killed (see $run)"
    if [ "${RMQ_INTEROP_KEEP:-0}" = 1 ] || [ "$failed_setup" = 1 ]; then
        echo "# run directory kept: $run"
    else
        rm -rf "$run"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bail() { echo "Bail out! $*"; failed_setup=1; exit 99; }
"$daemons" setup "$run" "$build" || bail "cannot set up the run directory"
# shellcheck disable=SC1091
. "$run/env.sh"
"$daemons" start-namesrv "$run" || bail "rmq-namesrv did not start (see $run/namesrv.log)"
if [ "$have_broker" = 1 ]; then
    "$daemons" start-broker "$run" || {
        tail -n 30 "$run/broker.log" | sed 's/^/# broker.log: /'
        bail "rmq-broker did not start (see $run/broker.log)"
    }
fi
echo "# namesrv $RMQ_INTEROP_NAMESRV, broker $RMQ_INTEROP_BROKER (started: $have_broker), run dir $run"

export RMQ_INTEROP_DIR RMQ_INTEROP_NAMESRV RMQ_INTEROP_BROKER RMQ_INTEROP_BROKER_NAME \
    RMQ_INTEROP_BROKER2 RMQ_INTEROP_BROKER2_NAME \
    RMQ_INTEROP_CLUSTER RMQ_INTEROP_RMQ_CALL RMQ_INTEROP_DELAY_LEVELS
export RMQ_INTEROP_HAVE_BROKER=$have_broker
export RMQ_INTEROP_CTL="$daemons"

# One node process per test file, one after another: the restart tests stop
# the broker, which must not hit another file's clients. Each file's own TAP
# goes out as comments ("# | "); its top-level results are renumbered into
# one TAP stream (one plan at the end), so automake's TAP driver can run this.
tests=()
if [ -n "${RMQ_INTEROP_TESTS:-}" ]; then
    for t in $RMQ_INTEROP_TESTS; do tests+=("$here/tests/$t.test.js"); done
else
    tests=("$here"/tests/*.test.js)
fi
n=0 pass=0 fail=0 skip=0
for t in "${tests[@]}"; do
    name=$(basename "$t" .test.js)
    echo "# ---- $name"
    out="$run/$name.tap"
    timeout --signal=TERM --kill-after=10 "${RMQ_INTEROP_FILE_TIMEOUT:-240}" \
        node --test-reporter=tap --test "$t" >"$out" 2>"$run/$name.stderr"
    rc=$?
    sed 's/^/# | /' "$out"
    results=0 failed_here=0
    while IFS= read -r line; do
        if [[ $line =~ ^(not\ ok|ok)\ [0-9]+\ -\ (.*)$ ]]; then
            n=$((n + 1)) results=$((results + 1))
            verdict=${BASH_REMATCH[1]} rest=${BASH_REMATCH[2]}
            echo "$verdict $n - $name: $rest"
            if [ "$verdict" = "not ok" ]; then
                fail=$((fail + 1)) failed_here=1
            elif [[ $rest =~ \#\ (SKIP|skip) ]]; then
                skip=$((skip + 1))
            else
                pass=$((pass + 1))
            fi
        fi
    done <"$out"
    if [ "$rc" != 0 ] && [ "$failed_here" = 0 ]; then
        # No failing test reported, yet node failed: a crash or a timeout.
        n=$((n + 1)) fail=$((fail + 1))
        echo "not ok $n - $name: node exited with status $rc after $results results (stderr: $run/$name.stderr)"
    fi
    if [ "$rc" != 0 ]; then
        sed 's/^/# stderr: /' "$run/$name.stderr" | tail -n 40
        for log in "$run"/client-"$name"*.log; do
            [ -f "$log" ] && grep -E ' (WARN|ERROR) ' "$log" | tail -n 8 | sed "s|^|# $(basename "$log"): |"
        done
    fi
done

# Daemons built with sanitizers report to their logs: any report is a failure
# (the daemons are stopped first so that leak reports are written).
"$daemons" stop-all "$run" || echo "# a daemon had to be killed (see $run)"
for log in "$run"/namesrv.log "$run"/broker.log "$run"/broker-b.log; do
    [ -f "$log" ] || continue
    n=$((n + 1))
    if grep -qE 'ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:' "$log"; then
        fail=$((fail + 1))
        echo "not ok $n - $(basename "$log" .log): sanitizer report in $log"
        grep -E -A12 'ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:' "$log" | head -n 40 | sed 's/^/# /'
    else
        pass=$((pass + 1))
        echo "ok $n - $(basename "$log" .log): no sanitizer report in its log"
    fi
done
echo "1..$n"

if [ "$fail" != 0 ] && [ "$have_broker" = 1 ]; then
    echo "# broker log tail ($run/broker.log):"
    tail -n 30 "$run/broker.log" | sed 's/^/#   /'
    RMQ_INTEROP_KEEP=1
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ] || exit 1
exit 0
