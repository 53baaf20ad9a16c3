#!/bin/sh
# Install the Debian packages rmq needs to build and test, only those missing.
# Usage: scripts/install-deps.sh [build|test|all]   (default: all)
# Idempotent: a second run installs nothing and does not touch the network.
set -eu

build_pkgs="build-essential autoconf automake libtool pkgconf
 libglib2.0-dev libjson-glib-dev libsystemd-dev libconfig-dev zlib1g-dev
 libcmocka-dev libsoup-3.0-dev libyaml-dev libssl-dev systemd"
# clang: libFuzzer and the sanitizer build; libfaketime: the clock-step tests
# (tests/namesrv/test-namesrv-clock, tests/chaos); the rest: packaging and
# system tests.
test_pkgs="clang procps iproute2 psmisc openssl libfaketime
 debhelper dpkg-dev fakeroot lintian rpm debootstrap systemd-container"

case "${1:-all}" in
    build) want="$build_pkgs" ;;
    test|all) want="$build_pkgs $test_pkgs" ;;
    *) echo "usage: $0 [build|test|all]" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *"ok installed") ;;
        *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
        echo "missing packages:$missing (run this script as root to install them)" >&2
        exit 1
    fi
else
    SUDO=
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
