#!/bin/sh
# Store benchmarks with the raw disk measured in the same run; prints
# bench/README.md rows (machine | date | command | result | peer | ratio).
# usage: bench/store/run.sh [BUILDDIR] [SCRATCHDIR]   (scratch on the disk under test)
set -eu
BUILD=${1:-.}
DIR=${2:-/var/tmp/rmq-bench-store}
B="$BUILD/bench/store/bench-store"
test -x "$B" || { echo "build $B first (make bench/store/bench-store)" >&2; exit 1; }
mkdir -p "$DIR"
MACHINE="$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
DATE=$(date +%Y-%m-%d)
CMD="bench/store/run.sh"
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
row() { echo "| $MACHINE | $DATE | $CMD | $1 | $2 | $3 |"; }
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }

# raw sequential write bandwidth, flushed (dd conv=fdatasync)
dd_mbps() {
    dd if=/dev/zero of="$DIR/dd.dat" bs=1M count="$1" conv=fdatasync 2>&1 |
        awk '/copied/ { for (i = 1; i <= NF; i++) if ($i == "s,") { print int($(i - 1) == 0 ? 0 : '"$1"' * 1048576 / $(i - 1) / 1e6) } }'
    rm -f "$DIR/dd.dat"
}

median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }

# three alternating rounds: the disk of a shared VM drifts a lot
DDS=""; M128=""; D1K=""; A1KS=""
for i in 1 2 3; do
    D=$(dd_mbps 2048)
    A128=$("$B" --dir "$DIR" append --body 128 --bytes 1073741824)
    A1K=$("$B" --dir "$DIR" append --body 1024 --bytes 2147483648)
    echo "# round $i: dd $D MB/s; $A128; $A1K" >&2
    DDS="$DDS $D"; M128="$M128 $(field "$A128" msgs_per_s)"; D1K="$D1K $(field "$A1K" durable_MBps)"
    A1KS="$A1KS $(field "$A1K" append_MBps)"
done
D=$(dd_mbps 2048); DDS="$DDS $D"
DDM=$(printf '%s\n' $DDS | sort -g | sed -n 2,3p | awk '{ s += $1 } END { print s / NR }')
row "ASYNC_FLUSH append, 128 B body (UNIQ_KEY + TAGS, indexed), 1 GiB, 3 runs: $(echo $M128 | tr ' ' '/') msgs/s (median $(median3 $M128))" \
    "dd bs=1M count=2048 conv=fdatasync, 4 runs interleaved: $(echo $DDS | tr ' ' '/') MB/s" \
    "$(ratio "$(median3 $M128)" 1000000) of the 1,000,000 msgs/s aim"
row "ASYNC_FLUSH append, 1 KiB body, 2 GiB, 3 runs: $(echo $D1K | tr ' ' '/') MB/s on disk incl. final flush (appended: $(echo $A1KS | tr ' ' '/') MB/s)" \
    "dd bs=1M count=2048 conv=fdatasync, 4 runs interleaved: $(echo $DDS | tr ' ' '/') MB/s (median $DDM)" \
    "$(ratio "$(median3 $D1K)" "$DDM") of dd (medians)"

# SYNC_FLUSH against the probe, alternating (probe, store) x 3 + probe:
# each store run is compared with the mean of the probes around it
for W in 1 16; do
    PS=""; SS=""; PER=""; RATIOS=""
    P=$("$B" --dir "$DIR" probe --body 128 --seconds 2); PP=$(field "$P" fdatasyncs_per_s); PS="$PP"
    for i in 1 2 3; do
        S=$("$B" --dir "$DIR" sync --writers "$W" --body 128 --seconds 2)
        P=$("$B" --dir "$DIR" probe --body 128 --seconds 2)
        echo "# W=$W round $i: $S; $P" >&2
        PN=$(field "$P" fdatasyncs_per_s)
        SS="$SS $(field "$S" acks_per_s)"; PER="$PER $(field "$S" acks_per_fdatasync)"; PS="$PS $PN"
        RATIOS="$RATIOS $(awk "BEGIN { printf \"%.2f\", $(field "$S" acks_per_s) * 2 / ($PP + $PN) }")"
        PP=$PN
    done
    row "SYNC_FLUSH, $W writer(s) (one message in flight each, acked via main-loop callback), 128 B, 3 runs: $(echo $SS | tr ' ' '/') acks/s, $(echo $PER | tr ' ' '/') acks per fdatasync" \
        "probe (128 B pwrite + fdatasync on a written file, bench-store probe), 4 runs interleaved: $(echo $PS | tr ' ' '/') per s" \
        "$(echo $RATIOS | tr ' ' '/') of the surrounding probes (median $(median3 $RATIOS))"
done

R=$("$B" --dir "$DIR" recover --body 1024 --bytes 2147483648)
echo "# $R" >&2
RC=$(echo "$R" | grep recover_abnormal)
OC=$(echo "$R" | grep open_clean)
row "recovery after a crash (no checkpoint, abort file; magic + CRC of every record, queues re-dispatched), 2 GiB of 1 KiB records: $(field "$RC" GBps) GB/s ($(field "$RC" seconds) s); open after clean stop: $(field "$OC" seconds) s" \
    "none (page cache warm: the log was just written)" "$(ratio "$(field "$RC" GBps)" 1) of the 1 GB/s aim"
rmdir "$DIR" 2>/dev/null || true
