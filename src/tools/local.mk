# src/tools: command-line tools.
# rmq-call is a developer's probe (one request, print the response), used by
# the quick-start demo; it is not installed.
noinst_PROGRAMS += src/tools/rmq-call
src_tools_rmq_call_SOURCES = src/tools/rmq-call.c
src_tools_rmq_call_LDADD = src/acl/libacl.a src/remoting/libnet.a src/remoting/libcodec.a $(RMQ_PKG_LIBS)
