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

broker="$build/src/broker/rmq-broker"
if [ -x "$broker" ]; then
    echo "== starting rmq-broker broker-a (127.0.0.1:10911)"
    "$broker" --instance=broker-a --config="$demo/broker-a.conf" &
    pids+=($!)
    wait_port 127.0.0.1 10911 10 || { echo "rmq-broker did not start listening on 10911"; exit 1; }
    sleep 1
    echo "== cluster as the name server sees it"
    "$build/src/tools/rmq-call" 127.0.0.1:9876 GET_BROKER_CLUSTER_INFO
    if [ -x "$build/src/tools/rmqadmin" ]; then
        echo "== a message going through"
        "$build/src/tools/rmqadmin" -n 127.0.0.1:9876 sendMessage -t DemoTopic -p "hello from rmq"
        "$build/src/tools/rmqadmin" -n 127.0.0.1:9876 consumeMessage -t DemoTopic -c 1
    else
        echo "== rmqadmin is not written yet: no message can be sent from this demo."
    fi
else
    echo "== the name server answers:"
    "$build/src/tools/rmq-call" 127.0.0.1:9876 GET_BROKER_CLUSTER_INFO
    "$build/src/tools/rmq-call" 127.0.0.1:9876 GET_ROUTEINFO_BY_TOPIC topic=DemoTopic || true
    cat <<'MSG'

== NOT THERE YET: rmq-broker does not exist in this version, so no message can
   go through. What runs today is the name server above (RocketMQ clients can
   already fetch routes from it) and the store library with its tests
   (scripts/test.sh). The broker is the next milestone.
MSG
fi

if [ -t 0 ]; then
    echo "== daemons running; Ctrl-C stops them"
    wait
fi
