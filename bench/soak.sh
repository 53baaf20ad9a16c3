#!/bin/bash
# Soak (a bench, not a test; not run in CI): the fault-injection suite's
# cluster and workload (tests/chaos/lib.sh: six daemons of etc/rocketmq in
# their own network namespaces, a producer per topic, two consumer groups)
# for a chosen time with one random fault a minute, recording every minute
# the RSS and the open descriptors of every daemon. Flat lines are the goal:
# growth within one process lifetime from minute 1 on (minute 0 is warm-up;
# a daemon killed by a fault starts over)
# is printed at the end as a suspected leak.
#
# Usage: sudo bench/soak.sh [MINUTES] [BUILDDIR]     (default 30, _build)
# Environment: RMQ_SOAK_SEED (random), RMQ_SOAK_OUT (default
# BUILDDIR/soak-<date>: usage.tsv, faults.tsv, ledgers and logs).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

minutes=${1:-30}
here=$(cd "$(dirname "$0")" && pwd)
CH_SRCDIR=$(cd "$here/.." && pwd)
CH_BUILDDIR=$(cd "${2:-$CH_SRCDIR/_build}" && pwd) || exit 2
# shellcheck source=../tests/chaos/lib.sh
. "$CH_SRCDIR/tests/chaos/lib.sh"

why=$(ch_unusable)
[ -z "$why" ] || { echo "soak: $why" >&2; exit 2; }
seed=${RMQ_SOAK_SEED:-$(( $(date +%s) % 100000 ))}
RANDOM=$seed
out=${RMQ_SOAK_OUT:-$CH_BUILDDIR/soak-$(date -u +%Y%m%dT%H%M%S)}
mkdir -p "$out"
CH_WORK=$(mktemp -d /tmp/rmq-soak.XXXXXX)

finish() {
    ch_cleanup
    (cd "$CH_WORK" && find . \( -name '*.log' -o -name 'ledger-*' \) -exec cp --parents {} "$out" \; 2>/dev/null)
    rm -rf "$CH_WORK"
    echo "soak: results in $out"
}
trap finish EXIT
trap 'exit 130' INT TERM

echo "soak: $minutes min, seed $seed, one fault a minute; output $out"
ch_net_up || exit 1
ch_cluster_up || exit 1
ch_workload_start || exit 1

faults=(kill-master kill-slave kill-namesrv stop-master part-master-slave part-broker-ns part-client-master disk-full)
printf 'minute\tnode\tpid\tvmrss_kib\trssanon_kib\tfds\tacked_total\n' > "$out/usage.tsv"
printf 'minute\tfault\ttarget\theld_s\tproblem\n' > "$out/faults.tsv"
sample() {
    local m=$1 n acked
    acked=$(ch_acked)
    for n in $CH_NODES; do
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$m" "$n" "${CH_PID[$n]:--}" $(ch_usage "$n") "$acked" >> "$out/usage.tsv"
    done
}
sample 0
start=$(date +%s)
for m in $(seq "$minutes"); do
    f=${faults[RANDOM % ${#faults[@]}]}
    case $f in
        kill-slave) t=$( [ $((RANDOM % 2)) = 0 ] && echo bas || echo bbs ) ;;
        kill-namesrv) t=$( [ $((RANDOM % 2)) = 0 ] && echo ns1 || echo ns2 ) ;;
        disk-full) t=bb ;;
        *) t=$( [ $((RANDOM % 2)) = 0 ] && echo ba || echo bb ) ;;
    esac
    hold=$((4 + RANDOM % 4))
    # the fault at a random point of the minute, the sample at its end
    sleep $((RANDOM % 20))
    ch_fault "$f" "$t" "$hold"
    printf '%s\t%s\t%s\t%s\t%s\n' "$m" "$f" "$t" "$hold" "${CH_FAULT_ERROR:--}" >> "$out/faults.tsv"
    ch_dead
    [ -n "$CH_DEAD" ] && echo "soak: minute $m: daemons died:$CH_DEAD" | tee -a "$out/faults.tsv"
    left=$(( start + m * 60 - $(date +%s) ))
    [ "$left" -gt 0 ] && sleep "$left"
    sample "$m"
    echo "soak: minute $m/$minutes: $f $t; acknowledged so far $(ch_acked)"
done

touch "$CH_WORK/stop-producers" "$CH_WORK/stop-consumers"
sleep 2
for n in bbs bas bb ba ns2 ns1; do
    ch_stop "$n" TERM
    echo "soak: $n stopped with status $CH_STATUS"
done

# Growth per daemon over the longest stretch with one pid: first and last
# sample of that pid.
echo
echo "node  pid      minutes  RssAnon KiB first -> last   fds first -> last   (VmRSS last)"
awk -F'\t' 'NR > 1 && $1 > 0 && $3 != "-" && $5 != "-" {
        k = $2 " " $3
        if (!(k in first)) { first[k] = $1; an0[k] = $5; fd0[k] = $6 }
        last[k] = $1; an1[k] = $5; fd1[k] = $6; vm1[k] = $4
    }
    END {
        for (k in first) {
            split(k, a, " ")
            if (!(a[1] in best) || last[k] - first[k] > span[a[1]]) { best[a[1]] = k; span[a[1]] = last[k] - first[k] }
        }
        for (n in best) {
            k = best[n]
            printf "%-5s %-8s %7d  %10d -> %-10d  %5d -> %-5d  (%d)%s%s\n", n, substr(k, index(k, " ") + 1), span[n],
                an0[k], an1[k], fd0[k], fd1[k], vm1[k],
                (fd1[k] > fd0[k] + 8 ? "   <- descriptors grew" : ""),
                (an1[k] > an0[k] * 2 + 4096 ? "   <- anonymous memory grew" : "")
        }
    }' "$out/usage.tsv" | sort
echo "acknowledged in total: $(ch_acked); faults: $out/faults.tsv; samples: $out/usage.tsv"
