/* Commit-log record layout (RocketMQ 4.x, docs/protocol.md §7.2), tag
 * hash codes (docs/protocol.md §6.7) and offset message ids (§6.5).  The properties string
 * a record carries (docs/protocol.md §6.1) is read and written by src/model/message_properties.
 * Pure functions over memory: no files, no threads. */
#pragma once

#include <glib.h>

#define RMQ_MESSAGE_MAGIC        0xDAA320A7u
#define RMQ_MESSAGE_BLANK_MAGIC  0xCBD43194u
#define RMQ_MESSAGE_BLANK_LENGTH 8            /* end-of-file marker size */
#define RMQ_MESSAGE_MAX_TOPIC    127
#define RMQ_MESSAGE_MAX_PROPS    32767

/* MessageSysFlag bits (docs/protocol.md §6.3) */
#define RMQ_SYSFLAG_COMPRESSED         0x1
#define RMQ_SYSFLAG_MULTI_TAGS         0x2
#define RMQ_SYSFLAG_TRANSACTION_MASK   0xC
#define RMQ_SYSFLAG_TRANSACTION_NOT    0x0
#define RMQ_SYSFLAG_TRANSACTION_PREPARED 0x4
#define RMQ_SYSFLAG_TRANSACTION_COMMIT 0x8
#define RMQ_SYSFLAG_TRANSACTION_ROLLBACK 0xC
#define RMQ_SYSFLAG_BORNHOST_V6        0x10
#define RMQ_SYSFLAG_STOREHOST_V6       0x20

#define RMQ_MESSAGE_ERROR (rmq_message_error_quark())
GQuark rmq_message_error_quark(void);

typedef enum {
    RMQ_MESSAGE_ERROR_INVALID,   /* record violates a docs/protocol.md §7.2 constraint */
    RMQ_MESSAGE_ERROR_PARSE,     /* malformed message id */
} RmqMessageError;

/* A socket address in the record's form: 4 (IPv4) or 16 (IPv6) address
 * bytes, then a 32-bit port. */
typedef struct {
    guint8 addr[16];
    guint8 addr_len;             /* 4 or 16; 0 is treated as 4 zero bytes */
    gint32 port;
} RmqHostAddr;

void rmq_host_addr_set_ipv4(RmqHostAddr *host, guint32 ip_host_order, gint32 port);

/* The fields of one message to be stored.  Pointers are borrowed. */
typedef struct {
    const char *topic;                  /* NUL-terminated, ≤ 127 bytes */
    gint32 queue_id;
    gint32 flag;
    gint32 sys_flag;                    /* V6 bits are derived from the hosts */
    gint64 born_timestamp;
    RmqHostAddr born_host;
    RmqHostAddr store_host;
    gint32 reconsume_times;
    gint64 prepared_transaction_offset;
    const guint8 *body;
    gsize body_len;
    const char *properties;             /* docs/protocol.md §6.1 string, not NUL-terminated */
    gsize properties_len;
} RmqMessage;

/* A decoded record; pointers point into the decoded buffer. */
typedef struct {
    gint32 total_size;
    guint32 magic;
    gint32 body_crc;
    gint32 queue_id;
    gint32 flag;
    gint64 queue_offset;
    gint64 physical_offset;
    gint32 sys_flag;
    gint64 born_timestamp;
    RmqHostAddr born_host;
    gint64 store_timestamp;
    RmqHostAddr store_host;
    gint32 reconsume_times;
    gint64 prepared_transaction_offset;
    const guint8 *body;
    gint32 body_len;
    const char *topic;
    gint32 topic_len;
    const char *properties;
    gint32 properties_len;
} RmqMessageRecord;

typedef enum {
    RMQ_RECORD_OK,          /* a whole, valid message record */
    RMQ_RECORD_BLANK,       /* end-of-file filler; total_size = bytes to skip */
    RMQ_RECORD_END,         /* zero size: end of valid data */
    RMQ_RECORD_TRUNCATED,   /* record longer than the bytes available */
    RMQ_RECORD_CORRUPT,     /* bad magic, inconsistent lengths or bad CRC */
} RmqRecordStatus;

/* Size of the stored record (TOTALSIZE), or -1 if the message violates a
 * length constraint (topic > 127, properties > 32767). */
gint64 rmq_message_record_size(const RmqMessage *msg);

/* Encodes into out, which must hold rmq_message_record_size() bytes.  The
 * body CRC is computed here. */
void rmq_message_encode(const RmqMessage *msg, gint64 queue_offset,
                        gint64 physical_offset, gint64 store_timestamp,
                        guint8 *out);
/* The same with @total = rmq_message_record_size(@msg) > 0, already known. */
void rmq_message_encode_sized(const RmqMessage *msg, gint64 total, gint64 queue_offset,
                              gint64 physical_offset, gint64 store_timestamp, guint8 *out);

RmqRecordStatus rmq_message_decode(const guint8 *buf, gsize avail,
                                   gboolean check_crc, RmqMessageRecord *out);

/* Offsets of fields inside an encoded record (host-size aware). */
gint64 rmq_message_peek_store_timestamp(const guint8 *record);
void rmq_message_patch_queue_offset(guint8 *record, gint64 queue_offset);

/* CRC-32 as zlib's crc32(crc, p, len); carry-less multiply when the CPU has it. */
guint32 rmq_crc32(guint32 crc, const guint8 *p, gsize len);
/* The table-driven path alone (what CPUs without PCLMULQDQ run). */
guint32 rmq_crc32_portable(guint32 crc, const guint8 *p, gsize len);
/* BODYCRC: crc32(body) & 0x7FFFFFFF */
gint32 rmq_message_body_crc(const guint8 *body, gsize len);

/* Java String.hashCode() over the UTF-16 units of a UTF-8 string. */
gint32 rmq_message_java_hash(const char *s, gsize len);
/* Consume-queue tag code of a TAGS value (docs/protocol.md §6.7); 0 for empty. */
gint64 rmq_message_tag_code(const char *tags, gsize len);

/* Offset message id (docs/protocol.md §6.5): uppercase hex of store host + port + offset. */
char *rmq_message_id_encode(const RmqHostAddr *store_host, gint64 offset);
/* Same into a caller buffer (no allocation). */
void rmq_message_id_format(const RmqHostAddr *store_host, gint64 offset, char out[57]);
gboolean rmq_message_id_decode(const char *id, RmqHostAddr *store_host,
                               gint64 *offset, GError **error);
