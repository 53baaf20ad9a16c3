#!/bin/bash
# Build rmq and run every test suite: unit and integration tests (make check),
# the same again under AddressSanitizer + UndefinedBehaviorSanitizer, the
# libFuzzer target, make distcheck, and the system and fault-injection (chaos)
# tests when run as root.
# Ends with one line "N passed, N failed, N skipped" and a non-zero status on
# any failure. Skipped: tests that reported SKIP (automake SKIP results, TAP
# "# SKIP") and steps left out (RMQ_SKIP, the system test without root).
#
# Environment: FUZZ_SECONDS (default 60), RMQ_SKIP="asan fuzz distcheck interop console system chaos"
# (space-separated steps to leave out while iterating; CI leaves out nothing).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc)
skip=" ${RMQ_SKIP:-} "
# --- counting: from here to "end of counting", tests/test-summary.sh runs it on samples
passed=0
failed=0
skipped=0
failures=()
skips=()

note() { printf '\n=== %s\n' "$*"; }

# Add the PASS/FAIL counts of an automake test-suite.log to the totals.
count_suite() {
    local log=$1 step=$2 p f s
    if [ ! -f "$log" ]; then
        failed=$((failed + 1)); failures+=("$step (no test-suite.log)"); return
    fi
    p=$(sed -n 's/^# PASS: *//p' "$log" | head -n1)
    s=$(sed -n 's/^# SKIP: *//p' "$log" | head -n1)
    skipped=$((skipped + ${s:-0}))
    f=$(( $(sed -n 's/^# FAIL: *//p' "$log" | head -n1) + $(sed -n 's/^# ERROR: *//p' "$log" | head -n1) + $(sed -n 's/^# XPASS: *//p' "$log" | head -n1) ))
    passed=$((passed + ${p:-0}))
    failed=$((failed + f))
    [ "$f" -gt 0 ] && failures+=("$step: $f failing")
}

# Add the results of a TAP stream (ok / not ok lines; "ok ... # SKIP" is skipped).
count_tap() {
    local out=$1 step=$2 rc=$3 p f s
    p=$(grep -E '^ok ' "$out" | grep -vic '# SKIP')
    s=$(grep -E '^ok ' "$out" | grep -ic '# SKIP')
    skipped=$((skipped + s))
    f=$(grep -cE '^not ok ' "$out")
    passed=$((passed + p))
    failed=$((failed + f))
    [ "$f" -gt 0 ] && failures+=("$step: $f failing")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        failed=$((failed + 1)); failures+=("$step: exit status $rc")
    fi
}

step_result() {
    local name=$1 rc=$2
    if [ "$rc" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
}

# A step left out counts as one skipped.
skip_step() { skipped=$((skipped + 1)); skips+=("$1"); }
wants() { case "$skip" in *" $1 "*) skip_step "$1 (RMQ_SKIP)"; return 1 ;; *) return 0 ;; esac; }
summary_line() { echo "$passed passed, $failed failed, $skipped skipped"; }
# --- end of counting

note "dependencies"
scripts/install-deps.sh all || { echo "cannot install dependencies"; exit 1; }

note "build (-Werror)"
if ! scripts/build.sh "$top/_build" --enable-werror; then
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi

note "make check"
make -C _build -j"$jobs" check >_build/check.out 2>&1
rc=$?
grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP):' _build/check.out | grep -v '^PASS' || true
[ $rc -ne 0 ] && { tail -n 60 _build/check.out; find _build -name '*.log' -newer _build/check.out -exec grep -l -E '^(not ok|FAIL)' {} + 2>/dev/null | head; }
count_suite _build/test-suite.log "make check"
grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' _build/test-suite.log 2>/dev/null

if wants asan; then
    note "make check under AddressSanitizer + UndefinedBehaviorSanitizer"
    san="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
    if scripts/build.sh "$top/_build-asan" --enable-werror CFLAGS="$san" LDFLAGS="-fsanitize=address,undefined"; then
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
            make -C _build-asan -j"$jobs" check >_build-asan/check.out 2>&1
        rc=$?
        grep -E '^(FAIL|ERROR|XPASS):' _build-asan/check.out || true
        [ $rc -ne 0 ] && tail -n 60 _build-asan/check.out
        count_suite _build-asan/test-suite.log "asan make check"
        grep -E '^# (TOTAL|PASS|FAIL|ERROR):' _build-asan/test-suite.log 2>/dev/null
    else
        step_result "asan build" 1
    fi
fi

if wants fuzz; then
    note "libFuzzer: frame and header decoder for ${FUZZ_SECONDS:-60} s"
    make -C _build fuzz-codec FUZZ_SECONDS="${FUZZ_SECONDS:-60}" >_build/fuzz.out 2>&1
    rc=$?
    tail -n 5 _build/fuzz.out
    step_result "fuzz-codec" $rc
fi

if wants distcheck; then
    note "make distcheck"
    make -C _build distcheck >_build/distcheck.out 2>&1
    rc=$?
    [ $rc -ne 0 ] && tail -n 40 _build/distcheck.out || tail -n 4 _build/distcheck.out
    step_result "distcheck" $rc
fi

if wants interop && [ -x tests/interop/run.sh ]; then
    note "interop: the npm client ali-ons against rmq-namesrv and rmq-broker"
    tests/interop/run.sh --require-broker "$top/_build" 2>&1 | tee _build/interop.out
    count_tap _build/interop.out "interop" "${PIPESTATUS[0]}"
fi

if wants console && [ -x tests/console/run.sh ]; then
    note "console: API, /metrics and browser tests (headless Chromium) against real daemons"
    RMQ_CONSOLE_BROWSER_ONLY=1 tests/console/run.sh "$top/_build" 2>&1 | tee _build/console.out
    count_tap _build/console.out "console" "${PIPESTATUS[0]}"
fi

if wants system && [ -x tests/system/run.sh ]; then
    note "system test (packages under systemd in a container)"
    if [ "$(id -u)" -eq 0 ]; then
        RMQ_BUILDDIR="$top/_build" tests/system/run.sh 2>&1 | tee _build/system.out
        rc=${PIPESTATUS[0]}
        count_tap _build/system.out "system test" "$rc"
    else
        echo "skipped: the system test needs root (debootstrap, systemd-nspawn)"
        skip_step "system (needs root)"
    fi
fi

if wants chaos && [ -x tests/chaos/run.sh ]; then
    note "chaos: faults injected into the reference cluster in network namespaces"
    # about 3 minutes, then once more under the ASan build (one round of each
    # fault); run.sh prints "1..0 # SKIP <reason>" when not root or without
    # ip netns
    chaos_run() {
        local out=$1 step=$2
        shift 2
        env "$@" tests/chaos/run.sh 2>&1 | tee "$out"
        local rc=${PIPESTATUS[0]} why
        why=$(sed -n 's/^1\.\.0 # SKIP //p' "$out")
        if [ -n "$why" ]; then skip_step "$step ($why)"; else count_tap "$out" "$step" "$rc"; fi
    }
    chaos_run _build/chaos.out chaos RMQ_BUILDDIR="$top/_build"
    case "$skip" in
        *" asan "*) ;;
        *) [ -x _build-asan/tests/chaos/chaos-client ] &&
            chaos_run _build-asan/chaos.out "chaos (asan)" ASAN_OPTIONS=detect_leaks=1 \
                UBSAN_OPTIONS=print_stacktrace=1 RMQ_CHAOS_ROUNDS=1 RMQ_BUILDDIR="$top/_build-asan" ;;
    esac
fi

note "summary"
for f in "${skips[@]}"; do echo "skipped: $f"; done
for f in "${failures[@]}"; do echo "failed: $f"; done
summary_line
[ "$failed" -eq 0 ]
