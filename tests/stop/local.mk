# Stop and restart in every order (tests/stop/test-stop.c): the real name
# server and broker, the broker tests' harness and the project's C client.
if HAVE_CMOCKA
check_PROGRAMS += tests/stop/test-stop
TESTS += tests/stop/test-stop
tests_stop_test_stop_SOURCES = tests/stop/test-stop.c \
	tests/broker/harness.c tests/broker/harness.h
tests_stop_test_stop_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_stop_test_stop_LDADD = tests/support/libtestsupport.a src/client/librmqclient.a \
	$(RMQ_PKG_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_stop_test_stop_DEPENDENCIES = src/broker/rmq-broker src/namesrv/rmq-namesrv
endif

# A name server restart must not move a topic to another broker (the
# producer keeps its route; found by tests/chaos). ~35 s.
if HAVE_CMOCKA
check_PROGRAMS += tests/stop/test-ns-restart
TESTS += tests/stop/test-ns-restart
tests_stop_test_ns_restart_SOURCES = tests/stop/test-ns-restart.c \
	tests/broker/harness.c tests/broker/harness.h
tests_stop_test_ns_restart_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_stop_test_ns_restart_LDADD = tests/support/libtestsupport.a src/client/librmqclient.a \
	$(RMQ_PKG_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_stop_test_ns_restart_DEPENDENCIES = src/broker/rmq-broker src/namesrv/rmq-namesrv
endif
