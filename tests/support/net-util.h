/* Helpers for loopback network tests: free ports, bounded main-loop waits and
 * a raw (non-RmqConnection) socket peer that can send arbitrary bytes. */
#pragma once

#include <gio/gio.h>
#include "remoting/command.h"

G_BEGIN_DECLS

/* A TCP port on 127.0.0.1 that nothing listened on a moment ago. */
guint16 rmq_test_free_port(void);

/* Iterate @ctx (NULL = default) until *@flag is TRUE or @timeout_ms passes.
 * Returns *@flag, so a broken test fails instead of hanging. */
gboolean rmq_test_wait_flag(GMainContext *ctx, const gboolean *flag, guint timeout_ms);
/* Same for "*@counter >= @target". */
gboolean rmq_test_wait_count(GMainContext *ctx, const guint *counter, guint target,
                             guint timeout_ms);
/* Iterate @ctx for @ms milliseconds regardless. */
void rmq_test_spin(GMainContext *ctx, guint ms);

/* Connected, non-blocking socket to 127.0.0.1:@port. (transfer full) */
GSocket *rmq_test_raw_connect(guint16 port);
/* Write all of @data, iterating @ctx while the socket is full. FALSE on error
 * or when @timeout_ms passes. */
gboolean rmq_test_raw_write(GMainContext *ctx, GSocket *socket, const void *data, gsize len,
                            guint timeout_ms);
/* Read the next whole frame (keeping leftovers in @buf), iterating @ctx
 * meanwhile. NULL on EOF, error, timeout or undecodable data. (transfer full) */
RmqCommand *rmq_test_raw_read_command(GMainContext *ctx, GSocket *socket, GByteArray *buf,
                                      guint timeout_ms);
/* Read until @buf holds at least @n bytes. */
gboolean rmq_test_raw_read_at_least(GMainContext *ctx, GSocket *socket, GByteArray *buf, gsize n,
                                    guint timeout_ms);
/* TRUE once the peer closed (EOF or reset), discarding any data; FALSE on timeout. */
gboolean rmq_test_raw_wait_closed(GMainContext *ctx, GSocket *socket, guint timeout_ms);
/* TRUE if nothing arrives within @ms (and the socket stays open). */
gboolean rmq_test_raw_expect_silence(GMainContext *ctx, GSocket *socket, GByteArray *buf,
                                     guint ms);

G_END_DECLS
