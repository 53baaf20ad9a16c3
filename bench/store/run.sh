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

DD1=$(dd_mbps 2048)
A128=$("$B" --dir "$DIR" append --body 128 --bytes 1073741824)
A1K=$("$B" --dir "$DIR" append --body 1024 --bytes 2147483648)
DD2=$(dd_mbps 2048)
echo "# dd: $DD1 / $DD2 MB/s; $A128; $A1K" >&2
DD=$(( (DD1 + DD2) / 2 ))
row "ASYNC_FLUSH append, 128 B body (UNIQ_KEY indexed), 1 GiB: $(field "$A128" msgs_per_s) msgs/s, $(field "$A128" durable_MBps) MB/s to disk" \
    "dd bs=1M count=2048 conv=fdatasync: $DD1 / $DD2 MB/s (before/after)" \
    "$(ratio "$(field "$A128" msgs_per_s)" 1000000) of the 1,000,000 msgs/s aim ($(ratio "$(field "$A128" durable_MBps)" "$DD") of dd bandwidth)"
row "ASYNC_FLUSH append, 1 KiB body, 2 GiB: $(field "$A1K" msgs_per_s) msgs/s, $(field "$A1K" append_MBps) MB/s appended, $(field "$A1K" durable_MBps) MB/s incl. final flush" \
    "dd bs=1M count=2048 conv=fdatasync: $DD1 / $DD2 MB/s (before/after)" \
    "$(ratio "$(field "$A1K" durable_MBps)" "$DD") of dd"

for W in 1 16; do
    P1=$("$B" --dir "$DIR" probe --body 128 --seconds 3)
    S=$("$B" --dir "$DIR" sync --writers "$W" --body 128 --seconds 3)
    P2=$("$B" --dir "$DIR" probe --body 128 --seconds 3)
    echo "# $P1; $S; $P2" >&2
    PR=$(awk "BEGIN { print ($(field "$P1" fdatasyncs_per_s) + $(field "$P2" fdatasyncs_per_s)) / 2 }")
    row "SYNC_FLUSH, $W writer(s), 128 B: $(field "$S" acks_per_s) acks/s, $(field "$S" acks_per_fdatasync) acks per fdatasync" \
        "probe (128 B pwrite + fdatasync, bench-store probe): $(field "$P1" fdatasyncs_per_s) / $(field "$P2" fdatasyncs_per_s) per s (before/after)" \
        "$(ratio "$(field "$S" acks_per_s)" "$PR") of probe"
done

R=$("$B" --dir "$DIR" recover --body 1024 --bytes 2147483648)
echo "# $R" >&2
RC=$(echo "$R" | grep recover_abnormal)
OC=$(echo "$R" | grep open_clean)
row "recovery after a crash (no checkpoint, abort file; magic + CRC of every record, queues re-dispatched), 2 GiB of 1 KiB records: $(field "$RC" GBps) GB/s ($(field "$RC" seconds) s); open after clean stop: $(field "$OC" seconds) s" \
    "dd bs=1M count=2048 conv=fdatasync: $DD1 / $DD2 MB/s" "n/a"
rmdir "$DIR" 2>/dev/null || true
