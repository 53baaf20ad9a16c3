# src/store: the message store (commit log, consume queues, index, recovery,
# flush, retention, replication primitives) as a library; tests and
# benchmarks below.
noinst_LIBRARIES += src/store/libstore.a
src_store_libstore_a_SOURCES = \
	src/store/message_format.c src/store/message_format.h \
	src/store/store_config.c src/store/store_config.h \
	src/store/mapped_file.c src/store/mapped_file.h \
	src/store/commit_log.c src/store/commit_log.h \
	src/store/consume_queue.c src/store/consume_queue.h \
	src/store/index_file.c src/store/index_file.h \
	src/store/checkpoint.c src/store/checkpoint.h \
	src/store/dispatcher.c src/store/dispatcher.h \
	src/store/flush_service.c src/store/flush_service.h src/store/flush_waiters.h \
	src/store/store.c src/store/store.h src/store/store_error.h

# libstore.a reads message properties through src/model.
STORE_LIBS = src/store/libstore.a src/model/libmodel.a
STORE_TEST_LDADD = $(STORE_LIBS) $(RMQ_PKG_LIBS) $(CMOCKA_LIBS)
STORE_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
EXTRA_DIST += tests/store/store-test-util.h

if HAVE_CMOCKA
STORE_TESTS = \
	tests/store/test-store-format tests/store/test-store-basic \
	tests/store/test-store-recovery tests/store/test-store-flush \
	tests/store/test-store-crash tests/store/test-store-retention \
	tests/store/test-store-ha tests/store/test-store-diskfull \
	tests/store/test-flush-waiters tests/store/test-commit-log-warmer
# store-crash-helper is run by test-store-crash, not a test itself
check_PROGRAMS += $(STORE_TESTS) tests/store/store-crash-helper
TESTS += $(STORE_TESTS)

tests_store_test_store_format_SOURCES = tests/store/test-store-format.c
tests_store_test_store_format_LDADD = $(STORE_TEST_LDADD)
tests_store_test_store_format_CFLAGS = $(STORE_TEST_CFLAGS)
tests_store_test_store_basic_SOURCES = tests/store/test-store-basic.c
tests_store_test_store_basic_LDADD = $(STORE_TEST_LDADD)
tests_store_test_store_basic_CFLAGS = $(STORE_TEST_CFLAGS)
tests_store_test_store_recovery_SOURCES = tests/store/test-store-recovery.c
tests_store_test_store_recovery_LDADD = $(STORE_TEST_LDADD)
tests_store_test_store_recovery_CFLAGS = $(STORE_TEST_CFLAGS)
tests_store_test_store_flush_SOURCES = tests/store/test-store-flush.c
tests_store_test_store_flush_LDADD = $(STORE_TEST_LDADD)
tests_store_test_store_flush_CFLAGS = $(STORE_TEST_CFLAGS)
tests_store_test_commit_log_warmer_SOURCES = tests/store/test-commit-log-warmer.c
tests_store_test_commit_log_warmer_LDADD = $(STORE_TEST_LDADD)
tests_store_test_commit_log_warmer_CFLAGS = $(STORE_TEST_CFLAGS)
tests_store_test_flush_waiters_SOURCES = tests/store/test-flush-waiters.c
tests_store_test_flush_waiters_LDADD = $(STORE_TEST_LDADD)
tests_store_test_flush_waiters_CFLAGS = $(STORE_TEST_CFLAGS)
tests_store_test_store_crash_SOURCES = tests/store/test-store-crash.c
tests_store_test_store_crash_LDADD = $(STORE_TEST_LDADD)
tests_store_test_store_crash_CFLAGS = $(STORE_TEST_CFLAGS)
tests_store_store_crash_helper_SOURCES = tests/store/store-crash-helper.c
tests_store_store_crash_helper_LDADD = $(STORE_LIBS) $(RMQ_PKG_LIBS)
tests_store_test_store_retention_SOURCES = tests/store/test-store-retention.c
tests_store_test_store_retention_LDADD = $(STORE_TEST_LDADD)
tests_store_test_store_retention_CFLAGS = $(STORE_TEST_CFLAGS)
tests_store_test_store_ha_SOURCES = tests/store/test-store-ha.c
tests_store_test_store_ha_LDADD = $(STORE_TEST_LDADD)
tests_store_test_store_ha_CFLAGS = $(STORE_TEST_CFLAGS)
# posix_fallocate is wrapped by the test to fail like a full disk
tests_store_test_store_diskfull_SOURCES = tests/store/test-store-diskfull.c
tests_store_test_store_diskfull_LDADD = $(STORE_TEST_LDADD)
tests_store_test_store_diskfull_LDFLAGS = -Wl,--wrap=posix_fallocate
tests_store_test_store_diskfull_CFLAGS = $(STORE_TEST_CFLAGS)
# flush completions and retention through injected RmqLoopHooks
check_PROGRAMS += tests/store/test-store-loop-hooks
TESTS += tests/store/test-store-loop-hooks
tests_store_test_store_loop_hooks_SOURCES = tests/store/test-store-loop-hooks.c
tests_store_test_store_loop_hooks_LDADD = $(STORE_TEST_LDADD)
tests_store_test_store_loop_hooks_CFLAGS = $(STORE_TEST_CFLAGS)
endif

# Benchmarks: built by `make`, never run by `make check` (bench/store/run.sh).
noinst_PROGRAMS += bench/store/bench-store
bench_store_bench_store_SOURCES = bench/store/bench-store.c
bench_store_bench_store_LDADD = $(STORE_LIBS) $(RMQ_PKG_LIBS)
EXTRA_DIST += bench/store/run.sh
