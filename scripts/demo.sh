#!/bin/bash
# The quick-start demo: build rmq, start a name server and a broker on
# loopback with the single-node sample configs (etc/rocketmq/namesrv-1.conf
# and broker.conf), and show a message going through. Daemons run in the
# foreground of this script and log to this terminal; Ctrl-C stops them
# (the broker first, so it unregisters from a name server still running).
# Without a terminal it stops after the demo.
#
# State goes to _demo/ in the checkout (under systemd it would be the units'
# StateDirectory, /var/lib/rocketmq).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
demo="$top/_demo"
build="$top/_build"
pids=()

# Stop in the reverse order of the start: the broker, once it has
# unregistered, then the name server. (The daemons run under setsid, so the
# terminal's Ctrl-C reaches only this script, not both daemons at once.)
cleanup() {
    local i
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill -TERM "${pids[i]}" 2>/dev/null || true
        wait "${pids[i]}" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_port() { # host port seconds
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

scripts/install-deps.sh build
scripts/build.sh "$build"

# Demo configs: the samples, bound to loopback, with state under _demo/.
rm -rf "$demo"
mkdir -p "$demo"
{
    cat etc/rocketmq/namesrv-1.conf
    echo 'bindAddress = "127.0.0.1";'
    echo "kvConfigPath = \"$demo/namesrv-1/kvConfig.json\";"
} >"$demo/namesrv-1.conf"
{
    cat etc/rocketmq/broker.conf
    echo 'bindAddress = "127.0.0.1";'    # also the address it advertises
    echo "storePathRootDir = \"$demo/broker\";"
} >"$demo/broker.conf"

echo "== starting rmq-namesrv (127.0.0.1:9876)"
setsid "$build/src/namesrv/rmq-namesrv" --instance=1 --config="$demo/namesrv-1.conf" &
pids+=($!)
wait_port 127.0.0.1 9876 5 || { echo "rmq-namesrv did not start listening on 9876"; exit 1; }

echo "== starting rmq-broker broker-a (127.0.0.1:10911)"
setsid "$build/src/broker/rmq-broker" --instance=broker --config="$demo/broker.conf" &
pids+=($!)
wait_port 127.0.0.1 10911 10 || { echo "rmq-broker did not start listening on 10911"; exit 1; }

admin="$build/src/tools/rmqadmin"
export NAMESRV_ADDR=127.0.0.1:9876
echo "== the cluster, as the name server sees it"
"$admin" clusterList
echo "== create a topic, send a message with a tag and a key"
"$admin" updateTopic -c DefaultCluster -t DemoTopic -r 4 -w 4
sent=$("$admin" sendMessage -t DemoTopic -c TagA -k order-42 -p "hello from rmq")
echo "$sent"
msg_id=$(awk 'NR == 2 { print $4 }' <<<"$sent")
echo "== read it back: by key, by its MsgId, then by consuming the topic"
"$admin" queryMsgByKey -t DemoTopic -k order-42
"$admin" queryMsgById -t DemoTopic -i "$msg_id" | sed -n 1,4p
"$admin" consumeMessage -t DemoTopic -c 1
echo
echo "== a message went through: producer -> broker -> commit log -> consumer."
echo "   Any RocketMQ 4.x client can use these daemons at name server 127.0.0.1:9876."
if [ -t 0 ]; then where=", in another terminal while the daemons run"; else where=""; fi
cat <<EOF

== where things are
   programs  $build/src/namesrv/rmq-namesrv
             $build/src/broker/rmq-broker
             $build/src/tools/rmqadmin, $build/src/tools/rmq-bench
             $build/src/console/rmq-console
   configs   $demo/namesrv-1.conf, $demo/broker.conf
             (etc/rocketmq's samples, bound to loopback, state under _demo/)
   state     $demo/broker (commit log, consume queues, index), $demo/namesrv-1

== try next$where
   export NAMESRV_ADDR=127.0.0.1:9876 PATH="$build/src/tools:\$PATH"
   rmqadmin clusterList; rmqadmin topicStatus -t DemoTopic; rmqadmin --help
   rmq-bench producer -t DemoTopic -s 128 -w 4 -d 10   # load, with latency percentiles
   $build/src/console/rmq-console --config=etc/rocketmq/console.conf
                                                        # the web console, http://127.0.0.1:8080
   README.md, "Running the daemons by hand": the same without this script
   scripts/test.sh: every test suite
EOF

if [ -t 0 ]; then
    echo "== daemons running; Ctrl-C stops them (the broker first)"
    wait
fi
