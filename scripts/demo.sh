#!/bin/bash
# The quick-start demo: build rmq, start a name server and a broker on
# loopback with the sample configs (etc/rocketmq), and show a message going
# through. Daemons run in the foreground of this script and log to this
# terminal; Ctrl-C stops them. Without a terminal it stops after the demo.
#
# State goes to _demo/ in the checkout (sample configs point at
# /var/lib/rocketmq, which is for the packaged services).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
demo="$top/_demo"
build="$top/_build"
pids=()

cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
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
grep -v '^storePathRootDir' etc/rocketmq/broker-a.conf >"$demo/broker-a.conf"
{
    echo 'bindAddress = "127.0.0.1";'
    echo 'brokerIP1 = "127.0.0.1";'
    echo 'namesrvAddr = "127.0.0.1:9876";'
    echo "storePathRootDir = \"$demo/broker-a\";"
} >>"$demo/broker-a.conf"
sed -i '/^namesrvAddr = "127.0.0.1:9876;127.0.0.1:9875";/d' "$demo/broker-a.conf"

echo "== starting rmq-namesrv (127.0.0.1:9876)"
"$build/src/namesrv/rmq-namesrv" --instance=1 --config="$demo/namesrv-1.conf" &
pids+=($!)
wait_port 127.0.0.1 9876 5 || { echo "rmq-namesrv did not start listening on 9876"; exit 1; }

echo "== starting rmq-broker broker-a (127.0.0.1:10911)"
"$build/src/broker/rmq-broker" --instance=broker-a --config="$demo/broker-a.conf" &
pids+=($!)
wait_port 127.0.0.1 10911 10 || { echo "rmq-broker did not start listening on 10911"; exit 1; }

admin="$build/src/tools/rmqadmin"
export NAMESRV_ADDR=127.0.0.1:9876
echo "== the cluster, as the name server sees it"
"$admin" clusterList
echo "== create a topic, send a message with a tag and a key"
"$admin" updateTopic -c DubboRocketCluster -t DemoTopic -r 4 -w 4
"$admin" sendMessage -t DemoTopic -c TagA -k order-42 -p "hello from rmq"
echo "== read it back: by key, then by consuming the topic"
"$admin" queryMsgByKey -t DemoTopic -k order-42
"$admin" consumeMessage -t DemoTopic -c 1
echo
echo "== a message went through: producer -> broker -> commit log -> consumer."
echo "   Any RocketMQ 4.x client can use these daemons at name server 127.0.0.1:9876."

if [ -t 0 ]; then
    echo "== daemons running; Ctrl-C stops them"
    wait
fi
