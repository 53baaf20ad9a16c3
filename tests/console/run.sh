#!/bin/sh
# rmq-console end to end: builds the daemons, the tool and the tests, runs the
# unit tests, the API + /metrics tests (they start their own daemons), then
# starts rmq-namesrv, rmq-broker and rmq-console on free loopback ports and
# drives the pages in headless Chromium (Playwright). Prints one TAP stream;
# exits non-zero on any failure. Installs chromium (apt) and playwright-core
# (npm, pinned in browser/package-lock.json) and a CJK font (fonts-wqy-microhei,
# for the Chinese screenshots) when they are missing.
#
#   tests/console/run.sh [BUILD_DIR]     (default: $RMQ_BUILDDIR or _build-console)
#   RMQ_CONSOLE_BROWSER_ONLY=1: leave out the C tests that make check runs
set -u

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-${RMQ_BUILDDIR:-$SRC/_build-console}}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
n=0
failed=0

bail() { echo "Bail out! $*"; exit 1; }

# Renumber a sub-run's TAP lines into this stream; details become comments.
relay() {
    while IFS= read -r line; do
        case $line in
        "ok "*) n=$((n + 1)); echo "ok $n -${line#*-}" ;;
        "not ok "*) n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n -${line#*-}" ;;
        1..*|TAP*) ;;
        "#"*) echo "$line" ;;
        *) echo "# $line" ;;
        esac
    done
}

step() { # name, exit status of something already run
    n=$((n + 1))
    if [ "$2" -eq 0 ]; then echo "ok $n - $1"; else failed=$((failed + 1)); echo "not ok $n - $1"; fi
}

# ---- build
if [ ! -f "$BUILD/Makefile" ]; then
    (cd "$SRC" && { test -x configure || autoreconf -fi; }) >/dev/null 2>&1 || bail "autoreconf failed"
    mkdir -p "$BUILD" && (cd "$BUILD" && "$SRC/configure" --enable-werror -q) >/dev/null 2>&1 \
        || bail "configure failed"
fi
(cd "$BUILD" && make -j2 src/namesrv/rmq-namesrv src/broker/rmq-broker src/console/rmq-console \
    src/tools/rmqadmin tests/console/test-console-units tests/console/test-console-api \
    tests/console/console-helper) \
    > "$BUILD/console-build.log" 2>&1 || { tail -30 "$BUILD/console-build.log" | sed 's/^/# /'; bail "build failed"; }
BUILD=$(cd "$BUILD" && pwd) # the browser tests run in another directory
SHOTS=$BUILD/tests/console/screenshots

# ---- browser and node dependencies
if [ ! -x "$CHROMIUM" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || bail "cannot install chromium"
fi
# the Chinese pages' screenshots need a CJK font (else every glyph is a box)
if ! fc-list 2>/dev/null | grep -qi 'wqy\|cjk'; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-wqy-microhei >/dev/null 2>&1 || bail "cannot install a CJK font"
fi
command -v node >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null 2>&1
command -v node >/dev/null 2>&1 || bail "node is missing"
if [ ! -d "$SRC/tests/console/browser/node_modules/playwright-core" ]; then
    (cd "$SRC/tests/console/browser" && npm ci --no-audit --no-fund) >/dev/null 2>&1 || bail "npm ci failed"
fi

# ---- unit, API and /metrics tests (C, TAP from cmocka); make check runs them
# too, so scripts/test.sh sets RMQ_CONSOLE_BROWSER_ONLY=1 to count them once.
export CMOCKA_MESSAGE_OUTPUT=TAP RMQ_BUILDDIR="$BUILD" RMQ_SRCDIR="$SRC" RMQ_TEST_DATA="$SRC/tests/data"
c_tests="test-console-units test-console-api"
[ "${RMQ_CONSOLE_BROWSER_ONLY:-0}" = 1 ] && c_tests=
for t in $c_tests; do
    out=$(timeout 180 "$BUILD/tests/console/$t" 2>&1); rc=$?
    before=$failed
    tmp=$(mktemp); printf '%s\n' "$out" > "$tmp"
    relay < "$tmp"; rm -f "$tmp"
    # a crash or a hang leaves no "not ok" line: count it here
    if [ $rc -ne 0 ] && [ $failed -eq $before ]; then step "$t exited with $rc" 1; fi
done

# ---- a cluster for the browser
WORK=$(mktemp -d /tmp/rmq-console-e2e-XXXXXX)
PIDS=""
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ -n "${RMQ_KEEP_TEST_DIRS:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

free_port() { # a loopback port with port-2 and port+1 free too (broker VIP and HA)
    node -e '
const net = require("net");
const tryPort = p => new Promise(r => { const s = net.createServer(); s.once("error", () => r(false));
  s.listen(p, "127.0.0.1", () => s.close(() => r(true))); });
(async () => { for (;;) { const s = net.createServer(); await new Promise(r => s.listen(0, "127.0.0.1", r));
  const p = s.address().port; await new Promise(r => s.close(r));
  if (p > 1030 && await tryPort(p - 2) && await tryPort(p + 1)) { console.log(p); return; } } })();'
}

wait_port() { # port, seconds
    i=0
    while [ $i -lt $(($2 * 10)) ]; do
        node -e 'const s=require("net").connect(+process.argv[1],"127.0.0.1",()=>process.exit(0));s.on("error",()=>process.exit(1))' "$1" && return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}

NSP=$(free_port); BRP=$(free_port); CP=$(free_port); CP2=$(free_port)
cat > "$WORK/ns.conf" <<EOF
listenPort = $NSP;
bindAddress = "127.0.0.1";
kvConfigPath = "$WORK/kv.json";
EOF
cat > "$WORK/broker.conf" <<EOF
listenPort = $BRP;
bindAddress = "127.0.0.1";
brokerIP1 = "127.0.0.1";
brokerName = "broker-a";
namesrvAddr = "127.0.0.1:$NSP";
storePathRootDir = "$WORK/store";
mappedFileSizeCommitLog = 8388608;
mappedFileSizeConsumeQueue = 120000;
maxIndexNum = 40000;
maxHashSlotNum = 10000;
traceTopicEnable = true;
EOF
cat > "$WORK/console.conf" <<EOF
namesrvAddr = "127.0.0.1:$NSP";
consoleListenPort = $CP;
EOF
# a second console with accounts: an admin and a viewer (the password made here)
VIEWER_PASS=pw-$$-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
VHASH=$(openssl passwd -6 "$VIEWER_PASS") || bail "openssl passwd failed"
cat > "$WORK/console2.conf" <<EOF
namesrvAddr = "127.0.0.1:$NSP";
consoleListenPort = $CP2;
consoleAccounts = ["boss:admin:$VHASH", "watcher:viewer:$VHASH"];
EOF
mkdir -p "$WORK/state"
unset NOTIFY_SOCKET WATCHDOG_USEC STATE_DIRECTORY NAMESRV_ADDR
"$BUILD/src/namesrv/rmq-namesrv" --config "$WORK/ns.conf" 2> "$WORK/ns.log" & PIDS="$PIDS $!"
wait_port "$NSP" 10 || bail "rmq-namesrv did not start: $(tail -3 "$WORK/ns.log")"
"$BUILD/src/broker/rmq-broker" --config "$WORK/broker.conf" 2> "$WORK/broker.log" & PIDS="$PIDS $!"
wait_port "$BRP" 20 || bail "rmq-broker did not start: $(tail -3 "$WORK/broker.log")"
STATE_DIRECTORY="$WORK/state" RMQ_CONSOLE_SAMPLE_MS=1000 "$BUILD/src/console/rmq-console" --config "$WORK/console.conf" 2> "$WORK/console.log" & PIDS="$PIDS $!"
wait_port "$CP" 10 || bail "rmq-console did not start: $(tail -3 "$WORK/console.log")"
"$BUILD/src/console/rmq-console" --config "$WORK/console2.conf" 2> "$WORK/console2.log" & PIDS="$PIDS $!"
wait_port "$CP2" 10 || bail "the second rmq-console did not start: $(tail -3 "$WORK/console2.log")"
# the broker registers with the name server right after it listens
i=0
until "$BUILD/src/tools/rmqadmin" clusterList -n "127.0.0.1:$NSP" 2>/dev/null | grep -q broker-a; do
    i=$((i + 1)); [ $i -gt 100 ] && bail "broker did not register"; sleep 0.1
done

# ---- browser tests
rm -rf "$SHOTS"; mkdir -p "$SHOTS"
tmp=$(mktemp)
(cd "$SRC/tests/console/browser" && CONSOLE_URL="http://127.0.0.1:$CP" NAMESRV_ADDR="127.0.0.1:$NSP" \
    ACCOUNTS_URL="http://127.0.0.1:$CP2" ACCOUNTS_PASSWORD="$VIEWER_PASS" ACCOUNTS_LOG="$WORK/console2.log" \
    RMQADMIN="$BUILD/src/tools/rmqadmin" BROKER="$BUILD/src/broker/rmq-broker" HELPER="$BUILD/tests/console/console-helper" SCREENSHOT_DIR="$SHOTS" CHROMIUM="$CHROMIUM" \
    timeout 300 node console.test.mjs) > "$tmp" 2>&1
rc=$?
before=$failed
relay < "$tmp"; rm -f "$tmp"
if [ $rc -ne 0 ] && [ $failed -eq $before ]; then step "browser tests exited with $rc" 1; fi
echo "# screenshots in $SHOTS"

echo "1..$n"
[ $failed -eq 0 ]
