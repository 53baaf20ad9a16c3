# src/tools: rmqadmin and rmq-bench (installed), built on librmqclient.a.
bin_PROGRAMS += src/tools/rmqadmin src/tools/rmq-bench
src_tools_rmqadmin_SOURCES = src/tools/rmqadmin.c src/tools/rmqadmin.h \
	src/tools/rmqadmin-topic.c src/tools/rmqadmin-cluster.c \
	src/tools/rmqadmin-group.c src/tools/rmqadmin-message.c
src_tools_rmqadmin_LDADD = $(CLIENT_LIBS)

src_tools_rmq_bench_SOURCES = src/tools/rmq-bench.c
src_tools_rmq_bench_LDADD = $(CLIENT_LIBS)
