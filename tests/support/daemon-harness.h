/* Running a real project daemon (rmq-namesrv, rmq-broker) under a test: a
 * private NOTIFY_SOCKET drained by a thread, spawning with stderr appended to
 * a log file, signalling and reaping, and removing the temporary directory.
 * Each suite's harness builds its configs and request helpers on top. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The datagram socket a daemon's sd_notify() writes to. A thread reads it all
 * the time: a daemon blocks in sd_notify() once ten datagrams are unread
 * (net.unix.max_dgram_qlen), i.e. after ~50 s of STATUS= lines. */
typedef struct _RmqTestNotify RmqTestNotify;

/* Bind a socket at @path (replacing a stale one) and start the reader. */
RmqTestNotify *rmq_test_notify_new(const gchar *path);
/* The next message containing @needle (earlier ones are dropped), or NULL after
 * @timeout_ms or as soon as @proc (may be NULL) has exited. (transfer full) */
gchar *rmq_test_notify_wait(RmqTestNotify *n, const gchar *needle, GSubprocess *proc,
                            guint timeout_ms);
/* Drop the messages received so far. */
void rmq_test_notify_drain(RmqTestNotify *n);
void rmq_test_notify_free(RmqTestNotify *n);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqTestNotify, rmq_test_notify_free)

/* A loopback TCP port below the kernel's ephemeral range that was free a
 * moment ago, with port-2 (a broker's VIP channel) and port+1 (its HA port)
 * free as well, and none of the three among those of a port this process
 * picked before (not bound yet, maybe). */
guint16 rmq_test_daemon_port(void);

/* $RMQ_BUILDDIR/@relpath (the current directory without it). (transfer full) */
gchar *rmq_test_build_path(const gchar *relpath);

/* Spawn @argv with NOTIFY_SOCKET=@notify_path and no STATE_DIRECTORY,
 * WATCHDOG_USEC or NAMESRV_ADDR (the config file says it all), plus the NAME, VALUE pairs of @env (may be NULL); stderr is
 * appended to @log_path (so a report shows every run), stdout silenced, and
 * the daemon is killed if the test dies. */
GSubprocess *rmq_test_daemon_spawn(const gchar *const *argv, const gchar *notify_path,
                                   const gchar *log_path, const gchar *const *env,
                                   GError **error);
/* Wait for READY=1 from *@proc; on timeout set @error with @name and the log. */
gboolean rmq_test_daemon_wait_ready(RmqTestNotify *n, GSubprocess *proc, const gchar *name,
                                    const gchar *log_path, guint timeout_ms, GError **error);
/* Send @sig to *@proc and reap it (SIGKILL after @timeout_ms), clearing
 * *@proc. Returns the exit status, 128 + signal, or -1 (no process, timeout). */
int rmq_test_daemon_signal_and_wait(GSubprocess **proc, int sig, guint timeout_ms);
/* The whole log so far ("" when none). (transfer full) */
gchar *rmq_test_daemon_log(const gchar *log_path);
/* rm -rf @path (links are removed, not followed). */
void rmq_test_rm_rf(const gchar *path);

/* libfaketime's threaded library ($RMQ_TEST_FAKETIME, else the usual
 * places), or NULL when it is not installed. (transfer full) */
gchar *rmq_test_faketime_library(void);
/* The same, or NULL after printing TAP's "1..0 # SKIP" line for a test
 * whose main then returns 0. (transfer full) */
gchar *rmq_test_faketime_library_or_skip(void);
/* The NAME, VALUE pairs (for rmq_test_daemon_spawn) that run a daemon under
 * @lib with its wall clock (CLOCK_REALTIME) at the real time plus the offset
 * in file @clock_path, read on every call, while CLOCK_MONOTONIC stays real;
 * under ASan the preload order check is turned off. (transfer full) */
GStrv rmq_test_faketime_env(const gchar *lib, const gchar *clock_path);
/* Write @offset ("+7200", "-600", "+0") to @clock_path, by a rename. */
void rmq_test_faketime_set(const gchar *clock_path, const gchar *offset);
/* A clock file "clock" in @dir, at "+0", and the environment that runs a
 * daemon on it (rmq_test_faketime_env); *@clock_path is its path. (transfer
 * full) */
GStrv rmq_test_faketime_clock(const gchar *lib, const gchar *dir, gchar **clock_path);

G_END_DECLS
