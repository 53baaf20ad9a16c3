# bench/: the side-by-side benchmark run (bench/run.sh) and its probe helper
# (free ports, exec-to-READY, loopback round trip, fdatasync). Built by
# `make`, never run by `make check`.
noinst_PROGRAMS += bench/bench-probe
bench_bench_probe_SOURCES = bench/bench-probe.c \
	tests/support/notify-listener.c tests/support/notify-listener.h
bench_bench_probe_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
bench_bench_probe_LDADD = $(RMQ_PKG_LIBS)
EXTRA_DIST += bench/run.sh bench/lib.sh bench/filter.sh bench/alions.sh bench/alions-load.js \
	bench/rounds.sh

# Self-check of the probe helper (TAP, seconds).
TESTS += bench/test-bench-probe.sh
EXTRA_DIST += bench/test-bench-probe.sh

# Per-message CPU and instruction counts (see bench/README.md).
EXTRA_DIST += bench/perf/callgrind.sh bench/perf/cpu.sh

# Overload (bench/overload.sh): idle connections, producers past the send
# queue's capacity, a consumer that stops reading.
noinst_PROGRAMS += bench/overload
bench_overload_SOURCES = bench/overload.c
bench_overload_LDADD = src/remoting/libcodec.a $(RMQ_PKG_LIBS)
EXTRA_DIST += bench/overload.sh
