# src/acl: RocketMQ's plain ACL: address patterns, request signatures,
# plain_acl.yml and the allow/deny decision (pure, no I/O but reading the file).
noinst_LIBRARIES += src/acl/libacl.a
src_acl_libacl_a_SOURCES = \
	src/acl/address.c src/acl/address.h \
	src/acl/sign.c src/acl/sign.h \
	src/acl/plain_config.c src/acl/plain_config.h \
	src/acl/plain_edit.c src/acl/plain_edit.h \
	src/acl/check.c src/acl/check.h
src_acl_libacl_a_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS)

ACL_TEST_LIBS = src/acl/libacl.a src/remoting/libcodec.a $(YAML_LIBS) $(GLIB_LIBS) $(JSON_LIBS) -lm

if HAVE_CMOCKA
check_PROGRAMS += tests/acl/test-acl
TESTS += tests/acl/test-acl
tests_acl_test_acl_SOURCES = tests/acl/test-acl.c
tests_acl_test_acl_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_acl_test_acl_CPPFLAGS = $(AM_CPPFLAGS) -DRMQ_TEST_SRCDIR=\"$(abs_top_srcdir)\"
tests_acl_test_acl_LDADD = $(ACL_TEST_LIBS) $(CMOCKA_LIBS)
endif

# The console signing its requests to a broker with aclEnable (accessKey,
# secretKeyFile); here rather than in src/console/local.mk: an ACL test that
# runs the console, the name server and the broker.
if HAVE_CMOCKA
check_PROGRAMS += tests/console/test-console-acl
TESTS += tests/console/test-console-acl
tests_console_test_console_acl_SOURCES = tests/console/test-console-acl.c $(BROKER_IT_SUPPORT)
tests_console_test_console_acl_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(YAML_CFLAGS)
tests_console_test_console_acl_LDADD = src/acl/libacl.a $(BROKER_IT_LIBS) $(YAML_LIBS)
EXTRA_tests_console_test_console_acl_DEPENDENCIES = src/console/rmq-console \
	src/namesrv/rmq-namesrv src/broker/rmq-broker
endif
