# src/model: RocketMQ's shared types (TopicConfig, DataVersion, message
# properties), one definition used by the name server, the broker, HA, the
# store and the client. Pure: no sockets, no loop. Its JSON goes through
# src/remoting/json_body, so link libmodel.a before libcodec.a.
noinst_LIBRARIES += src/model/libmodel.a
src_model_libmodel_a_SOURCES = \
	src/model/topic_config.c src/model/topic_config.h \
	src/model/data_version.c src/model/data_version.h \
	src/model/message_properties.c src/model/message_properties.h

MODEL_LIBS = src/model/libmodel.a src/remoting/libcodec.a $(GLIB_LIBS) $(JSON_LIBS) -lm

if HAVE_CMOCKA
MODEL_TESTS = tests/model/test-topic-config-model tests/model/test-data-version \
	tests/model/test-message-properties
check_PROGRAMS += $(MODEL_TESTS)
TESTS += $(MODEL_TESTS)
tests_model_test_topic_config_model_SOURCES = tests/model/test-topic-config-model.c
tests_model_test_topic_config_model_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_model_test_topic_config_model_LDADD = $(MODEL_LIBS) $(CMOCKA_LIBS)
tests_model_test_data_version_SOURCES = tests/model/test-data-version.c
tests_model_test_data_version_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_model_test_data_version_LDADD = $(MODEL_LIBS) $(CMOCKA_LIBS)
tests_model_test_message_properties_SOURCES = tests/model/test-message-properties.c
tests_model_test_message_properties_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_model_test_message_properties_LDADD = $(MODEL_LIBS) $(CMOCKA_LIBS)
endif
