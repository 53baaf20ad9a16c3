#!/bin/bash
# System test: the packages as a user meets them. Builds the .debs from the
# source tree, boots a minimal Debian 12 (bookworm) tree under systemd-nspawn,
# installs the .debs there with apt and drives the daemons through the
# container's own systemctl and journalctl. Prints TAP, one line per check.
#
# Runs as root only; otherwise (or inside a package build, or from a dist
# tarball without debian/) it prints a TAP skip and says why.
#
# Environment:
#   RMQ_SYSTEST=no          skip
#   RMQ_SYSTEST_CACHE=DIR   where the bookworm tree is cached (/var/cache/rmq-systest)
#   RMQ_SYSTEST_DEBS=DIR    use the .debs in DIR instead of building them
#   RMQ_SYSTEST_RMQ_CALL=F  with RMQ_SYSTEST_DEBS: the rmq-call probe to use
#                           (default $RMQ_BUILDDIR/src/tools/rmq-call)
#   RMQ_SYSTEST_KEEP=yes    keep the work directory (logs) even on success
#   RMQ_SYSTEST_MIRROR=URL  Debian mirror (default: read from the host's apt sources)
#   RMQ_SYSTEST_HOLD=yes    after installing, keep the container up for a shell
#   ./run.sh --prepare      only create the cached tree, run no test
# The harness is bash; automake may start it with another $(SHELL).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
set -o pipefail

suite=bookworm
cache=${RMQ_SYSTEST_CACHE:-/var/cache/rmq-systest}
here=$(cd "$(dirname "$0")" && pwd)
srcdir=${RMQ_SRCDIR:-$(cd "$here/../.." && pwd)}
# What the packages need at run time, installed when the tree is made: the
# container has no network, so apt must find every dependency already there.
# libsoup-3.0-0 (rmq-console) pulls glib-networking -> dconf, which needs a
# D-Bus session and system bus: debootstrap does not pick providers of
# virtual packages, so dbus and dbus-user-session are named.
tree_pkgs=systemd,systemd-sysv,procps,libglib2.0-0,libjson-glib-1.0-0,libconfig9,zlib1g,libsystemd0,libsoup-3.0-0,libyaml-0-2,dbus,dbus-user-session
prepare_only=no
[ "${1:-}" = "--prepare" ] && prepare_only=yes

skip_all() {
    echo "1..0 # SKIP $*"
    exit 0
}

# ---------------------------------------------------------------- preconditions
[ "${RMQ_SYSTEST:-yes}" = no ] && skip_all "RMQ_SYSTEST=no"
[ "$(id -u)" = 0 ] || skip_all "the system test needs root (debootstrap, systemd-nspawn); run it as root"
# dpkg-buildpackage exports DEB_*_ARCH, rpmbuild RPM_BUILD_ROOT; the harness
# itself sets RMQ_SYSTEST_NESTED while it builds the packages.
if [ -n "${DEB_HOST_ARCH:-}${DEB_BUILD_ARCH:-}${RPM_BUILD_ROOT:-}${RMQ_SYSTEST_NESTED:-}" ]; then
    skip_all "inside a package build"
fi
[ "$prepare_only" = yes ] || [ -d "$srcdir/debian" ] ||
    skip_all "$srcdir has no debian/ (a dist tarball?): the system test builds .debs from the git tree"

need_tools() {
    local missing=() t
    for t in debootstrap systemd-nspawn nsenter dpkg-buildpackage flock timeout; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    echo "${missing[*]}"
}
if [ -n "$(need_tools)" ]; then
    echo "# installing debootstrap systemd-container debhelper" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        debootstrap systemd-container debhelper >/dev/null 2>&1 || true
    [ -z "$(need_tools)" ] || skip_all "missing tools: $(need_tools) (apt-get install debootstrap systemd-container debhelper failed)"
fi

if [ -d /sys/fs/cgroup/systemd ]; then
    cg_roots="/sys/fs/cgroup/systemd"
    [ -d /sys/fs/cgroup/unified ] && cg_roots="$cg_roots /sys/fs/cgroup/unified"
elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    cg_roots="/sys/fs/cgroup"
else
    skip_all "no systemd-compatible cgroup hierarchy under /sys/fs/cgroup"
fi

work=$(mktemp -d /tmp/rmq-systest.XXXXXX)
machine=rmq-systest-$$
cg_name=rmq-systest-$$
nspawn_pid=
init_pid=

# --------------------------------------------------------------------- TAP
n=0
failed=0
bailed=no
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
diag() { sed 's/^/# /'; }
bail() {
    echo "Bail out! $*"
    bailed=yes
    exit 1
}
# check DESCRIPTION COMMAND...: the command's output goes to the TAP log as
# comments when it fails.
check() {
    local desc=$1
    shift
    if "$@" >"$work/check.out" 2>&1; then
        ok "$desc"
    else
        not_ok "$desc"
        diag <"$work/check.out"
    fi
}

# ------------------------------------------------------------------ mirror
# The first bookworm URI of the host's apt sources (one-line and deb822
# formats). Read at run time only: no host name is ever written to a file.
host_mirror() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk -v s="$suite" '
            /^[ \t]*deb[ \t]/ {
                i = 2
                if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                if ($(i + 1) == s) { print $i; exit }
            }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v s="$suite" '
            function flush() {
                if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " s " ") && uris != "") {
                    split(uris, u, " "); print u[1]; found = 1
                }
                types = suites = uris = ""
            }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); if (found) exit; next }
            tolower($1) == "types:" { $1 = ""; types = substr($0, 2) }
            tolower($1) == "suites:" { $1 = ""; suites = substr($0, 2) }
            tolower($1) == "uris:" { $1 = ""; uris = substr($0, 2) }
            END { if (!found) flush() }' "$f"
    done
}

# ------------------------------------------------------------------- tree
tree_key=$(printf '%s %s v1' "$suite" "$tree_pkgs" | sha256sum | cut -c1-12)
tree=$cache/$suite-$tree_key

make_tree() {
    mkdir -p "$cache"
    exec 9>"$cache/lock"
    flock 9 # one debootstrap at a time; the others wait for its tree
    if [ -f "$tree/.rmq-systest-complete" ]; then
        exec 9>&-
        return 0
    fi
    local mirror=${RMQ_SYSTEST_MIRROR:-$(host_mirror | head -n1)}
    if [ -z "$mirror" ]; then
        echo "no $suite mirror in /etc/apt/sources.list{,.d}; set RMQ_SYSTEST_MIRROR" >&2
        return 1
    fi
    local tmp="$tree.tmp"
    rm -rf "$tmp"
    echo "# debootstrap $suite (minbase + $tree_pkgs) into $tree" >&2
    if ! debootstrap --variant=minbase --include="$tree_pkgs" "$suite" "$tmp" "$mirror" \
        >"$cache/debootstrap.log" 2>&1; then
        echo "debootstrap failed, see $cache/debootstrap.log" >&2
        tail -n 20 "$cache/debootstrap.log" >&2
        return 1
    fi
    echo rmq-systest >"$tmp/etc/hostname"
    : >"$tmp/etc/machine-id"
    apt-get -o RootDir="$tmp" clean >/dev/null 2>&1 || true
    touch "$tmp/.rmq-systest-complete"
    mv "$tmp" "$tree"
    exec 9>&-
}

if [ "$prepare_only" = yes ]; then
    make_tree || exit 1
    echo "tree ready: $tree"
    exit 0
fi

# ------------------------------------------------------------- container
in_ct() {
    timeout 120 nsenter -t "$init_pid" -a \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 SYSTEMD_COLORS=0 \
        SYSTEMD_PAGER=cat DEBIAN_FRONTEND=noninteractive "$@"
}
sh_ct() { in_ct /bin/bash -c "$1"; }

find_init() {
    local p s
    for p in /proc/[0-9]*; do
        s=$(grep '^NSpid:' "$p/status" 2>/dev/null) || continue
        # NSpid: <host pid> 1  -> the init of a child PID namespace
        case "$s" in *[[:space:]]1) ;; *) continue ;; esac
        [ "$(echo "$s" | wc -w)" = 3 ] || continue
        grep -q "/$cg_name" "$p/cgroup" 2>/dev/null || continue
        echo "${p#/proc/}"
        return 0
    done
    return 1
}

boot() {
    local root
    for root in $cg_roots; do
        mkdir -p "$root/$cg_name" || return 1
    done
    # The subshell moves itself into the private cgroups, then becomes nspawn.
    (
        for root in $cg_roots; do echo "$BASHPID" >"$root/$cg_name/cgroup.procs"; done
        exec systemd-nspawn --quiet --register=no --keep-unit --volatile=overlay \
            --private-network --machine="$machine" --directory="$tree" \
            --bind-ro="$work/debs:/mnt/debs" --bind-ro="$work/tools:/mnt/tools" --boot
    ) </dev/null >"$work/console.log" 2>&1 &
    nspawn_pid=$!
    local i
    for i in $(seq 1 100); do
        init_pid=$(find_init) && break
        kill -0 "$nspawn_pid" 2>/dev/null || return 1
        sleep 0.2
    done
    [ -n "$init_pid" ] || return 1
    # running or degraded: the manager finished booting.
    local state
    for i in $(seq 1 60); do
        state=$(in_ct systemctl is-system-running 2>/dev/null)
        case "$state" in running | degraded) return 0 ;; esac
        sleep 0.5
    done
    echo "system state after 30 s: $state" >&2
    return 1
}

cleanup() {
    local rc=$? root d i
    if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
        [ -n "$init_pid" ] && in_ct systemctl poweroff --no-block >/dev/null 2>&1
        for i in $(seq 1 50); do
            kill -0 "$nspawn_pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL "$nspawn_pid" 2>/dev/null
        wait "$nspawn_pid" 2>/dev/null
    fi
    for root in $cg_roots; do
        [ -d "$root/$cg_name" ] || continue
        # Leftover processes (only after a KILL): end them, then remove the
        # cgroup directories bottom-up.
        find "$root/$cg_name" -name cgroup.procs -exec cat {} + 2>/dev/null |
            while read -r d; do kill -KILL "$d" 2>/dev/null; done
        sleep 0.2
        find "$root/$cg_name" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    if [ "$failed" = 0 ] && [ "$bailed" = no ] && [ "$rc" = 0 ] && [ "${RMQ_SYSTEST_KEEP:-no}" != yes ]; then
        rm -rf "$work"
    else
        echo "# logs kept in $work"
    fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ------------------------------------------------------------- packages
build_debs() {
    mkdir -p "$work/debs"
    if [ -n "${RMQ_SYSTEST_DEBS:-}" ]; then
        cp "$RMQ_SYSTEST_DEBS"/*.deb "$work/debs/" || return 1
        local call=${RMQ_SYSTEST_RMQ_CALL:-${RMQ_BUILDDIR:-/nonexistent}/src/tools/rmq-call}
        [ -x "$call" ] && cp "$call" "$work/tools/"
        return 0
    fi
    # A clean copy of the tree as git sees it now: tracked files plus new,
    # not-ignored ones (so uncommitted work is tested), no build directories.
    local src="$work/src/rmq"
    mkdir -p "$src"
    if git -C "$srcdir" rev-parse --git-dir >/dev/null 2>&1; then
        (cd "$srcdir" && git ls-files -z --cached --others --exclude-standard |
            while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
            tar --null -T - -cf -) | tar -C "$src" -xf - || return 1
    else
        cp -a "$srcdir/." "$src/" || return 1
    fi
    # The unit tests run in `make check` already; here only the packages matter.
    (cd "$src" && RMQ_SYSTEST_NESTED=1 DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" \
        dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 || {
        tail -n 30 "$work/build.log" >&2
        return 1
    }
    mv "$work/src"/*.deb "$work/debs/"
    # rmq-call, the developer's one-request probe (not packaged), speaks the
    # protocol for the checks that need more than an open port.
    [ -x "$src/src/tools/rmq-call" ] && cp "$src/src/tools/rmq-call" "$work/tools/"
    return 0
}

deb_of() { (cd "$work/debs" && ls "$1"_*.deb 2>/dev/null | head -n1); }

# ------------------------------------------------------------ helpers
prop() { in_ct systemctl show -P "$2" "$1"; }
cursor() { in_ct journalctl --show-cursor -n 0 -q | sed -n 's/^-- cursor: //p'; }
# /mnt/tools/journal-after CURSOR [FIELD=VALUE...] in the container prints the
# MESSAGE of each entry after CURSOR that has all the fields: journalctl 252
# returns nothing when --after-cursor is combined with field matches.
write_tools() {
    mkdir -p "$work/tools"
    cat >"$work/tools/journal-after" <<'EOS'
#!/bin/bash
c=$1
shift
journalctl -q --after-cursor="$c" -o json | awk -v conds="$*" '
    BEGIN { n = split(conds, cs, " ") }
    {
        for (i = 1; i <= n; i++) {
            eq = index(cs[i], "=")
            if (index($0, "\"" substr(cs[i], 1, eq - 1) "\":\"" substr(cs[i], eq + 1) "\"") == 0) next
        }
        if (match($0, /"MESSAGE":"([^"\\]|\\.)*"/)) print substr($0, RSTART + 11, RLENGTH - 12)
    }'
EOS
    chmod +x "$work/tools/journal-after"
    # /mnt/tools/http-get PORT PATH: an HTTP/1.0 GET on 127.0.0.1 with bash
    # alone (the minimal tree has no curl or wget).
    cat >"$work/tools/http-get" <<'EOS'
#!/bin/bash
exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$2" >&3
timeout 10 cat <&3
EOS
    chmod +x "$work/tools/http-get"
}
# wait_for SECONDS COMMAND...: poll until the command succeeds.
wait_for() {
    local t=$1 i
    shift
    for i in $(seq 1 $((t * 5))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    "$@"
}
port_open() { sh_ct "exec 3<>/dev/tcp/127.0.0.1/$1"; }
port_closed() { ! port_open "$1" 2>/dev/null; }
# libconfig: `key = value;` with an optional comment.
conf_get() { sh_ct "sed -n 's/^[[:space:]]*$2[[:space:]]*[=:][[:space:]]*\"\\{0,1\\}\\([^\";]*\\)\"\\{0,1\\}[[:space:]]*;.*/\\1/p' '$1' | head -n1"; }
conf_set() {
    sh_ct "if grep -q '^[[:space:]]*$2[[:space:]]*[=:]' '$1'; then
               sed -i 's/^[[:space:]]*$2[[:space:]]*[=:].*/$2 = $3;/' '$1'
           else
               echo '$2 = $3;' >> '$1'
           fi"
}

# =================================================================== run
make_tree || bail "cannot create the $suite tree"
write_tools
build_debs || bail "dpkg-buildpackage failed (log: $work/build.log)"
boot || { tail -n 30 "$work/console.log" | diag; bail "the container did not boot"; }
ok "the $suite container booted: system state $(in_ct systemctl is-system-running)"

common_deb=$(deb_of rmq-common)
namesrv_deb=$(deb_of rmq-namesrv)
broker_deb=$(deb_of rmq-broker)
tools_deb=$(deb_of rmq-tools)
console_deb=$(deb_of rmq-console)
[ -n "$common_deb" ] && [ -n "$namesrv_deb" ] && [ -n "$broker_deb" ] && [ -n "$tools_deb" ] && [ -n "$console_deb" ] ||
    bail "rmq-common/rmq-namesrv/rmq-broker/rmq-tools/rmq-console .debs missing"
# librmqclient-dev is not installed in the container (it pulls in the -dev
# packages the cached tree does not have); its contents are checked below.
debs="/mnt/debs/$common_deb /mnt/debs/$namesrv_deb /mnt/debs/$broker_deb /mnt/debs/$tools_deb /mnt/debs/$console_deb"

# -------------------------------------------------- install
check "apt installs $(echo "$debs" | sed 's|/mnt/debs/||g')" in_ct apt-get install -y -q $debs
in_ct dpkg -s rmq-namesrv >/dev/null 2>&1 || bail "rmq-namesrv is not installed"
if [ "${RMQ_SYSTEST_HOLD:-no}" = yes ]; then
    # For debugging: the container stays up until the file is removed.
    touch "$work/hold"
    echo "# holding: enter with 'nsenter -t $init_pid -a /bin/bash', then rm $work/hold" >&2
    while [ -e "$work/hold" ]; do sleep 1; done
fi

check "sysusers created the rocketmq system user" \
    sh_ct 'getent passwd rocketmq | grep -E "^rocketmq:x:[0-9]+:[0-9]+:[^:]*:/var/lib/rocketmq:/usr/sbin/nologin$"'
check "rocketmq.target is enabled by the maintainer scripts" \
    sh_ct 'test "$(systemctl is-enabled rocketmq.target)" = enabled'
check "no instance was enabled or started by the maintainer scripts" \
    sh_ct 'out=$(systemctl list-units --all --plain --no-legend "rmq-*"; ls /etc/systemd/system/rocketmq.target.wants 2>/dev/null); echo "$out"; test -z "$out"'
check "sample configs are conffiles in /etc/rocketmq" \
    sh_ct 'dpkg-query -W -f="\${Conffiles}\n" rmq-common | grep -q "/etc/rocketmq/namesrv-1.conf" && test -f /etc/rocketmq/broker-a.conf'
check "plain_acl.yml is a conffile of rmq-broker, root:rocketmq 0640" \
    sh_ct 'dpkg-query -W -f="\${Conffiles}\n" rmq-broker | grep -q "/etc/rocketmq/plain_acl.yml" && test "$(stat -c "%a %U %G" /etc/rocketmq/plain_acl.yml)" = "640 root rocketmq"'
# --man=no: the minimal tree has no man(1); the pages Documentation= names
# are checked as files instead.
check "installed units pass systemd-analyze verify" \
    sh_ct 'out=$(systemd-analyze verify --man=no rmq-namesrv@1.service rmq-broker@broker-a.service rmq-console@console.service rocketmq.target 2>&1); rc=$?; echo "$out"; test $rc = 0 && test -z "$out"'
check "the man pages the units' Documentation= names are installed" \
    sh_ct 'for u in rmq-namesrv@1.service rmq-broker@broker-a.service; do
               d=$(systemctl show -P Documentation $u | tr -d \"); echo "$u: $d"
               case $d in man:*\(*\)) ;; *) exit 1 ;; esac
               page=${d#man:}; name=${page%%(*}; sec=${page#*(}; sec=${sec%)}
               test -f /usr/share/man/man$sec/$name.$sec.gz || exit 1
           done'
for u in rmq-namesrv@1.service rmq-broker@broker-a.service rmq-console@console.service; do
    exposure=$(in_ct systemd-analyze security --no-pager "$u" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    if [ -n "$exposure" ] && awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }'; then
        ok "systemd-analyze security exposure of $u is $exposure (<= 2.0)"
    else
        not_ok "systemd-analyze security exposure of $u is '${exposure:-?}' (want <= 2.0)"
    fi
done
check "the tools are installed with man pages and bash completion" \
    sh_ct 'rmqadmin --help | grep -q sendMessage && rmq-bench --help >/dev/null &&
           test -f /usr/share/man/man1/rmqadmin.1.gz && test -f /usr/share/man/man8/rmq-broker.8.gz &&
           test -f /usr/share/bash-completion/completions/rmqadmin'

# librmqclient-dev, on the host (which has the -dev packages it depends on):
# a program built with nothing but the package's pkg-config file, header and
# static library runs.
dev_check() {
    local deb dev=$work/dev ma
    deb=$(deb_of librmqclient-dev) && [ -n "$deb" ] || { echo "no librmqclient-dev .deb"; return 1; }
    dpkg-deb -x "$work/debs/$deb" "$dev" || return 1
    dpkg-deb -c "$work/debs/$deb"
    ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
    cat >"$work/devtest.c" <<'EOC'
#include <rmq-client.h>
#include <string.h>
int main(void)
{
    g_autoptr(RmqMsg) m = rmq_msg_new("T", "hello", 5);
    rmq_msg_set_keys(m, "k1");
    return strcmp(rmq_msg_get_keys(m), "k1") == 0 ? 0 : 1;
}
EOC
    # The .pc names the installed paths; they are looked up under the
    # extracted tree (PKG_CONFIG_SYSROOT_DIR would move glib's paths too).
    local pc="env PKG_CONFIG_PATH=$dev/usr/lib/$ma/pkgconfig pkg-config" inc lib flags
    inc=$($pc --variable=includedir rmq-client) && lib=$($pc --variable=libdir rmq-client) || return 1
    test -f "$dev$inc/rmq/rmq-client.h" && test -f "$dev$lib/librmqclient.a" || {
        echo "rmq-client.pc points at $inc and $lib, which the package does not fill"
        return 1
    }
    flags=$($pc --cflags --libs rmq-client) || return 1
    flags=${flags//-I$inc\/rmq/-I$dev$inc/rmq}
    # pkg-config drops -L of the system library directory, where the
    # package puts the library: stand in for it.
    flags="${flags//-L$lib/} -L$dev$lib"
    echo "flags: $flags"
    # shellcheck disable=SC2086
    cc -o "$work/devtest" "$work/devtest.c" $flags && "$work/devtest"
}
check "librmqclient-dev: a program built from its .pc, header and static library runs" dev_check

# -------------------------------------------------- name server
ns=rmq-namesrv@1.service
ns_conf=/etc/rocketmq/namesrv-1.conf
ns_port=$(conf_get "$ns_conf" listenPort)
ns_port=${ns_port:-9876}

c0=$(cursor)
check "systemctl start $ns succeeds" in_ct systemctl start "$ns"
# READY gating: no retry, the port must accept the moment start returns.
check "port $ns_port accepts as soon as systemctl start returns (READY after listen)" port_open "$ns_port"
check "$ns is active with Type=notify" \
    sh_ct "test \"\$(systemctl show -P ActiveState $ns)\" = active && test \"\$(systemctl show -P Type $ns)\" = notify"
check "systemctl status shows the daemon's STATUS= line" \
    sh_ct "systemctl status --no-pager $ns | grep -E '^[[:space:]]*Status: \".+\"'"
check "the daemon runs as rocketmq with its state directory" \
    sh_ct "pid=\$(systemctl show -P MainPID $ns); uid=\$(id -u rocketmq);
           awk '/^Uid:/ { print \$2 }' /proc/\$pid/status | grep -qx \"\$uid\" &&
           test \"\$(stat -c '%U %a' /var/lib/rocketmq/namesrv-1)\" = 'rocketmq 750'"
check "journalctl -u $ns shows the start-up line" \
    wait_for 5 sh_ct "journalctl -q -u $ns -o cat | grep -E 'rmq-namesrv .*started'"
check "the start-up record carries RMQ_INSTANCE=1 and its MESSAGE_ID" \
    wait_for 5 sh_ct "journalctl -q _SYSTEMD_UNIT=$ns RMQ_INSTANCE=1 MESSAGE_ID=5a1c9e0f3b7d4e21a6c8f0b2d4e6a801 -o cat | grep started"

# reload: a reloadable key is applied without a restart; a key that needs a
# restart is named as such (proof the file was read again and compared).
pid_before=$(prop "$ns" MainPID)
in_ct cp "$ns_conf" /root/namesrv-1.conf.orig
conf_set "$ns_conf" serverChannelMaxIdleTimeSeconds 300 >/dev/null
c1=$(cursor)
check "systemctl reload $ns succeeds" in_ct systemctl reload "$ns"
check "reload applied: journal says reloaded, same MainPID, no restart demanded" \
    sh_ct "for i in \$(seq 1 25); do
               /mnt/tools/journal-after '$c1' _SYSTEMD_UNIT=$ns MESSAGE_ID=5a1c9e0f3b7d4e21a6c8f0b2d4e6a803 | grep -q reloaded && break
               sleep 0.2
           done
           /mnt/tools/journal-after '$c1' _SYSTEMD_UNIT=$ns
           /mnt/tools/journal-after '$c1' _SYSTEMD_UNIT=$ns MESSAGE_ID=5a1c9e0f3b7d4e21a6c8f0b2d4e6a803 | grep -q reloaded &&
           ! /mnt/tools/journal-after '$c1' _SYSTEMD_UNIT=$ns | grep -q 'after a restart' &&
           test \"\$(systemctl show -P MainPID $ns)\" = '$pid_before'"
conf_set "$ns_conf" listenPort $((ns_port + 1)) >/dev/null
c2=$(cursor)
in_ct systemctl reload "$ns" >/dev/null 2>&1
check "reload names listenPort as needing a restart and keeps serving on $ns_port" \
    sh_ct "for i in \$(seq 1 25); do
               /mnt/tools/journal-after '$c2' _SYSTEMD_UNIT=$ns | grep -q 'listenPort.*restart' && break
               sleep 0.2
           done
           /mnt/tools/journal-after '$c2' _SYSTEMD_UNIT=$ns | grep 'listenPort.*restart' &&
           exec 3<>/dev/tcp/127.0.0.1/$ns_port"
# A broken file on reload: the running config stays and STATUS= says so.
sh_ct "echo 'this is not libconfig' >> $ns_conf"
bad_line=$(sh_ct "wc -l < $ns_conf")
c3=$(cursor)
in_ct systemctl reload "$ns" >/dev/null 2>&1
check "a broken file on reload keeps the daemon running and STATUS= says reload failed" \
    sh_ct "for i in \$(seq 1 25); do
               systemctl show -P StatusText $ns | grep -q 'reload failed' && break
               sleep 0.2
           done
           systemctl show -P StatusText $ns | grep 'reload failed' &&
           test \"\$(systemctl show -P MainPID $ns)\" = '$pid_before' &&
           /mnt/tools/journal-after '$c3' _SYSTEMD_UNIT=$ns | grep 'namesrv-1.conf:$bad_line'"
in_ct cp /root/namesrv-1.conf.orig "$ns_conf"
in_ct systemctl reload "$ns" >/dev/null 2>&1

c4=$(cursor)
check "systemctl stop $ns succeeds" in_ct systemctl stop "$ns"
check "the stop ends with Result=success and exit status 0" \
    sh_ct "systemctl show -p Result -p ExecMainStatus -p ActiveState $ns;
           test \"\$(systemctl show -P Result $ns)\" = success &&
           test \"\$(systemctl show -P ExecMainStatus $ns)\" = 0 &&
           test \"\$(systemctl show -P ActiveState $ns)\" = inactive"
# By field, not -u: journald cannot attribute the last lines of a process
# that has already exited to its unit.
check "the journal records the stop and the port is closed" \
    sh_ct "for i in \$(seq 1 25); do
               /mnt/tools/journal-after '$c4' SYSLOG_IDENTIFIER=rmq-namesrv RMQ_INSTANCE=1 MESSAGE_ID=5a1c9e0f3b7d4e21a6c8f0b2d4e6a802 | grep -q stopped && break
               sleep 0.2
           done
           /mnt/tools/journal-after '$c4' SYSLOG_IDENTIFIER=rmq-namesrv RMQ_INSTANCE=1 MESSAGE_ID=5a1c9e0f3b7d4e21a6c8f0b2d4e6a802 | grep stopped &&
           ! (exec 3<>/dev/tcp/127.0.0.1/$ns_port) 2>/dev/null ||
           { /mnt/tools/journal-after '$c4' SYSLOG_IDENTIFIER=rmq-namesrv; false; }"

# A broken config fails the start, and the journal names file and line.
sh_ct 'printf "# broken on purpose\nlistenPort = 9877;\nlistenPort = = ;\n" > /etc/rocketmq/namesrv-9.conf'
check "systemctl start fails for a broken config" sh_ct '! systemctl start rmq-namesrv@9.service'
check "journalctl -u rmq-namesrv@9 names the file and line" \
    wait_for 5 sh_ct "journalctl -q -u rmq-namesrv@9.service -o cat | grep 'namesrv-9.conf:3'"
in_ct systemctl stop rmq-namesrv@9.service >/dev/null 2>&1
in_ct systemctl reset-failed rmq-namesrv@9.service >/dev/null 2>&1
in_ct rm -f /etc/rocketmq/namesrv-9.conf
check "an instance without a config file fails its AssertPathExists=" \
    sh_ct '! systemctl start rmq-namesrv@nosuch.service && test "$(systemctl show -P AssertResult rmq-namesrv@nosuch.service)" = no'

# Watchdog: a stopped (SIGSTOP) daemon is killed and restarted. A runtime
# drop-in shortens WatchdogSec= to keep the test fast; the mechanism is the same.
sh_ct "mkdir -p /run/systemd/system/$ns.d && printf '[Service]\nWatchdogSec=3s\n' > /run/systemd/system/$ns.d/watchdog.conf && systemctl daemon-reload"
in_ct systemctl start "$ns" >/dev/null 2>&1
pid_before=$(prop "$ns" MainPID)
in_ct systemctl kill --kill-who=main --signal=SIGSTOP "$ns"
check "the watchdog kills a SIGSTOPped daemon and systemd restarts it" \
    sh_ct "for i in \$(seq 1 100); do
               pid=\$(systemctl show -P MainPID $ns)
               [ \"\$pid\" != 0 ] && [ \"\$pid\" != '$pid_before' ] && [ \"\$(systemctl show -P ActiveState $ns)\" = active ] && break
               sleep 0.2
           done
           journalctl -q -u $ns -o cat | grep -i 'watchdog timeout' &&
           [ \"\$(systemctl show -P NRestarts $ns)\" -ge 1 ] &&
           [ \"\$(systemctl show -P MainPID $ns)\" != '$pid_before' ] &&
           exec 3<>/dev/tcp/127.0.0.1/$ns_port"
sh_ct "rm -rf /run/systemd/system/$ns.d && systemctl daemon-reload"

# State survives a restart: a KV entry put over the wire is read back from
# the new process (kvConfig.json in the StateDirectory=).
pid_before=$(prop "$ns" MainPID)
if [ -x "$work/tools/rmq-call" ]; then
    kv_value=v$$
    check "PUT_KV_CONFIG over the wire is accepted" \
        in_ct /mnt/tools/rmq-call "127.0.0.1:$ns_port" PUT_KV_CONFIG namespace=rmq-systest key=k1 value=$kv_value
fi
check "systemctl restart $ns gives a new process that accepts at once" \
    sh_ct "systemctl restart $ns && [ \"\$(systemctl show -P MainPID $ns)\" != '$pid_before' ] && exec 3<>/dev/tcp/127.0.0.1/$ns_port"
if [ -x "$work/tools/rmq-call" ]; then
    check "the KV entry survives systemctl restart (state in /var/lib/rocketmq/namesrv-1)" \
        sh_ct "/mnt/tools/rmq-call 127.0.0.1:$ns_port GET_KV_CONFIG namespace=rmq-systest key=k1 | grep -x 'value: $kv_value'"
else
    skip "the KV entry survives systemctl restart" "no rmq-call built"
fi

# rocketmq.target: enabling an instance hooks it into the target; stopping
# the target stops every instance (PartOf=), starting it starts the enabled ones.
ns2=rmq-namesrv@2.service
check "systemctl enable $ns2 links it into rocketmq.target" \
    sh_ct "systemctl enable $ns2 2>&1 && test -L /etc/systemd/system/rocketmq.target.wants/$ns2"
check "systemctl start rocketmq.target starts the enabled instance" \
    sh_ct "systemctl start rocketmq.target && systemctl is-active $ns2"
check "systemctl stop rocketmq.target stops every instance" \
    sh_ct "systemctl stop rocketmq.target; ! systemctl is-active $ns && ! systemctl is-active $ns2"
in_ct systemctl start "$ns" >/dev/null 2>&1

# -------------------------------------------------- broker
# rmq-broker@broker-a with rmq-namesrv@1 (port 9876) running. broker-a.conf
# also names a second name server (9875) that is left down on purpose: an
# unreachable name server must not hold back READY, the broker registers with
# the ones it reaches and retries the others every 30 s.
br=rmq-broker@broker-a.service
br_conf=/etc/rocketmq/broker-a.conf
[ -n "$broker_deb" ] || bail "the rmq-broker .deb is missing"
[ -n "$tools_deb" ] || bail "the rmq-tools .deb is missing"
br_port=$(conf_get "$br_conf" listenPort)
br_port=${br_port:-10911}
br_addr=127.0.0.1:$br_port
ns_addr=127.0.0.1:$ns_port
ns2_port=$(conf_get /etc/rocketmq/namesrv-2.conf listenPort)
ns2_port=${ns2_port:-9875}
admin() { in_ct rmqadmin "$@" -n "$ns_addr"; }
topic=SysTest$$

check "rmq-namesrv@1 is running and the second name server ($ns2_port) is down" \
    sh_ct "systemctl is-active $ns && ! (exec 3<>/dev/tcp/127.0.0.1/$ns2_port) 2>/dev/null"
c0=$(cursor)
check "systemctl start $br succeeds (one of its two name servers unreachable)" in_ct systemctl start "$br"
check "port $br_port accepts as soon as systemctl start returns (READY after listen)" port_open "$br_port"
check "$br is active, runs as rocketmq, store in /var/lib/rocketmq/broker-a (0750)" \
    sh_ct "test \"\$(systemctl show -P ActiveState $br)\" = active &&
           pid=\$(systemctl show -P MainPID $br) && uid=\$(id -u rocketmq) &&
           awk '/^Uid:/ { print \$2 }' /proc/\$pid/status | grep -qx \"\$uid\" &&
           test \"\$(stat -c '%U %a' /var/lib/rocketmq/broker-a)\" = 'rocketmq 750' &&
           test -f /var/lib/rocketmq/broker-a/checkpoint"
check "systemctl status $br shows the broker's STATUS= line" \
    sh_ct "systemctl status --no-pager $br | grep -E '^[[:space:]]*Status: \".+\"'"
check "journalctl -u $br shows the start-up line, RMQ_INSTANCE=broker-a and its MESSAGE_ID" \
    wait_for 5 sh_ct "journalctl -q -u $br -o cat | grep -E 'rmq-broker .*started' &&
                      journalctl -q _SYSTEMD_UNIT=$br RMQ_INSTANCE=broker-a MESSAGE_ID=5a1c9e0f3b7d4e21a6c8f0b2d4e6a801 -o cat | grep started"
check "journalctl -u $br shows the registration with 1 of its 2 name servers" \
    wait_for 5 sh_ct "journalctl -q -u $br -o cat | grep 'registered with 1 of 2 name servers'"
check "the name server's journal records broker-a's registration (MESSAGE_ID, RMQ_BROKER=broker-a)" \
    wait_for 5 sh_ct "/mnt/tools/journal-after '$c0' _SYSTEMD_UNIT=$ns MESSAGE_ID=5a1c9e0f3b7d4e21a6c8f0b2d4e6a811 RMQ_BROKER=broker-a | grep 'broker broker-a (127.0.0.1:$br_port'"
check "rmqadmin clusterList through the name server lists broker-a at $br_addr" \
    sh_ct "rmqadmin clusterList -n $ns_addr | tee /dev/stderr | grep broker-a | grep -F '$br_addr'"

# Produce and consume with the installed tools (rmqadmin).
check "rmqadmin updateTopic creates $topic on the cluster" \
    admin updateTopic -c DubboRocketCluster -t "$topic"
sent=0
for i in 1 2 3; do
    if admin sendMessage -t "$topic" -b broker-a -i 0 -k "key-$$-$i" -c systest -p "body-$$-$i" >"$work/send.$i" 2>&1; then
        sent=$((sent + 1))
    else
        diag <"$work/send.$i"
    fi
done
if [ "$sent" = 3 ]; then ok "rmqadmin sendMessage stored 3 messages in $topic"; else not_ok "rmqadmin sendMessage stored $sent of 3 messages"; fi
consumed_all() {
    local out
    out=$(admin consumeMessage -t "$topic" -b broker-a -i 0 -o 0 -c 10 2>&1) || { echo "$out"; return 1; }
    echo "$out"
    echo "$out" | grep -q "body-$$-1" && echo "$out" | grep -q "body-$$-2" && echo "$out" | grep -q "body-$$-3"
}
check "rmqadmin consumeMessage reads the 3 bodies back from queue 0" consumed_all

# Reload: maxMessageSize is reloadable. A 2000-byte body is accepted, then
# refused after the limit is lowered to 1024 and the unit reloaded (same PID).
big=$(head -c 2000 /dev/zero | tr '\0' x)
check "a 2000-byte message is accepted with the shipped maxMessageSize" \
    admin sendMessage -t "$topic" -b broker-a -i 1 -p "$big"
pid_before=$(prop "$br" MainPID)
in_ct cp "$br_conf" /root/broker-a.conf.orig
conf_set "$br_conf" maxMessageSize 1024 >/dev/null
c1=$(cursor)
check "systemctl reload $br succeeds" in_ct systemctl reload "$br"
check "reload applied: journal says reloaded, same MainPID, getBrokerConfig shows maxMessageSize 1024" \
    sh_ct "for i in \$(seq 1 25); do
               /mnt/tools/journal-after '$c1' _SYSTEMD_UNIT=$br MESSAGE_ID=5a1c9e0f3b7d4e21a6c8f0b2d4e6a803 | grep -q reloaded && break
               sleep 0.2
           done
           /mnt/tools/journal-after '$c1' _SYSTEMD_UNIT=$br MESSAGE_ID=5a1c9e0f3b7d4e21a6c8f0b2d4e6a803 | grep reloaded &&
           test \"\$(systemctl show -P MainPID $br)\" = '$pid_before' &&
           rmqadmin getBrokerConfig -n $ns_addr -b $br_addr | grep -E '^maxMessageSize *[=:] *1024\$'"
check "after the reload the broker refuses the 2000-byte message (rmqadmin exit status 5)" \
    sh_ct "rmqadmin sendMessage -n $ns_addr -t $topic -b broker-a -i 1 -p '$big'; test \$? = 5"
in_ct cp /root/broker-a.conf.orig "$br_conf"
in_ct systemctl reload "$br" >/dev/null 2>&1
check "restoring the file and reloading accepts the 2000-byte message again" \
    wait_for 5 admin sendMessage -t "$topic" -b broker-a -i 1 -p "$big"

# The stored messages survive a restart: read again by offset and by key.
pid_before=$(prop "$br" MainPID)
c2=$(cursor)
check "systemctl restart $br gives a new process that accepts at once" \
    sh_ct "systemctl restart $br && [ \"\$(systemctl show -P MainPID $br)\" != '$pid_before' ] && exec 3<>/dev/tcp/127.0.0.1/$br_port"
check "the previous process stopped cleanly (stopped record, no crash recovery on start)" \
    sh_ct "for i in \$(seq 1 25); do
               /mnt/tools/journal-after '$c2' SYSLOG_IDENTIFIER=rmq-broker RMQ_INSTANCE=broker-a MESSAGE_ID=5a1c9e0f3b7d4e21a6c8f0b2d4e6a802 | grep -q stopped && break
               sleep 0.2
           done
           /mnt/tools/journal-after '$c2' SYSLOG_IDENTIFIER=rmq-broker RMQ_INSTANCE=broker-a MESSAGE_ID=5a1c9e0f3b7d4e21a6c8f0b2d4e6a802 | grep stopped &&
           ! /mnt/tools/journal-after '$c2' SYSLOG_IDENTIFIER=rmq-broker | grep 'recovered after a crash'"
check "the 3 messages survive systemctl restart (consumeMessage from offset 0)" wait_for 10 consumed_all
check "the messages are found by key after the restart (queryMsgByKey, index on disk)" \
    wait_for 10 sh_ct "rmqadmin queryMsgByKey --json -n $ns_addr -t $topic -k key-$$-2 | tee /dev/stderr | grep -q '\"body\" : \"body-$$-2\"'"

# Watchdog: a SIGSTOPped broker is killed and restarted (WatchdogSec=
# shortened by a runtime drop-in, as for the name server).
sh_ct "mkdir -p /run/systemd/system/$br.d && printf '[Service]\nWatchdogSec=3s\n' > /run/systemd/system/$br.d/watchdog.conf && systemctl daemon-reload"
in_ct systemctl restart "$br" >/dev/null 2>&1
pid_before=$(prop "$br" MainPID)
in_ct systemctl kill --kill-who=main --signal=SIGSTOP "$br"
check "the watchdog kills a SIGSTOPped broker and systemd restarts it" \
    sh_ct "for i in \$(seq 1 150); do
               pid=\$(systemctl show -P MainPID $br)
               [ \"\$pid\" != 0 ] && [ \"\$pid\" != '$pid_before' ] && [ \"\$(systemctl show -P ActiveState $br)\" = active ] && break
               sleep 0.2
           done
           journalctl -q -u $br -o cat | grep -i 'watchdog timeout' &&
           [ \"\$(systemctl show -P NRestarts $br)\" -ge 1 ] &&
           [ \"\$(systemctl show -P MainPID $br)\" != '$pid_before' ] &&
           exec 3<>/dev/tcp/127.0.0.1/$br_port"
sh_ct "rm -rf /run/systemd/system/$br.d && systemctl daemon-reload"
check "the messages are still there after the watchdog kill (crash recovery)" wait_for 10 consumed_all

c3=$(cursor)
check "systemctl stop $br succeeds" in_ct systemctl stop "$br"
check "the broker stop ends with Result=success and exit status 0, port closed" \
    sh_ct "systemctl show -p Result -p ExecMainStatus -p ActiveState $br;
           test \"\$(systemctl show -P Result $br)\" = success &&
           test \"\$(systemctl show -P ExecMainStatus $br)\" = 0 &&
           test \"\$(systemctl show -P ActiveState $br)\" = inactive &&
           ! (exec 3<>/dev/tcp/127.0.0.1/$br_port) 2>/dev/null"

# A broken broker config fails the start with file and line in the journal.
sh_ct 'printf "# broken on purpose\nbrokerName = \"broker-x\";\nlistenPort = 10921;\nbrokerId = ;\n" > /etc/rocketmq/broker-x.conf'
check "systemctl start fails for a broken broker config" sh_ct '! systemctl start rmq-broker@broker-x.service'
check "journalctl -u rmq-broker@broker-x names the file and line" \
    wait_for 5 sh_ct "journalctl -q -u rmq-broker@broker-x.service -o cat | grep 'broker-x.conf:4'"
in_ct systemctl reset-failed rmq-broker@broker-x.service >/dev/null 2>&1
in_ct rm -f /etc/rocketmq/broker-x.conf

# Running for the upgrade check below.
in_ct systemctl start "$br" >/dev/null 2>&1

# -------------------------------------------------- the reference layout, stopped and restarted
# All six instances of etc/rocketmq (two name servers, broker-a/-b masters and
# their slaves) under rocketmq.target: `systemctl stop rocketmq.target` stops
# them at the same instant (the order that once crashed the broker), and
# `systemctl restart rocketmq.target` stops and starts them all. Every unit
# must end with Result=success (not core-dump, signal or timeout), every
# daemon must log "stopped". The three extra brokers get 64 MiB commit-log
# files to keep the container small; afterwards the state the upgrade check
# expects is restored (namesrv@1 and broker-a running, namesrv@2 enabled but
# stopped, the others disabled).
six="rmq-namesrv@1.service rmq-namesrv@2.service rmq-broker@broker-a.service rmq-broker@broker-a-s.service rmq-broker@broker-b.service rmq-broker@broker-b-s.service"
extra="rmq-broker@broker-a-s.service rmq-broker@broker-b.service rmq-broker@broker-b-s.service"
was_enabled=""
for u in $six; do
    in_ct systemctl is-enabled -q "$u" 2>/dev/null && was_enabled="$was_enabled $u"
done
for b in broker-a-s broker-b broker-b-s; do
    conf_set "/etc/rocketmq/$b.conf" mappedFileSizeCommitLog 67108864
done
# "unit Result ActiveState ExecMainCode/ExecMainStatus" per unit; false if one
# did not end (or run) cleanly. $1: the ActiveState every unit must be in.
layout_state() {
    sh_ct "bad=0
           for u in $six; do
               r=\$(systemctl show -P Result \$u); a=\$(systemctl show -P ActiveState \$u)
               echo \"\$u Result=\$r ActiveState=\$a exit=\$(systemctl show -P ExecMainCode \$u)/\$(systemctl show -P ExecMainStatus \$u)\"
               [ \"\$r\" = success ] && [ \"\$a\" = $1 ] || bad=1
           done
           exit \$bad"
}
# Every unit's journal since cursor $1 says "<program> stopped" and nothing
# about a crash (code=dumped/killed, a failed result).
layout_stopped_cleanly() {
    sh_ct "bad=0
           for u in $six; do
               j=\$(journalctl -q --after-cursor='$1' -u \$u -o cat)
               echo \"\$j\" | grep -q ' stopped\$' || { echo \"\$u: no 'stopped' line\"; bad=1; }
               echo \"\$j\" | grep -E 'code=(dumped|killed)|Failed with result' && bad=1
           done
           exit \$bad"
}
c_layout=$(cursor)
check "all six units of the reference layout enabled and started by rocketmq.target" \
    sh_ct "systemctl enable $six >/dev/null 2>&1 && systemctl start rocketmq.target &&
           for u in $six; do systemctl is-active -q \$u || { systemctl status --no-pager \$u; exit 1; }; done"
# the slaves connect to their masters' HA ports: the stop closes those links too
check "both slaves connected to their masters (HA)" \
    wait_for 20 sh_ct "for b in broker-a broker-b; do
                           journalctl -q --after-cursor='$c_layout' -u rmq-broker@\$b.service -o cat | grep -q 'HA: slave .* connected' || exit 1
                       done"
c_stop=$(cursor)
check "systemctl stop rocketmq.target: every unit Result=success and inactive" \
    sh_ct "systemctl stop rocketmq.target"
check "after the stop: Result=success, inactive, for each of the six" layout_state inactive
check "after the stop: each daemon logged \"stopped\", none dumped core or was killed" layout_stopped_cleanly "$c_stop"
in_ct systemctl start rocketmq.target >/dev/null 2>&1
pids_before=$(sh_ct "for u in $six; do systemctl show -P MainPID \$u; done" | tr '\n' ' ')
c_restart=$(cursor)
check "systemctl restart rocketmq.target restarts all six (new main PIDs)" \
    sh_ct "systemctl restart rocketmq.target && sleep 1 &&
           after=\$(for u in $six; do systemctl show -P MainPID \$u; done | tr '\n' ' ') &&
           echo \"before: $pids_before after: \$after\" &&
           for p in \$after; do [ \"\$p\" != 0 ] && ! echo ' $pids_before ' | grep -q \" \$p \" || exit 1; done"
check "after the restart: Result=success, active, for each of the six" layout_state active
check "the restart's stop: each daemon logged \"stopped\", none dumped core or was killed" \
    layout_stopped_cleanly "$c_restart"
# back to what the upgrade check expects
in_ct systemctl stop $extra rmq-namesrv@2.service >/dev/null 2>&1
for u in $six; do
    case " $was_enabled " in *" $u "*) ;; *) in_ct systemctl disable -q "$u" >/dev/null 2>&1 ;; esac
done
# broker-a restarted together with the name servers may have missed them and
# registers again only after registerNameServerPeriod (30 s): restart it with
# namesrv@1 up, so it registers at once for the console check below
in_ct systemctl start "$ns" >/dev/null 2>&1
in_ct systemctl restart "$br" >/dev/null 2>&1

# -------------------------------------------------- web console
# rmq-console@console (console.conf: 127.0.0.1:8080, name server 9876)
# answers over HTTP with the cluster the running name server knows.
co=rmq-console@console.service
co_port=$(conf_get /etc/rocketmq/console.conf consoleListenPort)
co_port=${co_port:-8080}
check "systemctl start $co succeeds and port $co_port accepts at once" \
    sh_ct "systemctl start $co && exec 3<>/dev/tcp/127.0.0.1/$co_port"
check "GET /api/cluster through the console answers 200 and lists broker-a" \
    sh_ct "/mnt/tools/http-get $co_port /api/cluster | tee /dev/stderr > /tmp/cluster.http &&
           head -n1 /tmp/cluster.http | grep -q '^HTTP/1.[01] 200' && grep -q broker-a /tmp/cluster.http"
check "systemctl stop $co ends with Result=success" \
    sh_ct "systemctl stop $co && test \"\$(systemctl show -P Result $co)\" = success"

# With glib-networking in the tree (libsoup pulls it in), GIO's desktop proxy
# resolver would load dconf, which cannot write under ProtectSystem=.
check "no daemon logged GIO proxy or dconf trouble" \
    sh_ct "out=\$(journalctl -q -o cat SYSLOG_IDENTIFIER=rmq-broker SYSLOG_IDENTIFIER=rmq-namesrv SYSLOG_IDENTIFIER=rmq-console | grep -i -E 'dconf|proxy'); echo \"\$out\"; test -z \"\$out\""

# -------------------------------------------------- upgrade, remove, purge
# Reinstalling the same packages runs the upgrade path of the maintainer
# scripts (postinst configure <old-version>): running instances restart,
# stopped ones (here rmq-namesrv@2, enabled but stopped) stay stopped.
pid_before=$(prop "$ns" MainPID)
br_pid_before=$(prop "$br" MainPID)
check "an upgrade restarts the running instances (namesrv and broker) and starts no stopped one" \
    sh_ct "dpkg -i $debs >/dev/null &&
           pid=\$(systemctl show -P MainPID $ns) && echo \"$ns MainPID $pid_before -> \$pid\" &&
           bpid=\$(systemctl show -P MainPID $br) && echo \"$br MainPID $br_pid_before -> \$bpid\" &&
           [ \"\$pid\" != 0 ] && [ \"\$pid\" != '$pid_before' ] &&
           [ '$br_pid_before' != 0 ] && [ \"\$bpid\" != 0 ] && [ \"\$bpid\" != '$br_pid_before' ] &&
           test \"\$(systemctl show -P ActiveState rmq-namesrv@2.service)\" = inactive ||
           { journalctl -q -u $ns -u $br -n 20 --no-pager; false; }"
check "the messages survive the upgrade restart" wait_for 10 consumed_all
check "apt remove stops the instances and keeps /var/lib/rocketmq and /etc/rocketmq" \
    sh_ct "apt-get remove -y -q rmq-common rmq-namesrv rmq-broker rmq-tools rmq-console >/dev/null &&
           ! systemctl is-active -q $ns && ! systemctl is-active -q $br &&
           ! (exec 3<>/dev/tcp/127.0.0.1/$ns_port) 2>/dev/null &&
           ! (exec 3<>/dev/tcp/127.0.0.1/$br_port) 2>/dev/null &&
           test -d /var/lib/rocketmq/namesrv-1 && test -d /var/lib/rocketmq/broker-a/commitlog && test -f $ns_conf"
check "apt purge rmq-broker deletes the broker stores and keeps the name server state" \
    sh_ct "apt-get purge -y -q rmq-broker >/dev/null && ! test -e /var/lib/rocketmq/broker-a &&
           test -d /var/lib/rocketmq/namesrv-1"
check "apt purge removes /var/lib/rocketmq, /etc/rocketmq and the enablement links" \
    sh_ct "apt-get purge -y -q rmq-common rmq-namesrv >/dev/null && ! test -e /var/lib/rocketmq && ! test -e /etc/rocketmq &&
           ! dpkg -s rmq-tools >/dev/null 2>&1 &&
           ! test -e /etc/systemd/system/rocketmq.target.wants/$ns2 && ! test -e /etc/systemd/system/multi-user.target.wants/rocketmq.target"

echo "1..$n"
[ "$failed" = 0 ]
