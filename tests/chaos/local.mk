# The fault-injection suite (tests/chaos/run.sh, run by scripts/test.sh as
# root; bench/soak.sh runs its workload for longer): the workload and ledger
# checker it drives through the project's C client. Built by `make`, never
# run by `make check` (it needs network namespaces).
noinst_PROGRAMS += tests/chaos/chaos-client
tests_chaos_chaos_client_SOURCES = tests/chaos/chaos-client.c
tests_chaos_chaos_client_LDADD = src/client/librmqclient.a $(RMQ_PKG_LIBS)
EXTRA_DIST += tests/chaos/run.sh tests/chaos/lib.sh bench/soak.sh
