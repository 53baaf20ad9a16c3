#!/bin/bash
# The counting of scripts/test.sh (its closing line "N passed, N failed,
# N skipped"), run on sample automake and TAP outputs. TAP on stdout.
set -u
src=${RMQ_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The counting section of the script, as it is.
sed -n '/^# --- counting/,/^# --- end of counting/p' "$src/scripts/test.sh" >"$work/counting.sh"
n=0
fails=0
check() { # name expected actual
    n=$((n + 1))
    if [ "$2" = "$3" ]; then echo "ok $n - $1"; else
        echo "not ok $n - $1"; echo "#   expected: $2"; echo "#   got:      $3"; fails=$((fails + 1)); fi
}
fresh() { skip=" ${1:-} "; source "$work/counting.sh"; }

echo "1..6"
grep -q '^summary_line()' "$work/counting.sh"
check "scripts/test.sh has a counting section with summary_line" 0 $?

# An automake test-suite.log: PASS 10, SKIP 2, FAIL 1, ERROR 1.
cat >"$work/test-suite.log" <<'LOG'
# TOTAL: 14
# PASS:  10
# SKIP:  2
# XFAIL: 0
# FAIL:  1
# XPASS: 0
# ERROR: 1
LOG
fresh
count_suite "$work/test-suite.log" "make check"
check "automake log: SKIP counted apart from PASS and FAIL" "10 passed, 2 failed, 2 skipped" "$(summary_line)"

# A TAP stream: 3 ok, of which 2 "# SKIP" (any case), 1 not ok.
printf '1..4\nok 1 - a\nok 2 - b # SKIP no chromium\nok 3 - c # skip\nnot ok 4 - d\n' >"$work/tap.out"
fresh
count_tap "$work/tap.out" "interop" 1
check "TAP: ok lines with a SKIP directive are skipped, not passed" "1 passed, 1 failed, 2 skipped" "$(summary_line)"

# Steps left out by RMQ_SKIP count as skipped; the others run.
fresh "asan fuzz"
wants asan; a=$?
wants distcheck; d=$?
check "RMQ_SKIP leaves out the named steps only" "1 0" "$a $d"
check "a step left out is one skipped" "0 passed, 0 failed, 1 skipped" "$(summary_line)"

# Everything together, closing line format.
fresh "fuzz"
count_suite "$work/test-suite.log" "make check"
count_tap "$work/tap.out" "interop" 1
step_result "distcheck" 0
wants fuzz
line=$(summary_line)
[[ $line =~ ^[0-9]+\ passed,\ [0-9]+\ failed(,\ [0-9]+\ skipped)?$ ]]
check "closing line in the allowed format ($line)" 0 $?
[ "$fails" -eq 0 ]
