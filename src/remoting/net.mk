# src/remoting: the connection layer on the GLib main loop (connection, server,
# client). Builds on libcodec.a (command/codec).
noinst_LIBRARIES += src/remoting/libnet.a
src_remoting_libnet_a_SOURCES = \
	src/remoting/connection.c src/remoting/connection.h \
	src/remoting/server.c src/remoting/server.h \
	src/remoting/client.c src/remoting/client.h

