/* Classic RocketMQ 4.x HA wire format (this project's docs/protocol.md, section
 * 12.2; byte vectors in this repository: tests/data/vectors/09_ha_slave_report.bin
 * and tests/data/vectors/10_ha_master_transfer.bin): raw TCP, no remoting frames.  Slave → master: an 8-byte
 * big-endian max commit-log offset.  Master → slave: a 12-byte header
 * (i64 start offset, i32 size) followed by size bytes of commit log; size 0
 * is a heartbeat.  Pure functions over memory. */
#pragma once

#include <glib.h>

#define RMQ_HA_REPORT_SIZE 8
#define RMQ_HA_TRANSFER_HEADER_SIZE 12

void rmq_ha_wire_encode_report(guint8 out[RMQ_HA_REPORT_SIZE], gint64 max_offset);
gint64 rmq_ha_wire_decode_report(const guint8 in[RMQ_HA_REPORT_SIZE]);

/* The master reads reports in multiples of 8 bytes and keeps only the last
 * complete one (as Java's HAConnection does).  Returns the number of bytes
 * of @buf consumed (a multiple of 8) and sets *last when that is > 0. */
gsize rmq_ha_wire_last_report(const guint8 *buf, gsize len, gint64 *last);

void rmq_ha_wire_encode_transfer_header(guint8 out[RMQ_HA_TRANSFER_HEADER_SIZE],
                                        gint64 start_offset, gint32 size);
/* FALSE when fewer than 12 bytes are available. */
gboolean rmq_ha_wire_decode_transfer_header(const guint8 *buf, gsize len,
                                            gint64 *start_offset, gint32 *size);
