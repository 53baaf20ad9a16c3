# src/remoting codec: frames, headers, codes and JSON body helpers (pure, no I/O).
noinst_LIBRARIES += src/remoting/libcodec.a
src_remoting_libcodec_a_SOURCES = \
	src/remoting/command.c src/remoting/command.h \
	src/remoting/codec.c src/remoting/codec.h \
	src/remoting/codes.c src/remoting/codes.h \
	src/remoting/json_header.c src/remoting/json_header.h \
	src/remoting/json_header_fast.c \
	src/remoting/json_text.c src/remoting/json_text.h \
	src/remoting/json_body.c src/remoting/json_body.h

CODEC_TEST_LIBS = src/remoting/libcodec.a $(GLIB_LIBS) $(JSON_LIBS) -lm

if HAVE_CMOCKA
check_PROGRAMS += tests/test-codec tests/test-command tests/test-json-body
TESTS += tests/test-codec tests/test-command tests/test-json-body
tests_test_codec_SOURCES = tests/test-codec.c
tests_test_codec_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_codec_LDADD = $(CODEC_TEST_LIBS) $(CMOCKA_LIBS)
tests_test_command_SOURCES = tests/test-command.c
tests_test_command_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_command_LDADD = $(CODEC_TEST_LIBS) $(CMOCKA_LIBS)
tests_test_json_body_SOURCES = tests/test-json-body.c
tests_test_json_body_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_test_json_body_LDADD = $(CODEC_TEST_LIBS) $(CMOCKA_LIBS)
endif
