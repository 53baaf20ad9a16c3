# Shared by the bench scripts (sourced): the config files of a private name
# server and broker on loopback.
#
# bench_write_configs DIR NSPORT BPORT FLUSHDISKTYPE CLUSTER BROKERNAME
# writes DIR/namesrv.conf and DIR/broker.conf (store under DIR/store).
bench_write_configs() {
    local dir=$1 nsport=$2 bport=$3 flush=$4 cluster=$5 broker=$6
    mkdir -p "$dir/store"
    cat >"$dir/namesrv.conf" <<EOF
listenPort = $nsport;
bindAddress = "127.0.0.1";
kvConfigPath = "$dir/kv.json";
EOF
    cat >"$dir/broker.conf" <<EOF
brokerClusterName = "$cluster";
brokerName = "$broker";
brokerId = 0;
brokerRole = "ASYNC_MASTER";
flushDiskType = "$flush";
bindAddress = "127.0.0.1";
brokerIP1 = "127.0.0.1";
listenPort = $bport;
haListenPort = $((bport + 1));
namesrvAddr = "127.0.0.1:$nsport";
storePathRootDir = "$dir/store";
autoCreateTopicEnable = true;
autoCreateSubscriptionGroup = true;
EOF
}
