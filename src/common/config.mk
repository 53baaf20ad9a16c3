# src/common config reader: owned by the config work.
# libconf.a: the key table, the libconfig/.properties readers, validation.
noinst_LIBRARIES += src/common/libconf.a
src_common_libconf_a_SOURCES = \
	src/common/config.c src/common/config.h \
	src/common/config-keys.c src/common/config-keys.h \
	src/common/properties.c src/common/properties.h

# sample instance configurations (installed as /etc/rocketmq/*.conf by packaging)
EXTRA_DIST += \
	etc/rocketmq/namesrv-1.conf etc/rocketmq/namesrv-2.conf \
	etc/rocketmq/broker-a.conf etc/rocketmq/broker-a-s.conf \
	etc/rocketmq/broker-b.conf etc/rocketmq/broker-b-s.conf

if HAVE_CMOCKA
check_PROGRAMS += tests/test-config
TESTS += tests/test-config
tests_test_config_SOURCES = tests/test-config.c
tests_test_config_CPPFLAGS = $(AM_CPPFLAGS) -DRMQ_TEST_SRCDIR=\"$(abs_top_srcdir)\"
tests_test_config_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
# libstore and libha for their own defaults, held to agree with the table
tests_test_config_LDADD = src/common/libconf.a $(HA_LIBS) $(CMOCKA_LIBS)
endif
