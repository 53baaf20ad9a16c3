# src/remoting: the connection layer on the GLib main loop (connection, server,
# client). Builds on libcodec.a (command/codec).
noinst_LIBRARIES += src/remoting/libnet.a
src_remoting_libnet_a_SOURCES = \
	src/remoting/fd_poller.c src/remoting/fd_poller.h \
	src/remoting/connection.c src/remoting/connection.h \
	src/remoting/server.c src/remoting/server.h \
	src/remoting/client.c src/remoting/client.h \
	src/remoting/tls.c src/remoting/tls.h \
	src/remoting/tls_config.c src/remoting/tls_config.h

if HAVE_CMOCKA
check_PROGRAMS += tests/test-server tests/test-client tests/test-tls-conn
TESTS += tests/test-server tests/test-client tests/test-tls-conn

tests_test_server_SOURCES = tests/test-server.c \
	tests/support/net-util.c tests/support/net-util.h
tests_test_server_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_test_server_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_server_LDADD = src/remoting/libnet.a src/remoting/libcodec.a \
	$(RMQ_PKG_LIBS) $(CMOCKA_LIBS)

tests_test_client_SOURCES = tests/test-client.c \
	tests/support/net-util.c tests/support/net-util.h
tests_test_client_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_test_client_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_client_LDADD = src/remoting/libnet.a src/remoting/libcodec.a \
	$(RMQ_PKG_LIBS) $(CMOCKA_LIBS)

tests_test_tls_conn_SOURCES = tests/test-tls-conn.c \
	tests/support/net-util.c tests/support/net-util.h
tests_test_tls_conn_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_test_tls_conn_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_tls_conn_LDADD = src/remoting/libnet.a src/remoting/libcodec.a \
	$(RMQ_PKG_LIBS) $(CMOCKA_LIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/remoting/test-fd-poller
TESTS += tests/remoting/test-fd-poller
tests_remoting_test_fd_poller_SOURCES = tests/remoting/test-fd-poller.c
tests_remoting_test_fd_poller_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_remoting_test_fd_poller_LDADD = src/remoting/libnet.a src/remoting/libcodec.a \
	$(RMQ_PKG_LIBS) $(CMOCKA_LIBS)
endif
