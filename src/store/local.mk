# src/store: the message store (commit log, consume queues, index, recovery,
# flush, retention) as a library; tests and benchmarks below.
noinst_LIBRARIES += src/store/libstore.a
src_store_libstore_a_SOURCES = \
	src/store/message_format.c src/store/message_format.h \
	src/store/store_config.c src/store/store_config.h \
	src/store/mapped_file.c src/store/mapped_file.h \
	src/store/commit_log.c src/store/commit_log.h \
	src/store/consume_queue.c src/store/consume_queue.h \
	src/store/index_file.c src/store/index_file.h \
	src/store/checkpoint.c src/store/checkpoint.h \
	src/store/dispatcher.c src/store/dispatcher.h \
	src/store/flush_service.c src/store/flush_service.h \
	src/store/store.c src/store/store.h
