# src/remoting codec: frames, headers, codes and JSON body helpers (pure, no I/O).
noinst_LIBRARIES += src/remoting/libcodec.a
src_remoting_libcodec_a_SOURCES = \
	src/remoting/command.c src/remoting/command.h src/remoting/command_private.h \
	src/remoting/codec.c src/remoting/codec.h \
	src/remoting/codes.c src/remoting/codes.h \
	src/remoting/json_header.c src/remoting/json_header.h \
	src/remoting/json_header_fast.c src/remoting/json_scan.h \
	src/remoting/json_text.c src/remoting/json_text.h \
	src/remoting/json_body.c src/remoting/json_body.h \
	src/common/ratelimit.c src/common/ratelimit.h

CODEC_TEST_LIBS = src/remoting/libcodec.a $(GLIB_LIBS) $(JSON_LIBS) -lm

if HAVE_CMOCKA
check_PROGRAMS += tests/test-codec tests/test-command tests/test-json-body tests/test-ratelimit
TESTS += tests/test-codec tests/test-command tests/test-json-body tests/test-ratelimit
tests_test_ratelimit_SOURCES = tests/test-ratelimit.c
tests_test_ratelimit_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_ratelimit_LDADD = $(CODEC_TEST_LIBS) $(CMOCKA_LIBS)
tests_test_codec_SOURCES = tests/test-codec.c
tests_test_codec_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_codec_LDADD = $(CODEC_TEST_LIBS) $(CMOCKA_LIBS)
tests_test_command_SOURCES = tests/test-command.c
tests_test_command_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_command_LDADD = $(CODEC_TEST_LIBS) $(CMOCKA_LIBS)
tests_test_json_body_SOURCES = tests/test-json-body.c
tests_test_json_body_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_json_body_LDADD = $(CODEC_TEST_LIBS) $(CMOCKA_LIBS)
# the fast paths of bench/perf (in-place strings, ext arena, integer text)
check_PROGRAMS += tests/remoting/test-codec-fastpaths
TESTS += tests/remoting/test-codec-fastpaths
tests_remoting_test_codec_fastpaths_SOURCES = tests/remoting/test-codec-fastpaths.c
tests_remoting_test_codec_fastpaths_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_remoting_test_codec_fastpaths_LDADD = $(CODEC_TEST_LIBS) $(CMOCKA_LIBS)
endif

# Throughput of the codec (not run by make check; see bench/README.md).
noinst_PROGRAMS += bench/bench-codec
bench_bench_codec_SOURCES = bench/bench-codec.c
bench_bench_codec_LDADD = $(CODEC_TEST_LIBS)
EXTRA_DIST += bench/README.md

# libFuzzer run over the codec: `make fuzz-codec [FUZZ_SECONDS=n]`. Built
# straight from the sources with clang's sanitizers, never part of `all`.
FUZZ_SECONDS = 60
FUZZ_CC = clang
CODEC_FUZZ_SRC = tests/fuzz/fuzz-codec.c \
	src/remoting/command.c src/remoting/codec.c src/remoting/codes.c \
	src/remoting/json_header.c src/remoting/json_header_fast.c \
	src/remoting/json_text.c src/remoting/json_body.c
EXTRA_DIST += tests/fuzz/fuzz-codec.c tests/fuzz/corpus
CLEANFILES += tests/fuzz/fuzz-codec
.PHONY: fuzz-codec
fuzz-codec:
	@$(MKDIR_P) tests/fuzz
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Wall -Wextra -Wno-unused-parameter \
		-I$(top_srcdir)/src -I$(top_builddir) -D_GNU_SOURCE $(GLIB_CFLAGS) $(JSON_CFLAGS) \
		$(addprefix $(srcdir)/,$(CODEC_FUZZ_SRC)) -o tests/fuzz/fuzz-codec \
		$(GLIB_LIBS) $(JSON_LIBS) -lm
	@work=`mktemp -d` && cp $(srcdir)/tests/fuzz/corpus/* "$$work"/ && chmod u+w "$$work"/* && \
	./tests/fuzz/fuzz-codec -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		-artifact_prefix=tests/fuzz/ "$$work"; rc=$$?; rm -rf "$$work"; exit $$rc
