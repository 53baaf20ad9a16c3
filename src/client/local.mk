# src/client: the C client library (producer, pull consumer, admin calls).
# librmqclient.a is self-contained (it carries the remoting and message
# format objects it needs), so it is what gets installed for other C
# programs and what the tools link.
lib_LIBRARIES += src/client/librmqclient.a
src_client_librmqclient_a_SOURCES = \
	src/client/rmq-client.h src/client/internal.h \
	src/client/core.c src/client/msg.c src/client/fastjson.c \
	src/client/producer.c src/client/consumer.c src/client/admin.c src/client/trace.c \
	src/remoting/command.c src/remoting/codec.c src/remoting/codes.c \
	src/remoting/json_header.c src/remoting/json_header_fast.c \
	src/remoting/json_text.c src/remoting/json_body.c \
	src/remoting/fd_poller.c src/remoting/connection.c src/remoting/client.c src/remoting/tls.c \
	src/common/ratelimit.c \
	src/store/message_format.c \
	src/model/message_properties.c \
	src/acl/sign.c
# Separate objects, so this library never shares .o files with libcodec.a.
src_client_librmqclient_a_CFLAGS = $(AM_CFLAGS)

rmqclientincludedir = $(includedir)/rmq
rmqclientinclude_HEADERS = src/client/rmq-client.h

CLIENT_LIBS = src/client/librmqclient.a $(RMQ_PKG_LIBS)

# Per-message text made without printf (bench/perf): hosts, UNIQ_KEY ids.
if HAVE_CMOCKA
check_PROGRAMS += tests/client/test-msg-text
TESTS += tests/client/test-msg-text
tests_client_test_msg_text_SOURCES = tests/client/test-msg-text.c
tests_client_test_msg_text_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_client_test_msg_text_LDADD = $(CLIENT_LIBS) $(CMOCKA_LIBS)
endif

# The message trace codec on text in Java's format.
if HAVE_CMOCKA
check_PROGRAMS += tests/client/test-trace-codec
TESTS += tests/client/test-trace-codec
tests_client_test_trace_codec_SOURCES = tests/client/test-trace-codec.c
tests_client_test_trace_codec_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_client_test_trace_codec_LDADD = $(CLIENT_LIBS) $(CMOCKA_LIBS)
endif

# pkg-config file, substituted here so configure.ac need not list it.
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = src/client/rmq-client.pc
src/client/rmq-client.pc: $(top_srcdir)/src/client/rmq-client.pc.in Makefile
	$(AM_V_GEN)$(MKDIR_P) src/client && sed \
	  -e 's|@prefix[@]|$(prefix)|g' -e 's|@exec_prefix[@]|$(exec_prefix)|g' \
	  -e 's|@libdir[@]|$(libdir)|g' -e 's|@includedir[@]|$(includedir)|g' \
	  -e 's|@VERSION[@]|$(VERSION)|g' $(top_srcdir)/src/client/rmq-client.pc.in > $@
CLEANFILES += src/client/rmq-client.pc
EXTRA_DIST += src/client/rmq-client.pc.in

# Request-reply against real daemons: requester, replier, the requester
# gone, the push header, storeReplyMessageEnable.
if HAVE_CMOCKA
check_PROGRAMS += tests/tools/test-request-reply
TESTS += tests/tools/test-request-reply
tests_tools_test_request_reply_SOURCES = tests/tools/test-request-reply.c \
	tests/tools/tool-run.c tests/tools/tool-run.h \
	tests/broker/harness.c tests/broker/harness.h
tests_tools_test_request_reply_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_tools_test_request_reply_LDADD = tests/support/libtestsupport.a $(CLIENT_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_tools_test_request_reply_DEPENDENCIES = src/broker/rmq-broker src/namesrv/rmq-namesrv
endif

# Message trace end to end: traced send and consumption, rmqadmin
# queryMsgTraceById.
if HAVE_CMOCKA
check_PROGRAMS += tests/tools/test-msg-trace
TESTS += tests/tools/test-msg-trace
tests_tools_test_msg_trace_SOURCES = tests/tools/test-msg-trace.c \
	tests/tools/tool-run.c tests/tools/tool-run.h \
	tests/broker/harness.c tests/broker/harness.h
tests_tools_test_msg_trace_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_tools_test_msg_trace_LDADD = tests/support/libtestsupport.a $(CLIENT_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_tools_test_msg_trace_DEPENDENCIES = src/tools/rmqadmin src/broker/rmq-broker \
	src/namesrv/rmq-namesrv
endif
