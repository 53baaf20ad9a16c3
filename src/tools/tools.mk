# src/tools: rmqadmin and rmq-bench (installed), built on librmqclient.a.
bin_PROGRAMS += src/tools/rmqadmin src/tools/rmq-bench
src_tools_rmqadmin_SOURCES = src/tools/rmqadmin.c src/tools/rmqadmin.h \
	src/tools/rmqadmin-topic.c src/tools/rmqadmin-cluster.c \
	src/tools/rmqadmin-group.c src/tools/rmqadmin-message.c \
	src/tools/rmqadmin-maint.c src/tools/rmqadmin-trace.c src/tools/rmqadmin-acl.c \
	src/tools/rmqadmin-offset.c src/tools/rmqadmin-print.c \
	src/tools/rmqadmin-export.c \
	src/tools/credentials.c src/tools/credentials.h \
	src/tools/tls_option.c src/tools/tls_option.h
src_tools_rmqadmin_LDADD = $(CLIENT_LIBS)

src_tools_rmq_bench_SOURCES = src/tools/rmq-bench.c src/tools/bench-histo.c src/tools/bench-histo.h \
	src/tools/credentials.c src/tools/credentials.h \
	src/tools/tls_option.c src/tools/tls_option.h
src_tools_rmq_bench_LDADD = $(CLIENT_LIBS)

# Man pages of the tools and the daemons (plain troff, kept by hand next to
# the --help texts they follow).
dist_man1_MANS = man/rmqadmin.1 man/rmq-bench.1
dist_man8_MANS = man/rmq-namesrv.8 man/rmq-broker.8 man/rmq-console.8

# bash completion, installed under the command names bash-completion looks up.
bashcompletiondir = $(datadir)/bash-completion/completions
bashcompletion_DATA = completion/rmqadmin completion/rmq-bench
completion/rmqadmin: $(srcdir)/completion/rmqadmin.bash
	$(AM_V_GEN)$(MKDIR_P) completion && cp $(srcdir)/completion/rmqadmin.bash $@
completion/rmq-bench: $(srcdir)/completion/rmq-bench.bash
	$(AM_V_GEN)$(MKDIR_P) completion && cp $(srcdir)/completion/rmq-bench.bash $@
CLEANFILES += $(bashcompletion_DATA)
EXTRA_DIST += completion/rmqadmin.bash completion/rmq-bench.bash

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
tests_tools_test_rmqadmin_LDADD = tests/support/libtestsupport.a $(CLIENT_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_tools_test_rmqadmin_DEPENDENCIES = $(TOOLS_IT_DEPS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/tools/test-rmqadmin-parity
TESTS += tests/tools/test-rmqadmin-parity
tests_tools_test_rmqadmin_parity_SOURCES = tests/tools/test-rmqadmin-parity.c $(TOOLS_IT_SUPPORT)
tests_tools_test_rmqadmin_parity_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_tools_test_rmqadmin_parity_LDADD = tests/support/libtestsupport.a $(CLIENT_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_tools_test_rmqadmin_parity_DEPENDENCIES = $(TOOLS_IT_DEPS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/tools/test-rmq-bench
TESTS += tests/tools/test-rmq-bench
tests_tools_test_rmq_bench_SOURCES = tests/tools/test-rmq-bench.c $(TOOLS_IT_SUPPORT)
tests_tools_test_rmq_bench_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_tools_test_rmq_bench_LDADD = tests/support/libtestsupport.a $(CLIENT_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_tools_test_rmq_bench_DEPENDENCIES = $(TOOLS_IT_DEPS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/tools/test-client-lib
TESTS += tests/tools/test-client-lib
tests_tools_test_client_lib_SOURCES = tests/tools/test-client-lib.c \
	tests/broker/harness.c tests/broker/harness.h
tests_tools_test_client_lib_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_tools_test_client_lib_LDADD = tests/support/libtestsupport.a $(CLIENT_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_tools_test_client_lib_DEPENDENCIES = src/broker/rmq-broker src/namesrv/rmq-namesrv
endif

# The installed header and library used the way rmq-client.pc tells others to.
if HAVE_CMOCKA
check_PROGRAMS += tests/tools/test-public-header
TESTS += tests/tools/test-public-header
tests_tools_test_public_header_SOURCES = tests/tools/test-public-header.c
tests_tools_test_public_header_CPPFLAGS = -I$(top_srcdir)/src/client
tests_tools_test_public_header_CFLAGS = -std=gnu11 $(WARN_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS) \
	$(CMOCKA_CFLAGS)
tests_tools_test_public_header_LDADD = src/client/librmqclient.a $(GLIB_LIBS) $(JSON_LIBS) $(OPENSSL_LIBS) \
	$(ZLIB_LIBS) $(CMOCKA_LIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/tools/test-bench-histo
TESTS += tests/tools/test-bench-histo
tests_tools_test_bench_histo_SOURCES = tests/tools/test-bench-histo.c \
	src/tools/bench-histo.c src/tools/bench-histo.h
tests_tools_test_bench_histo_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_tools_test_bench_histo_LDADD = $(GLIB_LIBS) $(CMOCKA_LIBS)
endif

# The counting and closing line of scripts/test.sh, on sample outputs.
TESTS += tests/test-summary.sh
EXTRA_DIST += tests/test-summary.sh scripts/test.sh

# Plain ACL: the library, rmqadmin and rmq-bench sign against an aclEnable broker.
if HAVE_CMOCKA
check_PROGRAMS += tests/tools/test-tools-acl
TESTS += tests/tools/test-tools-acl
tests_tools_test_tools_acl_SOURCES = tests/tools/test-tools-acl.c $(TOOLS_IT_SUPPORT)
tests_tools_test_tools_acl_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_tools_test_tools_acl_LDADD = tests/support/libtestsupport.a $(CLIENT_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_tools_test_tools_acl_DEPENDENCIES = $(TOOLS_IT_DEPS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/tools/test-credentials
TESTS += tests/tools/test-credentials
tests_tools_test_credentials_SOURCES = tests/tools/test-credentials.c src/tools/credentials.c
tests_tools_test_credentials_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_tools_test_credentials_LDADD = $(RMQ_PKG_LIBS) $(CMOCKA_LIBS)
endif

# Offset and consumer subcommands, with online C-client consumers.
if HAVE_CMOCKA
check_PROGRAMS += tests/tools/test-rmqadmin-consumers
TESTS += tests/tools/test-rmqadmin-consumers
tests_tools_test_rmqadmin_consumers_SOURCES = tests/tools/test-rmqadmin-consumers.c $(TOOLS_IT_SUPPORT)
tests_tools_test_rmqadmin_consumers_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_tools_test_rmqadmin_consumers_LDADD = tests/support/libtestsupport.a $(CLIENT_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_tools_test_rmqadmin_consumers_DEPENDENCIES = $(TOOLS_IT_DEPS)
endif

# Message printing and probing, exports and monitoring.
if HAVE_CMOCKA
check_PROGRAMS += tests/tools/test-rmqadmin-messages
TESTS += tests/tools/test-rmqadmin-messages
tests_tools_test_rmqadmin_messages_SOURCES = tests/tools/test-rmqadmin-messages.c $(TOOLS_IT_SUPPORT)
tests_tools_test_rmqadmin_messages_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_tools_test_rmqadmin_messages_LDADD = tests/support/libtestsupport.a $(CLIENT_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_tools_test_rmqadmin_messages_DEPENDENCIES = $(TOOLS_IT_DEPS)
endif
