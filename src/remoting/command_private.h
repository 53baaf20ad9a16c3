/* Inside libcodec only: the ext-field append its decoders inline, so a
 * header's dozen fields cost no call each (command.c keeps the rest). */
#pragma once

#include "remoting/command.h"

G_BEGIN_DECLS

/* Past the room made at creation (a header of many fields). */
void rmq_command_ext_push_grow(RmqCommand *cmd, gchar *key, gsize key_len, gchar *value,
                               gsize value_len, gboolean plain);

/* Append a field whose text already lies in @cmd's arena (NUL-terminated). */
static inline void
rmq_command_ext_push(RmqCommand *cmd, gchar *key, gsize key_len, gchar *value, gsize value_len,
                     gboolean plain)
{
    /* Within the room made at creation the slot is written in place:
     * g_array_append_val costs a call and a memcpy per field. */
    GArray *ext = cmd->ext;
    if (G_UNLIKELY(ext->len >= cmd->ext_room)) {
        rmq_command_ext_push_grow(cmd, key, key_len, value, value_len, plain);
        return;
    }
    RmqExtField *f = &g_array_index(ext, RmqExtField, ext->len);
    ext->len++;
    f->key = key;
    f->value = value;
    f->key_len = (guint32) key_len;
    f->value_len = (guint32) value_len;
    f->plain = plain;
}

G_END_DECLS
