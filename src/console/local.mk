# src/console: rmq-console, the web console (pages, JSON API under /api/,
# Prometheus /metrics) on libsoup-3.0 and the C client library. Everything
# but main() is in libconsole.a so the tests link the code the daemon runs.
console_resources = \
	src/console/resources/index.html src/console/resources/topics.html \
	src/console/resources/groups.html src/console/resources/producers.html \
	src/console/resources/messages.html src/console/resources/dlq.html \
	src/console/resources/tps.html src/console/resources/dashboard.html \
	src/console/resources/namesrv.html src/console/resources/trace.html src/console/resources/app.css \
	src/console/resources/app.js src/console/resources/i18n/en.json \
	src/console/resources/acl.html src/console/resources/acl.js \
	src/console/resources/partials/header.html \
	src/console/resources/i18n/zh-CN.json

noinst_LIBRARIES += src/console/libconsole.a
src_console_libconsole_a_SOURCES = \
	src/console/console.h src/console/console.c src/console/api.c src/console/metrics.c \
	src/console/listener.c src/console/listener.h \
	src/console/acl.c src/console/acl.h
nodist_src_console_libconsole_a_SOURCES = src/console/resources.c
src_console_libconsole_a_CFLAGS = $(AM_CFLAGS) $(SOUP_CFLAGS)

# The pages are compiled into the binary: nothing to install beside it.
src/console/resources.c: $(srcdir)/src/console/resources/console.gresource.xml $(console_resources)
	$(AM_V_GEN)$(MKDIR_P) src/console && glib-compile-resources \
	  --sourcedir=$(srcdir)/src/console/resources --generate-source --manual-register --c-name rmq_console \
	  --target=$@ $(srcdir)/src/console/resources/console.gresource.xml
CLEANFILES += src/console/resources.c
EXTRA_DIST += src/console/resources/console.gresource.xml $(console_resources)

CONSOLE_LIBS = src/console/libconsole.a src/common/libcommon.a src/common/libconf.a \
	src/client/librmqclient.a $(SOUP_LIBS) -lcrypt $(RMQ_PKG_LIBS)

sbin_PROGRAMS += src/console/rmq-console
src_console_rmq_console_SOURCES = src/console/main.c
src_console_rmq_console_CFLAGS = $(AM_CFLAGS) $(SOUP_CFLAGS)
src_console_rmq_console_LDADD = $(CONSOLE_LIBS)

# systemd template unit (its own install rule: systemd/local.mk is not ours)
consoleunitdir = $(systemdsystemunitdir)
consoleunit_DATA = systemd/rmq-console@.service
systemd/rmq-console@.service: $(srcdir)/systemd/rmq-console@.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && $(rmq_subst) $(srcdir)/systemd/rmq-console@.service.in > $@.tmp && mv $@.tmp $@
CLEANFILES += systemd/rmq-console@.service
EXTRA_DIST += systemd/rmq-console@.service.in

consoleconfdir = $(sysconfdir)/rocketmq
dist_consoleconf_DATA = etc/rocketmq/console.conf

if HAVE_CMOCKA
# Pure parts: validation, error mapping, metric escaping, password check.
check_PROGRAMS += tests/console/test-console-units
TESTS += tests/console/test-console-units
tests_console_test_console_units_SOURCES = tests/console/test-console-units.c
tests_console_test_console_units_CFLAGS = $(AM_CFLAGS) $(SOUP_CFLAGS) $(CMOCKA_CFLAGS)
tests_console_test_console_units_LDADD = $(CONSOLE_LIBS) $(CMOCKA_LIBS)

# The API and /metrics against real rmq-namesrv, rmq-broker and rmq-console.
check_PROGRAMS += tests/console/test-console-api
TESTS += tests/console/test-console-api
tests_console_test_console_api_SOURCES = tests/console/test-console-api.c \
	tests/console/promparse.c tests/console/promparse.h
tests_console_test_console_api_CFLAGS = $(AM_CFLAGS) $(SOUP_CFLAGS) $(CMOCKA_CFLAGS)
tests_console_test_console_api_LDADD = tests/support/libtestsupport.a src/client/librmqclient.a $(SOUP_LIBS) -lcrypt $(RMQ_PKG_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_console_test_console_api_DEPENDENCIES = src/console/rmq-console \
	src/namesrv/rmq-namesrv src/broker/rmq-broker

# A producer that stays connected, and dead letters, for the browser tests.
check_PROGRAMS += tests/console/console-helper
tests_console_console_helper_SOURCES = tests/console/console-helper.c
tests_console_console_helper_LDADD = src/client/librmqclient.a $(RMQ_PKG_LIBS)
endif
EXTRA_DIST += tests/console/run.sh tests/console/browser/package.json \
	tests/console/browser/package-lock.json src/console/README.md \
	tests/console/browser/console.test.mjs
