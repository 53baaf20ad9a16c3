# src/tools: rmqadmin and rmq-bench (installed), built on librmqclient.a.
bin_PROGRAMS += src/tools/rmqadmin src/tools/rmq-bench
src_tools_rmqadmin_SOURCES = src/tools/rmqadmin.c src/tools/rmqadmin.h \
	src/tools/rmqadmin-topic.c src/tools/rmqadmin-cluster.c \
	src/tools/rmqadmin-group.c src/tools/rmqadmin-message.c
src_tools_rmqadmin_LDADD = $(CLIENT_LIBS)

src_tools_rmq_bench_SOURCES = src/tools/rmq-bench.c
src_tools_rmq_bench_LDADD = $(CLIENT_LIBS)

# Integration tests: the tools against real rmq-namesrv and rmq-broker
# daemons (started by the broker tests' harness), --json output parsed.
if HAVE_CMOCKA
TOOLS_IT_SUPPORT = tests/tools/tool-run.c tests/tools/tool-run.h \
	tests/broker/harness.c tests/broker/harness.h
TOOLS_IT_DEPS = src/tools/rmqadmin src/tools/rmq-bench src/broker/rmq-broker \
	src/namesrv/rmq-namesrv
check_PROGRAMS += tests/tools/test-rmqadmin
TESTS += tests/tools/test-rmqadmin
tests_tools_test_rmqadmin_SOURCES = tests/tools/test-rmqadmin.c $(TOOLS_IT_SUPPORT)
tests_tools_test_rmqadmin_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_tools_test_rmqadmin_LDADD = $(CLIENT_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_tools_test_rmqadmin_DEPENDENCIES = $(TOOLS_IT_DEPS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/tools/test-rmq-bench
TESTS += tests/tools/test-rmq-bench
tests_tools_test_rmq_bench_SOURCES = tests/tools/test-rmq-bench.c $(TOOLS_IT_SUPPORT)
tests_tools_test_rmq_bench_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_tools_test_rmq_bench_LDADD = $(CLIENT_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_tools_test_rmq_bench_DEPENDENCIES = $(TOOLS_IT_DEPS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/tools/test-client-lib
TESTS += tests/tools/test-client-lib
tests_tools_test_client_lib_SOURCES = tests/tools/test-client-lib.c \
	tests/broker/harness.c tests/broker/harness.h
tests_tools_test_client_lib_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_tools_test_client_lib_LDADD = $(CLIENT_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_tools_test_client_lib_DEPENDENCIES = src/broker/rmq-broker src/namesrv/rmq-namesrv
endif
