# src/filter: SQL92 property filters (MessageSelector.bySql), the parser and
# evaluator of RocketMQ's filter module. Pure: no sockets, no loop.
noinst_LIBRARIES += src/filter/libfilter.a
src_filter_libfilter_a_SOURCES = src/filter/filter.c src/filter/filter.h

if HAVE_CMOCKA
check_PROGRAMS += tests/filter/test-filter
TESTS += tests/filter/test-filter
tests_filter_test_filter_SOURCES = tests/filter/test-filter.c
tests_filter_test_filter_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_filter_test_filter_LDADD = src/filter/libfilter.a $(GLIB_LIBS) -lm $(CMOCKA_LIBS)
endif
