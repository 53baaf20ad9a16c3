#!/bin/sh
# Configure (once) and build rmq in an out-of-tree directory.
# Usage: scripts/build.sh [BUILD_DIR [configure args...]]   (default: _build)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$top/_build"}
[ $# -gt 0 ] && shift
case "$build" in /*) ;; *) build="$PWD/$build" ;; esac

cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
    autoreconf -fi >/dev/null
fi
mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ] || [ "$top/configure" -nt config.status ]; then
    "$top/configure" -q "$@"
fi
make -j"$(nproc)" >/dev/null
echo "built in $build"
