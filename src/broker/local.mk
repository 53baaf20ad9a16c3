# src/broker metadata tables (topics, subscription groups, offsets) and their
# crash-safe JSON files: pure modules the broker daemon builds on.
noinst_LIBRARIES += src/broker/libbrokermeta.a
src_broker_libbrokermeta_a_SOURCES = \
	src/broker/json_file.c src/broker/json_file.h \
	src/broker/meta_table.c src/broker/meta_table.h \
	src/broker/topic_config.c src/broker/topic_config.h \
	src/broker/subscription_group.c src/broker/subscription_group.h \
	src/broker/consumer_offset.c src/broker/consumer_offset.h \
	src/broker/delay_offset.c src/broker/delay_offset.h \
	src/broker/flow_control.c src/broker/flow_control.h

BROKERMETA_TEST_LIBS = src/broker/libbrokermeta.a src/model/libmodel.a src/remoting/libcodec.a \
	$(RMQ_PKG_LIBS) $(CMOCKA_LIBS)

if HAVE_CMOCKA
check_PROGRAMS += tests/broker/test-topic-config tests/broker/test-subscription-group \
	tests/broker/test-consumer-offset tests/broker/test-json-file
TESTS += tests/broker/test-topic-config tests/broker/test-subscription-group \
	tests/broker/test-consumer-offset tests/broker/test-json-file
tests_broker_test_topic_config_SOURCES = tests/broker/test-topic-config.c tests/broker/meta-test-util.h
tests_broker_test_topic_config_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_broker_test_topic_config_LDADD = $(BROKERMETA_TEST_LIBS)
tests_broker_test_subscription_group_SOURCES = tests/broker/test-subscription-group.c tests/broker/meta-test-util.h
tests_broker_test_subscription_group_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_broker_test_subscription_group_LDADD = $(BROKERMETA_TEST_LIBS)
tests_broker_test_consumer_offset_SOURCES = tests/broker/test-consumer-offset.c tests/broker/meta-test-util.h
tests_broker_test_consumer_offset_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_broker_test_consumer_offset_LDADD = $(BROKERMETA_TEST_LIBS)
tests_broker_test_json_file_SOURCES = tests/broker/test-json-file.c tests/broker/meta-test-util.h
tests_broker_test_json_file_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_broker_test_json_file_LDADD = $(BROKERMETA_TEST_LIBS)
check_PROGRAMS += tests/broker/test-flow-control
TESTS += tests/broker/test-flow-control
tests_broker_test_flow_control_SOURCES = tests/broker/test-flow-control.c
tests_broker_test_flow_control_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_broker_test_flow_control_LDADD = $(BROKERMETA_TEST_LIBS)
endif

# The broker daemon (rmq-broker): everything but main() in libbroker.a so the
# integration tests link and run the code the daemon runs.
noinst_LIBRARIES += src/broker/libbroker.a
src_broker_libbroker_a_SOURCES = \
	src/broker/settings.c src/broker/settings.h \
	src/broker/broker.c src/broker/broker.h \
	src/broker/namesrv_link.c src/broker/namesrv_link.h \
	src/broker/client_registry.c src/broker/client_registry.h \
	src/broker/long_poll.c src/broker/long_poll.h \
	src/broker/processor_send.c src/broker/processor_reply.c src/broker/processor_pull.c \
	src/broker/processor_client.c src/broker/processor_query.c \
	src/broker/processor_admin.c src/broker/processor_retry.c \
	src/broker/processor_transaction.c src/broker/processor_consumer_admin.c \
	src/broker/processor_store_admin.c src/broker/processor_stats.c src/broker/stats.c src/broker/stats.h \
	src/broker/store_stats.c src/broker/store_stats.h \
	src/broker/commands.c src/broker/commands.h src/broker/send.h \
	src/broker/acl_guard.c src/broker/acl_guard.h src/broker/processor_acl.c \
	src/broker/schedule_service.c src/broker/schedule_service.h \
	src/broker/transaction_check.c src/broker/transaction_check.h \
	src/broker/flow_control_hook.c

BROKER_LIBS = src/broker/libbroker.a src/filter/libfilter.a src/ha/libha.a src/broker/libbrokermeta.a src/store/libstore.a \
	src/common/libcommon.a src/common/libconf.a src/acl/libacl.a \
	src/remoting/libnet.a src/model/libmodel.a src/remoting/libcodec.a $(RMQ_PKG_LIBS) $(YAML_LIBS)

sbin_PROGRAMS += src/broker/rmq-broker
src_broker_rmq_broker_SOURCES = src/broker/main.c
src_broker_rmq_broker_LDADD = $(BROKER_LIBS)

# Integration tests: real rmq-namesrv + rmq-broker on free loopback ports.
if HAVE_CMOCKA
BROKER_IT = tests/broker/test-broker-core
check_PROGRAMS += $(BROKER_IT)
TESTS += $(BROKER_IT)
BROKER_IT_SUPPORT = tests/broker/harness.c tests/broker/harness.h
BROKER_ACL_SUPPORT = $(BROKER_IT_SUPPORT) tests/broker/acl-support.c tests/broker/acl-support.h
BROKER_IT_LIBS = tests/support/libtestsupport.a src/store/libstore.a src/remoting/libnet.a src/model/libmodel.a src/remoting/libcodec.a \
	$(RMQ_PKG_LIBS) $(CMOCKA_LIBS)
tests_broker_test_broker_core_SOURCES = tests/broker/test-broker-core.c $(BROKER_IT_SUPPORT)
tests_broker_test_broker_core_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_broker_test_broker_core_LDADD = $(BROKER_IT_LIBS)
EXTRA_tests_broker_test_broker_core_DEPENDENCIES = src/broker/rmq-broker src/namesrv/rmq-namesrv
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/broker/test-broker-address
TESTS += tests/broker/test-broker-address
tests_broker_test_broker_address_SOURCES = tests/broker/test-broker-address.c $(BROKER_IT_SUPPORT)
tests_broker_test_broker_address_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_broker_test_broker_address_LDADD = $(BROKER_IT_LIBS)
EXTRA_tests_broker_test_broker_address_DEPENDENCIES = src/broker/rmq-broker src/namesrv/rmq-namesrv
check_PROGRAMS += tests/broker/test-broker-flow
TESTS += tests/broker/test-broker-flow
tests_broker_test_broker_flow_SOURCES = tests/broker/test-broker-flow.c $(BROKER_IT_SUPPORT)
tests_broker_test_broker_flow_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_broker_test_broker_flow_LDADD = $(BROKER_IT_LIBS)
EXTRA_tests_broker_test_broker_flow_DEPENDENCIES = src/broker/rmq-broker
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/broker/test-broker-clock
TESTS += tests/broker/test-broker-clock
tests_broker_test_broker_clock_SOURCES = tests/broker/test-broker-clock.c $(BROKER_IT_SUPPORT)
tests_broker_test_broker_clock_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_broker_test_broker_clock_LDADD = $(BROKER_IT_LIBS)
EXTRA_tests_broker_test_broker_clock_DEPENDENCIES = src/broker/rmq-broker
check_PROGRAMS += tests/broker/test-broker-admin
TESTS += tests/broker/test-broker-admin
tests_broker_test_broker_admin_SOURCES = tests/broker/test-broker-admin.c $(BROKER_IT_SUPPORT)
tests_broker_test_broker_admin_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_broker_test_broker_admin_LDADD = $(BROKER_IT_LIBS)
EXTRA_tests_broker_test_broker_admin_DEPENDENCIES = src/broker/rmq-broker src/namesrv/rmq-namesrv
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/broker/test-broker-parity
TESTS += tests/broker/test-broker-parity
tests_broker_test_broker_parity_SOURCES = tests/broker/test-broker-parity.c $(BROKER_IT_SUPPORT)
tests_broker_test_broker_parity_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_broker_test_broker_parity_LDADD = $(BROKER_IT_LIBS)
EXTRA_tests_broker_test_broker_parity_DEPENDENCIES = src/broker/rmq-broker src/namesrv/rmq-namesrv
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/broker/test-broker-reload
TESTS += tests/broker/test-broker-reload
tests_broker_test_broker_reload_SOURCES = tests/broker/test-broker-reload.c $(BROKER_IT_SUPPORT)
tests_broker_test_broker_reload_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_broker_test_broker_reload_LDADD = src/common/libconf.a $(BROKER_IT_LIBS)
EXTRA_tests_broker_test_broker_reload_DEPENDENCIES = src/broker/rmq-broker
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/broker/test-broker-retry
TESTS += tests/broker/test-broker-retry
tests_broker_test_broker_retry_SOURCES = tests/broker/test-broker-retry.c $(BROKER_IT_SUPPORT)
tests_broker_test_broker_retry_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_broker_test_broker_retry_LDADD = $(BROKER_IT_LIBS)
EXTRA_tests_broker_test_broker_retry_DEPENDENCIES = src/broker/rmq-broker
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/broker/test-broker-trans
TESTS += tests/broker/test-broker-trans
tests_broker_test_broker_trans_SOURCES = tests/broker/test-broker-trans.c $(BROKER_IT_SUPPORT)
tests_broker_test_broker_trans_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_broker_test_broker_trans_LDADD = $(BROKER_IT_LIBS)
EXTRA_tests_broker_test_broker_trans_DEPENDENCIES = src/broker/rmq-broker
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/broker/test-broker-units
TESTS += tests/broker/test-broker-units
tests_broker_test_broker_units_SOURCES = tests/broker/test-broker-units.c
tests_broker_test_broker_units_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_broker_test_broker_units_LDADD = $(BROKER_LIBS) $(CMOCKA_LIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/broker/test-stats
TESTS += tests/broker/test-stats
tests_broker_test_stats_SOURCES = tests/broker/test-stats.c
tests_broker_test_stats_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_broker_test_stats_LDADD = $(BROKER_LIBS) $(CMOCKA_LIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/broker/test-store-stats
TESTS += tests/broker/test-store-stats
tests_broker_test_store_stats_SOURCES = tests/broker/test-store-stats.c
tests_broker_test_store_stats_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_broker_test_store_stats_LDADD = $(BROKER_LIBS) $(CMOCKA_LIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/broker/test-send-steps
TESTS += tests/broker/test-send-steps
tests_broker_test_send_steps_SOURCES = tests/broker/test-send-steps.c
tests_broker_test_send_steps_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_broker_test_send_steps_LDADD = tests/support/libtestsupport.a $(BROKER_LIBS) $(CMOCKA_LIBS)
endif

# Plain ACL over the socket: every permission row, signatures, the file watch.
if HAVE_CMOCKA
check_PROGRAMS += tests/broker/test-broker-acl
TESTS += tests/broker/test-broker-acl
tests_broker_test_broker_acl_SOURCES = tests/broker/test-broker-acl.c $(BROKER_ACL_SUPPORT)
tests_broker_test_broker_acl_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_broker_test_broker_acl_LDADD = src/acl/libacl.a $(BROKER_IT_LIBS)
EXTRA_tests_broker_test_broker_acl_DEPENDENCIES = src/broker/rmq-broker
check_PROGRAMS += tests/broker/test-broker-acl-admin
TESTS += tests/broker/test-broker-acl-admin
tests_broker_test_broker_acl_admin_SOURCES = tests/broker/test-broker-acl-admin.c $(BROKER_ACL_SUPPORT)
tests_broker_test_broker_acl_admin_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(YAML_CFLAGS)
tests_broker_test_broker_acl_admin_LDADD = src/acl/libacl.a $(BROKER_IT_LIBS) $(YAML_LIBS)
EXTRA_tests_broker_test_broker_acl_admin_DEPENDENCIES = src/broker/rmq-broker
endif

# SQL92 property filters end to end, the client library included.
if HAVE_CMOCKA
check_PROGRAMS += tests/broker/test-broker-sql92
TESTS += tests/broker/test-broker-sql92
tests_broker_test_broker_sql92_SOURCES = tests/broker/test-broker-sql92.c $(BROKER_IT_SUPPORT)
tests_broker_test_broker_sql92_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_broker_test_broker_sql92_LDADD = tests/support/libtestsupport.a $(CLIENT_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_broker_test_broker_sql92_DEPENDENCIES = src/broker/rmq-broker src/namesrv/rmq-namesrv
endif
