# src/ha: classic master/slave replication (docs/protocol.md §12) as a
# library: the wire format, the master's HA service, the slave's HA client
# and the slave's metadata sync.  Tests under tests/ha/.
noinst_LIBRARIES += src/ha/libha.a
src_ha_libha_a_SOURCES = \
	src/ha/ha_wire.c src/ha/ha_wire.h \
	src/ha/ha_master.c src/ha/ha_master.h \
	src/ha/ha_slave.c src/ha/ha_slave.h \
	src/ha/slave_sync.c src/ha/slave_sync.h \
	src/ha/ha_service.c src/ha/ha_service.h

HA_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
# libha.a with everything it builds on (the slave sync uses the broker's
# metadata tables and the remoting client)
HA_LIBS = src/ha/libha.a src/broker/libbrokermeta.a src/store/libstore.a \
	src/remoting/libnet.a src/model/libmodel.a src/remoting/libcodec.a $(RMQ_PKG_LIBS)
HA_TEST_LDADD = $(HA_LIBS) $(CMOCKA_LIBS)

if HAVE_CMOCKA
check_PROGRAMS += tests/ha/test-ha-wire tests/ha/test-ha-replication tests/ha/ha-slave-helper
TESTS += tests/ha/test-ha-wire tests/ha/test-ha-replication
tests_ha_test_ha_wire_SOURCES = tests/ha/test-ha-wire.c
tests_ha_test_ha_wire_CFLAGS = $(HA_TEST_CFLAGS)
tests_ha_test_ha_wire_LDADD = $(HA_TEST_LDADD)
tests_ha_test_ha_replication_SOURCES = tests/ha/test-ha-replication.c tests/ha/ha-test-util.h
tests_ha_test_ha_replication_CFLAGS = $(HA_TEST_CFLAGS)
tests_ha_test_ha_replication_LDADD = $(HA_TEST_LDADD)
EXTRA_tests_ha_test_ha_replication_DEPENDENCIES = tests/ha/ha-slave-helper
# run by test-ha-replication as a separate process it can SIGSTOP and kill
check_PROGRAMS += tests/ha/test-slave-sync
TESTS += tests/ha/test-slave-sync
tests_ha_test_slave_sync_SOURCES = tests/ha/test-slave-sync.c tests/ha/ha-test-util.h
tests_ha_test_slave_sync_CFLAGS = $(HA_TEST_CFLAGS)
tests_ha_test_slave_sync_LDADD = $(HA_TEST_LDADD)
tests_ha_ha_slave_helper_SOURCES = tests/ha/ha-slave-helper.c
tests_ha_ha_slave_helper_LDADD = $(HA_LIBS)
endif

# Daemon-level port checks: real rmq-broker / rmq-namesrv through the broker
# tests' harness.
if HAVE_CMOCKA
check_PROGRAMS += tests/ha/test-ha-ports
TESTS += tests/ha/test-ha-ports
tests_ha_test_ha_ports_SOURCES = tests/ha/test-ha-ports.c \
	tests/broker/harness.c tests/broker/harness.h
tests_ha_test_ha_ports_CFLAGS = $(HA_TEST_CFLAGS)
tests_ha_test_ha_ports_LDADD = tests/support/libtestsupport.a src/common/libconf.a $(HA_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_ha_test_ha_ports_DEPENDENCIES = src/broker/rmq-broker src/namesrv/rmq-namesrv
endif

# The six-daemon cluster of etc/rocketmq/ on loopback (and a SYNC_MASTER
# pair), through the project's C client and the broker tests' harness.
if HAVE_CMOCKA
check_PROGRAMS += tests/cluster/test-cluster
TESTS += tests/cluster/test-cluster
tests_cluster_test_cluster_SOURCES = tests/cluster/test-cluster.c \
	tests/broker/harness.c tests/broker/harness.h
tests_cluster_test_cluster_CFLAGS = $(HA_TEST_CFLAGS)
tests_cluster_test_cluster_LDADD = tests/support/libtestsupport.a src/client/librmqclient.a $(RMQ_PKG_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_cluster_test_cluster_DEPENDENCIES = src/broker/rmq-broker src/namesrv/rmq-namesrv
endif

# Benchmark helper (bench/ha/run.sh): replication lag between a master and
# its slave, polled together.  Built by `make`, never run by `make check`.
noinst_PROGRAMS += bench/ha/ha-lag
bench_ha_ha_lag_SOURCES = bench/ha/ha-lag.c
bench_ha_ha_lag_LDADD = src/remoting/libnet.a src/remoting/libcodec.a $(RMQ_PKG_LIBS)
EXTRA_DIST += bench/ha/run.sh
