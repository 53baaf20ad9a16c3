# src/common: logging, sd_notify, the daemon lifecycle shared by both daemons.
noinst_LIBRARIES += src/common/libcommon.a
src_common_libcommon_a_SOURCES = \
	src/common/log.c src/common/log.h \
	src/common/notify.c src/common/notify.h \
	src/common/daemon.c src/common/daemon.h
