# TLS on the remoting ports (tests/tls/test-tls.c): real name server and
# broker in tlsServerMode enforcing/permissive, certificates made with
# openssl(1) at run time, the project's C client over TLS. ~15 s.
if HAVE_CMOCKA
check_PROGRAMS += tests/tls/test-tls
TESTS += tests/tls/test-tls
tests_tls_test_tls_SOURCES = tests/tls/test-tls.c \
	tests/broker/harness.c tests/broker/harness.h
tests_tls_test_tls_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_tls_test_tls_LDADD = tests/support/libtestsupport.a src/client/librmqclient.a \
	$(RMQ_PKG_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_tls_test_tls_DEPENDENCIES = src/broker/rmq-broker src/namesrv/rmq-namesrv \
	src/console/rmq-console
endif
