# src/common: logging, sd_notify, the daemon lifecycle shared by both daemons.
noinst_LIBRARIES += src/common/libcommon.a
src_common_libcommon_a_SOURCES = \
	src/common/log.c src/common/log.h \
	src/common/notify.c src/common/notify.h \
	src/common/daemon.c src/common/daemon.h \
	src/common/loop_hooks.h \
	src/common/secret_file.c src/common/secret_file.h

# Test support shared by the suites (not installed).
check_LIBRARIES += tests/support/libtestsupport.a
tests_support_libtestsupport_a_SOURCES = \
	tests/support/notify-listener.c tests/support/notify-listener.h \
	tests/support/daemon-harness.c tests/support/daemon-harness.h

if HAVE_CMOCKA
check_PROGRAMS += tests/test-log tests/test-notify
TESTS += tests/test-log tests/test-notify
tests_test_log_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_log_LDADD = src/common/libcommon.a $(RMQ_PKG_LIBS) $(CMOCKA_LIBS)
tests_test_notify_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_test_notify_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_notify_LDADD = tests/support/libtestsupport.a src/common/libcommon.a \
	$(RMQ_PKG_LIBS) $(CMOCKA_LIBS)
check_PROGRAMS += tests/test-secret-file
TESTS += tests/test-secret-file
tests_test_secret_file_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_secret_file_LDADD = src/common/libcommon.a $(RMQ_PKG_LIBS) $(CMOCKA_LIBS)
endif

# The lifecycle is tested through a real process built on it.
if HAVE_CMOCKA
check_PROGRAMS += tests/support/fake-daemon tests/test-daemon
TESTS += tests/test-daemon
tests_support_fake_daemon_LDADD = src/common/libcommon.a src/common/libconf.a $(RMQ_PKG_LIBS)
tests_test_daemon_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_test_daemon_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_daemon_LDADD = tests/support/libtestsupport.a $(RMQ_PKG_LIBS) $(CMOCKA_LIBS)
endif
