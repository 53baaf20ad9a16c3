/* Messages: construction, properties, unique ids (docs/protocol.md §6.5) and decoding of
 * pull/query bodies (commit-log records, docs/protocol.md §7.2) with inflation (§6.4). */
#include <config.h>

#include "client/internal.h"

#include <arpa/inet.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "model/message_properties.h"
#include "store/message_format.h"

RmqMsg *
rmq_msg_new(const gchar *topic, const void *body, gssize len)
{
    RmqMsg *m = g_new0(RmqMsg, 1);
    m->topic = g_strdup(topic);
    if (len < 0)
        len = body ? (gssize) strlen(body) : 0;
    m->body = g_bytes_new(body, (gsize) len);
    /* No table until a property is set or read (props_table()): a message
     * sent with none gets its unique id as raw properties (producer.c). */
    m->queue_id = -1;
    m->queue_offset = -1;
    m->commit_log_offset = -1;
    return m;
}

RmqMsg *
rmq_msg_new_reply(const RmqMsg *request, const void *body, gssize len, GError **error)
{
    if (request == NULL) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_ILLEGAL,
                    "create reply message fail, requestMessage cannot be null.");
        return NULL;
    }
    const gchar *cluster = rmq_msg_get_property(request, RMQ_PROPERTY_CLUSTER);
    if (cluster == NULL) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_ILLEGAL,
                    "create reply message fail, requestMessage error, property[CLUSTER] is null.");
        return NULL;
    }
    g_autofree gchar *topic = g_strconcat(cluster, "_REPLY_TOPIC", NULL);
    RmqMsg *m = rmq_msg_new(topic, body, len);
    rmq_msg_put_property(m, RMQ_PROPERTY_MSG_TYPE, "reply");
    /* Java's putProperty skips a null value; so does this */
    rmq_msg_put_property(m, RMQ_PROPERTY_CORRELATION_ID,
                         rmq_msg_get_property(request, RMQ_PROPERTY_CORRELATION_ID));
    rmq_msg_put_property(m, RMQ_PROPERTY_REPLY_TO_CLIENT,
                         rmq_msg_get_property(request, RMQ_PROPERTY_REPLY_TO_CLIENT));
    rmq_msg_put_property(m, RMQ_PROPERTY_TTL, rmq_msg_get_property(request, RMQ_PROPERTY_TTL));
    return m;
}

/* The messages decoded from one pull or query answer: their structs, then
 * the strings they point to (topics, host texts, offset ids), in one
 * allocation; the raw properties point into @owner (the answer). */
struct _RmqMsgBlock {
    gint refs;     /* messages alive, plus the decoder while it runs */
    GBytes *owner; /* the answer the raw properties point into */
    gchar *next;   /* free string space */
    RmqMsg msgs[];
};

static void
block_unref(RmqMsgBlock *b)
{
    if (g_atomic_int_dec_and_test(&b->refs)) {
        g_bytes_unref(b->owner);
        g_free(b);
    }
}

void
rmq_msg_free(RmqMsg *m)
{
    if (m == NULL)
        return;
    g_bytes_unref(m->body);
    if (m->props_table != NULL)
        g_hash_table_unref(m->props_table);
    if (m->block != NULL) { /* the struct and its strings are the block's */
        block_unref(m->block);
        return;
    }
    g_free((gchar *) m->props_raw); /* rmq_mq_msg_set_raw_properties() */
    g_free(m->topic);
    g_free(m->born_host);
    g_free(m->store_host);
    g_free(m->offset_msg_id);
    g_free(m);
}

/* The property table, built from the raw properties on first use; a
 * compare-and-swap keeps one table when two threads race. */
static GHashTable *
props_table(const RmqMsg *cm)
{
    RmqMsg *m = (RmqMsg *) cm; /* the table is a cache of props_raw */
    GHashTable *t = g_atomic_pointer_get(&m->props_table);
    if (t != NULL)
        return t;
    t = rmq_message_properties_parse(m->props_raw, m->props_raw_len);
    if (!g_atomic_pointer_compare_and_exchange(&m->props_table, NULL, t)) {
        g_hash_table_unref(t);
        t = g_atomic_pointer_get(&m->props_table);
    }
    return t;
}

GHashTable *
rmq_msg_get_properties(const RmqMsg *m)
{
    return props_table(m);
}

gboolean
rmq_mq_msg_property_raw(const RmqMsg *m, const gchar *name, const gchar **value, gsize *len)
{
    GHashTable *t = g_atomic_pointer_get(&((RmqMsg *) m)->props_table);
    if (t == NULL)
        return rmq_message_property_get(m->props_raw, m->props_raw_len, name, value, len);
    const gchar *v = g_hash_table_lookup(t, name);
    if (v == NULL)
        return FALSE;
    *value = v;
    *len = strlen(v);
    return TRUE;
}

void
rmq_msg_put_property(RmqMsg *m, const gchar *name, const gchar *value)
{
    GHashTable *t = props_table(m);
    if (value == NULL)
        g_hash_table_remove(t, name);
    else
        g_hash_table_replace(t, g_strdup(name), g_strdup(value));
}

void
rmq_msg_set_tags(RmqMsg *m, const gchar *tags)
{
    rmq_msg_put_property(m, RMQ_PROPERTY_TAGS, tags && *tags ? tags : NULL);
}

void
rmq_msg_set_keys(RmqMsg *m, const gchar *keys)
{
    rmq_msg_put_property(m, RMQ_PROPERTY_KEYS, keys && *keys ? keys : NULL);
}

void
rmq_mq_msg_set_raw_properties(RmqMsg *m, gchar *raw, gsize len)
{
    g_return_if_fail(m->block == NULL && m->props_table == NULL && m->props_raw == NULL);
    m->props_raw = raw;
    m->props_raw_len = len;
}

const gchar *
rmq_msg_get_property(const RmqMsg *m, const gchar *name)
{
    return g_hash_table_lookup(props_table(m), name);
}

const gchar *
rmq_msg_get_tags(const RmqMsg *m)
{
    return rmq_msg_get_property(m, RMQ_PROPERTY_TAGS);
}

const gchar *
rmq_msg_get_keys(const RmqMsg *m)
{
    return rmq_msg_get_property(m, RMQ_PROPERTY_KEYS);
}

const gchar *
rmq_msg_get_msg_id(const RmqMsg *m)
{
    const gchar *u = rmq_msg_get_property(m, RMQ_PROPERTY_UNIQ_KEY);
    return u ? u : m->offset_msg_id;
}

RmqQueue *
rmq_queue_new(const gchar *topic, const gchar *broker_name, gint queue_id)
{
    RmqQueue *q = g_new0(RmqQueue, 1);
    q->topic = g_strdup(topic);
    q->broker_name = g_strdup(broker_name);
    q->queue_id = queue_id;
    return q;
}

void
rmq_queue_free(RmqQueue *q)
{
    if (q == NULL)
        return;
    g_free(q->topic);
    g_free(q->broker_name);
    g_free(q);
}

void
rmq_send_result_clear(RmqSendResult *r)
{
    g_clear_pointer(&r->msg_id, g_free);
    g_clear_pointer(&r->offset_msg_id, g_free);
    g_clear_pointer(&r->broker_name, g_free);
    g_clear_pointer(&r->region_id, g_free);
}

const gchar *
rmq_send_status_name(RmqSendStatus s)
{
    switch (s) {
    case RMQ_SEND_OK: return "SEND_OK";
    case RMQ_SEND_FLUSH_DISK_TIMEOUT: return "FLUSH_DISK_TIMEOUT";
    case RMQ_SEND_FLUSH_SLAVE_TIMEOUT: return "FLUSH_SLAVE_TIMEOUT";
    case RMQ_SEND_SLAVE_NOT_AVAILABLE: return "SLAVE_NOT_AVAILABLE";
    }
    return "?";
}

void
rmq_pull_result_clear(RmqPullResult *r)
{
    g_clear_pointer(&r->msgs, g_ptr_array_unref);
}

const gchar *
rmq_pull_status_name(RmqPullStatus s)
{
    switch (s) {
    case RMQ_PULL_FOUND: return "FOUND";
    case RMQ_PULL_NO_NEW_MSG: return "NO_NEW_MSG";
    case RMQ_PULL_NO_MATCHED_MSG: return "NO_MATCHED_MSG";
    case RMQ_PULL_OFFSET_ILLEGAL: return "OFFSET_ILLEGAL";
    case RMQ_PULL_OFFSET_RESET: return "OFFSET_RESET";
    }
    return "?";
}

/* @digits upper-case hex digits of @v (the low ones), no NUL. */
static void
put_hex(gchar *p, guint32 v, int digits)
{
    for (int d = digits - 1; d >= 0; d--, v >>= 4)
        p[d] = "0123456789ABCDEF"[v & 0xF];
}

/* Unix seconds of the start of the UTC month holding @t, and of the next. */
static void
month_bounds(time_t t, gint64 *start, gint64 *next)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    *start = (gint64) timegm(&tm);
    tm.tm_mon++; /* timegm normalises December + 1 */
    *next = (gint64) timegm(&tm);
}

void
rmq_mq_unique_id_to(gchar out[RMQ_MQ_UNIQUE_ID_LEN + 1])
{
    /* ip | pid | per-process random (Java: class loader hash) | ms since the
     * start of the month (UTC) | counter */
    static gsize init;
    static guint32 salt, ip, pid;
    static gint counter;
    /* The month's bounds, per thread: gmtime_r + timegm per id were a third
     * of a batch's encoding in a callgrind profile of rmq-bench. */
    static __thread gint64 month_start, month_next;
    if (g_once_init_enter(&init)) {
        salt = g_random_int() | 1;
        ip = g_random_int(); /* a stable per-process stand-in for the client IP */
        pid = (guint32) getpid() & 0xFFFF;
        g_once_init_leave(&init, 1);
    }
    /* Two GDateTimes and a printf per message showed in profiles of
     * rmq-bench: the clock and hand-made hex instead. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if ((gint64) ts.tv_sec < month_start || (gint64) ts.tv_sec >= month_next)
        month_bounds(ts.tv_sec, &month_start, &month_next);
    gint64 ms = ((gint64) ts.tv_sec - month_start) * 1000 + ts.tv_nsec / 1000000;
    guint16 c = (guint16) g_atomic_int_add(&counter, 1);

    /* the first 20 digits are the process's: made once per thread */
    static __thread gchar prefix[20];
    if (prefix[0] == '\0') {
        put_hex(prefix, ip, 8);
        put_hex(prefix + 8, pid, 4);
        put_hex(prefix + 12, salt, 8);
    }
    memcpy(out, prefix, 20);
    put_hex(out + 20, (guint32) ms, 8);
    put_hex(out + 28, c, 4);
    out[RMQ_MQ_UNIQUE_ID_LEN] = '\0';
}

gchar *
rmq_mq_unique_id(void)
{
    gchar *id = g_malloc(RMQ_MQ_UNIQUE_ID_LEN + 1);
    rmq_mq_unique_id_to(id);
    return id;
}

static void
put_be32(GString *s, gsize at, guint32 v)
{
    s->str[at] = (gchar) (v >> 24);
    s->str[at + 1] = (gchar) (v >> 16);
    s->str[at + 2] = (gchar) (v >> 8);
    s->str[at + 3] = (gchar) v;
}

gssize
rmq_mq_batch_item_append(GString *out, gint32 flag, const void *body, gsize body_len,
                         GHashTable *properties)
{
    /* total, magic (0: the client's), body CRC (0: the broker computes it),
     * flag, body length, body, properties length, properties */
    gsize at = out->len;
    g_string_set_size(out, at + 20 + body_len + 2);
    if (body_len > 0)
        memcpy(out->str + at + 20, body, body_len);
    gsize plen = rmq_message_properties_build_append(out, properties);
    if (plen > RMQ_MESSAGE_MAX_PROPS || body_len > G_MAXINT32 - 22 - plen) {
        g_string_truncate(out, at);
        return -1;
    }
    put_be32(out, at, (guint32) (20 + body_len + 2 + plen));
    put_be32(out, at + 4, 0);
    put_be32(out, at + 8, 0);
    put_be32(out, at + 12, (guint32) flag);
    put_be32(out, at + 16, (guint32) body_len);
    out->str[at + 20 + body_len] = (gchar) (plen >> 8);
    out->str[at + 20 + body_len + 1] = (gchar) plen;
    return (gssize) plen;
}

/* Decimal digits of @v at @p; returns the end. */
static gchar *
put_decimal(gchar *p, guint32 v)
{
    gchar tmp[10];
    int n = 0;
    do {
        tmp[n++] = (gchar) ('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

/* Longest host_text: "[" + 45 + "]:" + 11 + NUL. */
#define HOST_TEXT_MAX 64

/* The "ip:port" text of @h into @out; returns its length (NUL-terminated). */
static gsize
host_text(const RmqHostAddr *h, gchar out[HOST_TEXT_MAX])
{
    if (h->addr_len == 16) {
        char buf[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, h->addr, buf, sizeof buf);
        return (gsize) g_snprintf(out, HOST_TEXT_MAX, "[%s]:%d", buf, h->port);
    }
    /* Two per pulled message: inet_ntop and printf were a third of the
     * puller's CPU in a callgrind profile of rmq-bench. */
    gchar *p = out; /* "255.255.255.255:-2147483648" fits */
    for (int i = 0; i < 4; i++) {
        p = put_decimal(p, h->addr[i]);
        *p++ = i < 3 ? '.' : ':';
    }
    if (h->port < 0)
        *p++ = '-';
    p = put_decimal(p, h->port < 0 ? (guint32) 0 - (guint32) h->port : (guint32) h->port);
    *p = '\0';
    return (gsize) (p - out);
}

GBytes *
rmq_mq_inflate_body(const guint8 *data, gsize len, GError **error)
{
    z_stream zs = { 0 };
    if (inflateInit(&zs) != Z_OK) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_PROTOCOL, "inflateInit failed");
        return NULL;
    }
    g_autoptr(GByteArray) out = g_byte_array_new();
    zs.next_in = (Bytef *) data;
    zs.avail_in = (uInt) len;
    int rc;
    do {
        guint8 chunk[16384];
        zs.next_out = chunk;
        zs.avail_out = sizeof chunk;
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&zs);
            g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_PROTOCOL,
                        "compressed body does not inflate (zlib %d)", rc);
            return NULL;
        }
        g_byte_array_append(out, chunk, sizeof chunk - zs.avail_out);
    } while (rc != Z_STREAM_END);
    inflateEnd(&zs);
    return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}

/* Host texts made for one block, by address: a pull batch has one store
 * host and a born host per producer connection (16 producers: 16). */
#define HOST_CACHE_SLOTS 16
G_STATIC_ASSERT(HOST_CACHE_SLOTS == 1 << 4);
typedef struct {
    RmqHostAddr addr;
    gchar *text; /* in the block; NULL = empty slot */
} HostCacheSlot;

/* The text of @h in @b's strings: the one made before for the same address
 * when @cache still holds it, else a new one. */
static gchar *
host_text_cached(RmqMsgBlock *b, const RmqHostAddr *h, HostCacheSlot *cache)
{
    gsize n = h->addr_len == 16 ? 16 : 4; /* the bytes host_text reads */
    /* Fibonacci hashing: connect() hands out even ports, so low bits alone collide. */
    guint32 key = ((guint32) h->port ^ (guint32) h->addr[n - 1] << 16) * 2654435761u;
    HostCacheSlot *e = &cache[key >> 28]; /* HOST_CACHE_SLOTS = 2^4 */
    if (e->text == NULL || e->addr.addr_len != h->addr_len || e->addr.port != h->port
        || memcmp(e->addr.addr, h->addr, n) != 0) {
        e->text = b->next;
        b->next += host_text(h, b->next) + 1;
        e->addr = *h;
    }
    return e->text;
}

/* String space one record may need in a block: topic (at most 127 bytes,
 * docs/protocol.md §7.2), offset id (56 hex digits for IPv6) and two host
 * texts, each NUL-terminated. */
#define RECORD_STRINGS_MAX (128 + 57 + 2 * HOST_TEXT_MAX)

/* @owner holds @data/@len. The messages of one answer live in one block
 * (structs and strings, one allocation); bodies are slices of @owner and
 * properties stay raw until used (allocations per pulled message were most of
 * a puller's CPU in callgrind: bench/README.md, "Pull decode"). */
static GPtrArray *
decode_messages(const guint8 *data, gsize len, GBytes *owner, GError **error)
{
    /* Records counted by their TOTALSIZE words first, to size the block;
     * the decode below reports any bad one. */
    guint n = 0;
    for (gsize at = 0; at + 4 <= len; n++) {
        guint32 size = (guint32) data[at] << 24 | (guint32) data[at + 1] << 16 |
                       (guint32) data[at + 2] << 8 | data[at + 3];
        if (size < 4 || size > len - at)
            break;
        at += size;
    }
    RmqMsgBlock *b = g_malloc(sizeof *b + n * sizeof(RmqMsg) + (gsize) n * RECORD_STRINGS_MAX);
    b->refs = 1;
    b->owner = g_bytes_ref(owner);
    b->next = (gchar *) &b->msgs[n];
    GPtrArray *msgs = g_ptr_array_new_full(n, (GDestroyNotify) rmq_msg_free);
    HostCacheSlot hosts[HOST_CACHE_SLOTS] = { 0 };
    gsize pos = 0;
    while (pos < len) {
        RmqMessageRecord rec;
        RmqRecordStatus st = rmq_message_decode(data + pos, len - pos, FALSE, &rec);
        if (st != RMQ_RECORD_OK || msgs->len >= n) {
            g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_PROTOCOL,
                        "bad message record at byte %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
                        " (status %d)", pos, len, (int) st);
            goto fail;
        }
        RmqMsg *m = &b->msgs[msgs->len];
        memset(m, 0, sizeof *m);
        m->block = b;
        g_atomic_int_inc(&b->refs);
        g_ptr_array_add(msgs, m);
        m->topic = b->next;
        memcpy(m->topic, rec.topic, (gsize) rec.topic_len);
        m->topic[rec.topic_len] = '\0';
        b->next += rec.topic_len + 1;
        m->props_raw = rec.properties;
        m->props_raw_len = (gsize) rec.properties_len;
        if (rec.sys_flag & RMQ_SYSFLAG_COMPRESSED) {
            m->body = rmq_mq_inflate_body(rec.body, (gsize) rec.body_len, error);
            if (m->body == NULL)
                goto fail;
        } else {
            gsize at = rec.body_len > 0 ? (gsize) (rec.body - data) : 0;
            m->body = g_bytes_new_from_bytes(owner, at, (gsize) rec.body_len);
        }
        m->flag = rec.flag;
        m->queue_id = rec.queue_id;
        m->queue_offset = rec.queue_offset;
        m->commit_log_offset = rec.physical_offset;
        m->sys_flag = rec.sys_flag;
        m->born_timestamp = rec.born_timestamp;
        m->store_timestamp = rec.store_timestamp;
        m->born_host = host_text_cached(b, &rec.born_host, hosts);
        m->store_host = host_text_cached(b, &rec.store_host, hosts);
        m->reconsume_times = rec.reconsume_times;
        m->store_size = rec.total_size;
        m->offset_msg_id = b->next;
        rmq_message_id_format(&rec.store_host, rec.physical_offset, m->offset_msg_id);
        b->next += strlen(m->offset_msg_id) + 1;
        pos += (gsize) rec.total_size;
    }
    block_unref(b);
    return msgs;
fail:
    g_ptr_array_unref(msgs);
    block_unref(b);
    return NULL;
}

GPtrArray *
rmq_mq_decode_messages(const guint8 *data, gsize len, GError **error)
{
    g_autoptr(GBytes) copy = g_bytes_new(data, len);
    return decode_messages(g_bytes_get_data(copy, NULL), len, copy, error);
}

GPtrArray *
rmq_mq_decode_messages_bytes(GBytes *body, GError **error)
{
    gsize len;
    const guint8 *data = g_bytes_get_data(body, &len);
    return decode_messages(data ? data : (const guint8 *) "", len, body, error);
}

JsonNode *
rmq_msg_to_json(const RmqMsg *m)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
#define STR(k, v)                                                                              \
    do {                                                                                       \
        json_builder_set_member_name(b, k);                                                    \
        if (v)                                                                                 \
            json_builder_add_string_value(b, v);                                               \
        else                                                                                   \
            json_builder_add_null_value(b);                                                    \
    } while (0)
#define INT(k, v)                                                                              \
    do {                                                                                       \
        json_builder_set_member_name(b, k);                                                    \
        json_builder_add_int_value(b, v);                                                      \
    } while (0)
    STR("topic", m->topic);
    STR("msgId", rmq_msg_get_msg_id(m));
    STR("offsetMsgId", m->offset_msg_id);
    STR("tags", rmq_msg_get_tags(m));
    STR("keys", rmq_msg_get_keys(m));
    INT("queueId", m->queue_id);
    INT("queueOffset", m->queue_offset);
    INT("commitLogOffset", m->commit_log_offset);
    INT("sysFlag", m->sys_flag);
    INT("flag", m->flag);
    INT("bornTimestamp", m->born_timestamp);
    INT("storeTimestamp", m->store_timestamp);
    STR("bornHost", m->born_host);
    STR("storeHost", m->store_host);
    INT("reconsumeTimes", m->reconsume_times);
    INT("storeSize", m->store_size);
    gsize len = 0;
    const gchar *data = m->body ? g_bytes_get_data(m->body, &len) : "";
    INT("bodyLength", (gint64) len);
    if (g_utf8_validate(data, (gssize) len, NULL)) {
        g_autofree gchar *text = g_strndup(data, len);
        STR("body", text);
    } else {
        g_autofree gchar *text = g_base64_encode((const guchar *) data, len);
        STR("bodyBase64", text);
    }
    json_builder_set_member_name(b, "properties");
    json_builder_begin_object(b);
    GHashTable *props = props_table(m);
    g_autoptr(GList) keys = g_hash_table_get_keys(props);
    keys = g_list_sort(keys, (GCompareFunc) g_strcmp0);
    for (GList *l = keys; l; l = l->next)
        STR(l->data, (const gchar *) g_hash_table_lookup(props, l->data));
    json_builder_end_object(b);
#undef STR
#undef INT
    json_builder_end_object(b);
    return json_builder_get_root(b);
}
