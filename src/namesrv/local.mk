# src/namesrv: the name server (rmq-namesrv). Everything but main() is in
# libnamesrv.a so the unit and integration tests link the code the daemon runs.
noinst_LIBRARIES += src/namesrv/libnamesrv.a
src_namesrv_libnamesrv_a_SOURCES = \
	src/namesrv/register_body.c src/namesrv/register_body.h \
	src/namesrv/route_table.c src/namesrv/route_table.h \
	src/namesrv/kvconfig.c src/namesrv/kvconfig.h \
	src/namesrv/processor.c src/namesrv/processor.h \
	src/namesrv/namesrv.c src/namesrv/namesrv.h

# Libraries in link order (each only needs the ones after it).
NAMESRV_LIBS = src/namesrv/libnamesrv.a src/common/libcommon.a src/common/libconf.a \
	src/remoting/libnet.a src/model/libmodel.a src/remoting/libcodec.a $(RMQ_PKG_LIBS)

sbin_PROGRAMS += src/namesrv/rmq-namesrv
src_namesrv_rmq_namesrv_SOURCES = src/namesrv/main.c
src_namesrv_rmq_namesrv_LDADD = $(NAMESRV_LIBS)

if HAVE_CMOCKA
check_PROGRAMS += tests/test-route-table tests/test-kvconfig
TESTS += tests/test-route-table tests/test-kvconfig

tests_test_route_table_SOURCES = tests/test-route-table.c \
	tests/namesrv/route-table-ref.c tests/namesrv/route-table-ref.h
tests_test_route_table_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_route_table_LDADD = src/namesrv/libnamesrv.a src/model/libmodel.a src/remoting/libcodec.a $(RMQ_PKG_LIBS) $(CMOCKA_LIBS)

tests_test_kvconfig_SOURCES = tests/test-kvconfig.c
tests_test_kvconfig_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_kvconfig_LDADD = tests/support/libtestsupport.a src/namesrv/libnamesrv.a src/model/libmodel.a src/remoting/libcodec.a $(RMQ_PKG_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/namesrv/test-namesrv-processor
TESTS += tests/namesrv/test-namesrv-processor
tests_namesrv_test_namesrv_processor_SOURCES = tests/namesrv/test-namesrv-processor.c
tests_namesrv_test_namesrv_processor_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_namesrv_test_namesrv_processor_LDADD = $(NAMESRV_LIBS) $(CMOCKA_LIBS)

# Integration: the real daemon on a free loopback port, driven by libnet's client.
NAMESRV_IT = tests/namesrv/test-namesrv-routes tests/namesrv/test-namesrv-lifecycle \
	tests/namesrv/test-namesrv-clock
check_PROGRAMS += $(NAMESRV_IT)
TESTS += $(NAMESRV_IT)
NAMESRV_IT_SUPPORT = tests/namesrv/harness.c tests/namesrv/harness.h

tests_namesrv_test_namesrv_routes_SOURCES = tests/namesrv/test-namesrv-routes.c $(NAMESRV_IT_SUPPORT)
tests_namesrv_test_namesrv_routes_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_namesrv_test_namesrv_routes_LDADD = tests/support/libtestsupport.a $(NAMESRV_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_namesrv_test_namesrv_routes_DEPENDENCIES = src/namesrv/rmq-namesrv

tests_namesrv_test_namesrv_lifecycle_SOURCES = tests/namesrv/test-namesrv-lifecycle.c $(NAMESRV_IT_SUPPORT)
tests_namesrv_test_namesrv_lifecycle_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_namesrv_test_namesrv_lifecycle_LDADD = tests/support/libtestsupport.a $(NAMESRV_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_namesrv_test_namesrv_lifecycle_DEPENDENCIES = src/namesrv/rmq-namesrv

tests_namesrv_test_namesrv_clock_SOURCES = tests/namesrv/test-namesrv-clock.c $(NAMESRV_IT_SUPPORT)
tests_namesrv_test_namesrv_clock_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_namesrv_test_namesrv_clock_LDADD = tests/support/libtestsupport.a $(NAMESRV_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_namesrv_test_namesrv_clock_DEPENDENCIES = src/namesrv/rmq-namesrv
endif

# Benchmark (not a test): bench/namesrv/run.sh builds and runs it.
noinst_PROGRAMS += bench/namesrv/ns-bench
bench_namesrv_ns_bench_SOURCES = bench/namesrv/ns-bench.c
bench_namesrv_ns_bench_LDADD = $(NAMESRV_LIBS)
EXTRA_DIST += bench/namesrv/run.sh
