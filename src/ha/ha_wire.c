#include <config.h>

#include "ha/ha_wire.h"

static void
put_be64(guint8 *p, gint64 v)
{
    guint64 u = (guint64) v;

    for (int i = 7; i >= 0; i--) {
        p[i] = (guint8) (u & 0xff);
        u >>= 8;
    }
}

static gint64
get_be64(const guint8 *p)
{
    guint64 u = 0;

    for (int i = 0; i < 8; i++)
        u = (u << 8) | p[i];
    return (gint64) u;
}

void
rmq_ha_wire_encode_report(guint8 out[RMQ_HA_REPORT_SIZE], gint64 max_offset)
{
    put_be64(out, max_offset);
}

gint64
rmq_ha_wire_decode_report(const guint8 in[RMQ_HA_REPORT_SIZE])
{
    return get_be64(in);
}

gsize
rmq_ha_wire_last_report(const guint8 *buf, gsize len, gint64 *last)
{
    gsize whole = len - len % RMQ_HA_REPORT_SIZE;

    if (whole > 0)
        *last = get_be64(buf + whole - RMQ_HA_REPORT_SIZE);
    return whole;
}

void
rmq_ha_wire_encode_transfer_header(guint8 out[RMQ_HA_TRANSFER_HEADER_SIZE],
                                   gint64 start_offset, gint32 size)
{
    guint32 s = (guint32) size;

    put_be64(out, start_offset);
    out[8] = (guint8) (s >> 24);
    out[9] = (guint8) (s >> 16);
    out[10] = (guint8) (s >> 8);
    out[11] = (guint8) s;
}

gboolean
rmq_ha_wire_decode_transfer_header(const guint8 *buf, gsize len,
                                   gint64 *start_offset, gint32 *size)
{
    if (len < RMQ_HA_TRANSFER_HEADER_SIZE)
        return FALSE;
    *start_offset = get_be64(buf);
    *size = (gint32) (((guint32) buf[8] << 24) | ((guint32) buf[9] << 16) |
                      ((guint32) buf[10] << 8) | (guint32) buf[11]);
    return TRUE;
}
