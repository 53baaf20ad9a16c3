#include <config.h>

#include "store/message_format.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

G_DEFINE_QUARK(rmq-message-error-quark, rmq_message_error)

/* Big-endian helpers: the record is Java's ByteBuffer order. */
static inline void
put32(guint8 *p, guint32 v)
{
    v = GUINT32_TO_BE(v);
    memcpy(p, &v, 4);
}

static inline void
put64(guint8 *p, guint64 v)
{
    v = GUINT64_TO_BE(v);
    memcpy(p, &v, 8);
}

static inline guint32
get32(const guint8 *p)
{
    guint32 v;
    memcpy(&v, p, 4);
    return GUINT32_FROM_BE(v);
}

static inline guint64
get64(const guint8 *p)
{
    guint64 v;
    memcpy(&v, p, 8);
    return GUINT64_FROM_BE(v);
}

void
rmq_host_addr_set_ipv4(RmqHostAddr *host, guint32 ip, gint32 port)
{
    memset(host, 0, sizeof *host);
    put32(host->addr, ip);
    host->addr_len = 4;
    host->port = port;
}

static inline gsize
host_len(const RmqHostAddr *h)
{
    return h->addr_len == 16 ? 16 : 4;
}

static guint8 *
put_host(guint8 *p, const RmqHostAddr *h)
{
    gsize n = host_len(h);
    memcpy(p, h->addr, n);
    put32(p + n, (guint32) h->port);
    return p + n + 4;
}

static const guint8 *
get_host(const guint8 *p, gboolean v6, RmqHostAddr *h)
{
    memset(h, 0, sizeof *h);
    h->addr_len = v6 ? 16 : 4;
    memcpy(h->addr, p, h->addr_len);
    h->port = (gint32) get32(p + h->addr_len);
    return p + h->addr_len + 4;
}

gint64
rmq_message_record_size(const RmqMessage *msg)
{
    gsize topic_len = msg->topic ? strlen(msg->topic) : 0;

    if (topic_len == 0 || topic_len > RMQ_MESSAGE_MAX_TOPIC)
        return -1;
    if (msg->properties_len > RMQ_MESSAGE_MAX_PROPS)
        return -1;
    if (msg->body_len > G_MAXINT32 / 2)
        return -1;
    return 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + (host_len(&msg->born_host) + 4) + 8 +
           (host_len(&msg->store_host) + 4) + 4 + 8 + 4 + (gint64) msg->body_len + 1 +
           (gint64) topic_len + 2 + (gint64) msg->properties_len;
}

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320, as zlib and java.util.zip),
 * slice-by-8: zlib's generic code costs more than the record copy for the
 * short bodies typical of messages.  Tables are built once. */
static guint32 crc_table[8][256];

static void
crc_init_tables(void)
{
    for (guint32 n = 0; n < 256; n++) {
        guint32 c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[0][n] = c;
    }
    for (guint32 n = 0; n < 256; n++)
        for (int t = 1; t < 8; t++)
            crc_table[t][n] = (crc_table[t - 1][n] >> 8) ^ crc_table[0][crc_table[t - 1][n] & 0xff];
}

static guint32
crc32_slice8(guint32 crc, const guint8 *p, gsize len)
{
    while (len > 0 && ((guintptr) p & 7) != 0) {
        crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
        len--;
    }
    while (len >= 8) {
        guint32 lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + 4, 4);
        lo = GUINT32_FROM_LE(lo) ^ crc;
        hi = GUINT32_FROM_LE(hi);
        crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
              crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
              crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
              crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len-- > 0)
        crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define RMQ_HAVE_CLMUL 1

/* Carry-less multiplication folding (Intel, "Fast CRC Computation for
 * Generic Polynomials Using PCLMULQDQ"), constants for the reflected
 * polynomial 0xEDB88320: x^(4*128±32) mod P for the 4-way fold, x^(128±32)
 * for the 1-way fold, x^64 mod P, and P' / u for the Barrett reduction.
 * Takes and returns the raw (not inverted) register; len ≥ 64, multiple of 16. */
__attribute__((target("pclmul,sse4.1")))
static guint32
crc32_clmul(guint32 crc, const guint8 *p, gsize len)
{
    const __m128i k1k2 = _mm_set_epi64x(0x1c6e41596, 0x154442bd4);
    const __m128i k3k4 = _mm_set_epi64x(0x0ccaa009e, 0x1751997d0);
    const __m128i k5 = _mm_set_epi64x(0, 0x163cd6124);
    const __m128i poly = _mm_set_epi64x(0x1f7011641, 0x1db710641);
    const __m128i mask32 = _mm_set_epi32(0, 0, 0, -1);
    __m128i x0 = _mm_loadu_si128((const __m128i *) p);
    __m128i x1 = _mm_loadu_si128((const __m128i *) (p + 16));
    __m128i x2 = _mm_loadu_si128((const __m128i *) (p + 32));
    __m128i x3 = _mm_loadu_si128((const __m128i *) (p + 48));
    __m128i t;

    x0 = _mm_xor_si128(x0, _mm_cvtsi32_si128((int) crc));
    p += 64;
    len -= 64;
    while (len >= 64) {
#define FOLD(x, k, off) \
        x = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), \
                                        _mm_clmulepi64_si128(x, k, 0x11)), \
                          _mm_loadu_si128((const __m128i *) (p + (off))))
        FOLD(x0, k1k2, 0);
        FOLD(x1, k1k2, 16);
        FOLD(x2, k1k2, 32);
        FOLD(x3, k1k2, 48);
        p += 64;
        len -= 64;
    }
#define FOLD_INTO(x, k, y) \
    x = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), \
                                    _mm_clmulepi64_si128(x, k, 0x11)), y)
    FOLD_INTO(x0, k3k4, x1);
    FOLD_INTO(x0, k3k4, x2);
    FOLD_INTO(x0, k3k4, x3);
    while (len >= 16) {
        FOLD(x0, k3k4, 0);
        p += 16;
        len -= 16;
    }
#undef FOLD
#undef FOLD_INTO
    /* 128 → 64 bits: k4 × low half, folded onto the high half */
    t = _mm_clmulepi64_si128(k3k4, x0, 0x01);
    x0 = _mm_xor_si128(_mm_srli_si128(x0, 8), t);
    /* 64 → 32 more bits of folding */
    t = _mm_srli_si128(x0, 4);
    x0 = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x0, mask32), k5, 0x00), t);
    /* Barrett reduction to 32 bits */
    t = x0;
    x0 = _mm_clmulepi64_si128(_mm_and_si128(x0, mask32), poly, 0x10);
    x0 = _mm_clmulepi64_si128(_mm_and_si128(x0, mask32), poly, 0x00);
    x0 = _mm_xor_si128(x0, t);
    return (guint32) _mm_extract_epi32(x0, 1);
}
#endif

guint32
rmq_crc32(guint32 crc, const guint8 *p, gsize len)
{
    static gsize once = 0;
    static gboolean clmul = FALSE;

    if (g_once_init_enter(&once)) {
        crc_init_tables();
#ifdef RMQ_HAVE_CLMUL
        clmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1") &&
                g_getenv("RMQ_CRC_NO_CLMUL") == NULL;
#endif
        g_once_init_leave(&once, 1);
    }
    crc = ~crc;
#ifdef RMQ_HAVE_CLMUL
    if (clmul && len >= 64) {
        gsize bulk = len & ~(gsize) 15;
        crc = crc32_clmul(crc, p, bulk);
        p += bulk;
        len -= bulk;
    }
#endif
    return ~crc32_slice8(crc, p, len);
}

guint32
rmq_crc32_portable(guint32 crc, const guint8 *p, gsize len)
{
    rmq_crc32(0, NULL, 0);       /* builds the tables */
    return ~crc32_slice8(~crc, p, len);
}

gint32
rmq_message_body_crc(const guint8 *body, gsize len)
{
    return (gint32) (rmq_crc32(0, body, len) & 0x7FFFFFFF);
}

void
rmq_message_encode(const RmqMessage *msg, gint64 queue_offset,
                   gint64 physical_offset, gint64 store_timestamp, guint8 *out)
{
    rmq_message_encode_sized(msg, rmq_message_record_size(msg), queue_offset, physical_offset,
                             store_timestamp, out);
}

void
rmq_message_encode_sized(const RmqMessage *msg, gint64 total, gint64 queue_offset,
                         gint64 physical_offset, gint64 store_timestamp, guint8 *out)
{
    gsize topic_len = strlen(msg->topic);
    gint32 sys_flag = msg->sys_flag & ~(RMQ_SYSFLAG_BORNHOST_V6 | RMQ_SYSFLAG_STOREHOST_V6);
    guint8 *p = out;

    g_return_if_fail(total > 0);
    if (host_len(&msg->born_host) == 16)
        sys_flag |= RMQ_SYSFLAG_BORNHOST_V6;
    if (host_len(&msg->store_host) == 16)
        sys_flag |= RMQ_SYSFLAG_STOREHOST_V6;

    put32(p, (guint32) total); p += 4;
    put32(p, RMQ_MESSAGE_MAGIC); p += 4;
    put32(p, (guint32) rmq_message_body_crc(msg->body, msg->body_len)); p += 4;
    put32(p, (guint32) msg->queue_id); p += 4;
    put32(p, (guint32) msg->flag); p += 4;
    put64(p, (guint64) queue_offset); p += 8;
    put64(p, (guint64) physical_offset); p += 8;
    put32(p, (guint32) sys_flag); p += 4;
    put64(p, (guint64) msg->born_timestamp); p += 8;
    p = put_host(p, &msg->born_host);
    put64(p, (guint64) store_timestamp); p += 8;
    p = put_host(p, &msg->store_host);
    put32(p, (guint32) msg->reconsume_times); p += 4;
    put64(p, (guint64) msg->prepared_transaction_offset); p += 8;
    put32(p, (guint32) msg->body_len); p += 4;
    if (msg->body_len)
        memcpy(p, msg->body, msg->body_len);
    p += msg->body_len;
    *p++ = (guint8) topic_len;
    memcpy(p, msg->topic, topic_len);
    p += topic_len;
    p[0] = (guint8) (msg->properties_len >> 8);
    p[1] = (guint8) msg->properties_len;
    p += 2;
    if (msg->properties_len)
        memcpy(p, msg->properties, msg->properties_len);
    p += msg->properties_len;
    g_assert((gint64) (p - out) == total);
}

RmqRecordStatus
rmq_message_decode(const guint8 *buf, gsize avail, gboolean check_crc,
                   RmqMessageRecord *r)
{
    const guint8 *p, *end;

    memset(r, 0, sizeof *r);
    if (avail < 8)
        return avail >= 4 && get32(buf) == 0 ? RMQ_RECORD_END : RMQ_RECORD_TRUNCATED;
    r->total_size = (gint32) get32(buf);
    r->magic = get32(buf + 4);
    if (r->total_size == 0 && r->magic == 0)
        return RMQ_RECORD_END;
    if (r->magic == RMQ_MESSAGE_BLANK_MAGIC)
        return r->total_size >= 8 ? RMQ_RECORD_BLANK : RMQ_RECORD_CORRUPT;
    if (r->magic != RMQ_MESSAGE_MAGIC)
        return r->total_size == 0 ? RMQ_RECORD_END : RMQ_RECORD_CORRUPT;
    if (r->total_size < 91)
        return RMQ_RECORD_CORRUPT;
    if ((gsize) r->total_size > avail)
        return RMQ_RECORD_TRUNCATED;

    p = buf + 8;
    end = buf + r->total_size;
    r->body_crc = (gint32) get32(p); p += 4;
    r->queue_id = (gint32) get32(p); p += 4;
    r->flag = (gint32) get32(p); p += 4;
    r->queue_offset = (gint64) get64(p); p += 8;
    r->physical_offset = (gint64) get64(p); p += 8;
    r->sys_flag = (gint32) get32(p); p += 4;
    r->born_timestamp = (gint64) get64(p); p += 8;
    /* hosts (8 or 20 bytes each), store timestamp, reconsume times,
     * prepared offset, body length: a v4 record may be as short as 91 */
    gsize hosts = (r->sys_flag & RMQ_SYSFLAG_BORNHOST_V6 ? 20 : 8) +
                  (r->sys_flag & RMQ_SYSFLAG_STOREHOST_V6 ? 20 : 8);
    if ((gsize) (end - p) < hosts + 8 + 4 + 8 + 4)
        return RMQ_RECORD_CORRUPT;
    p = get_host(p, r->sys_flag & RMQ_SYSFLAG_BORNHOST_V6, &r->born_host);
    r->store_timestamp = (gint64) get64(p); p += 8;
    p = get_host(p, r->sys_flag & RMQ_SYSFLAG_STOREHOST_V6, &r->store_host);
    r->reconsume_times = (gint32) get32(p); p += 4;
    r->prepared_transaction_offset = (gint64) get64(p); p += 8;
    r->body_len = (gint32) get32(p); p += 4;
    if (r->body_len < 0 || r->body_len > end - p - 3)
        return RMQ_RECORD_CORRUPT;
    r->body = p;
    p += r->body_len;
    r->topic_len = (gint8) *p++;
    if (r->topic_len <= 0 || r->topic_len > end - p - 2)
        return RMQ_RECORD_CORRUPT;
    r->topic = (const char *) p;
    p += r->topic_len;
    r->properties_len = (gint16) ((p[0] << 8) | p[1]);
    p += 2;
    if (r->properties_len < 0 || r->properties_len != end - p)
        return RMQ_RECORD_CORRUPT;
    r->properties = (const char *) p;
    if (check_crc && rmq_message_body_crc(r->body, (gsize) r->body_len) != r->body_crc)
        return RMQ_RECORD_CORRUPT;
    return RMQ_RECORD_OK;
}

/* STORETIMESTAMP follows BORNHOST, whose size depends on a sysFlag bit. */
gint64
rmq_message_peek_store_timestamp(const guint8 *record)
{
    gint32 sys_flag = (gint32) get32(record + 36);
    gsize at = 48 + ((sys_flag & RMQ_SYSFLAG_BORNHOST_V6) ? 20 : 8);
    return (gint64) get64(record + at);
}

void
rmq_message_patch_queue_offset(guint8 *record, gint64 queue_offset)
{
    put64(record + 20, (guint64) queue_offset);
}

gint32
rmq_message_java_hash(const char *s, gsize len)
{
    guint32 h = 0;
    const char *p = s, *end = s + len;

    /* Eight ASCII bytes at once while they last (an index key, topic#key,
     * is hashed per message): 31^8 h + 31^7 c0 + ... + c7 (mod 2^32), the
     * products independent of each other instead of a chain of eight. */
    while (end - p >= 8) {
        guint64 w;
        memcpy(&w, p, 8);
        if ((w & G_GUINT64_CONSTANT(0x8080808080808080)) != 0)
            break;
        const guchar *u = (const guchar *) p;
        h = 2487512833u * h + 1742810335u * u[0] + 887503681u * u[1] + 28629151u * u[2] +
            923521u * u[3] + 29791u * u[4] + 961u * u[5] + 31u * u[6] + u[7];
        p += 8;
    }
    while (p < end) {
        gunichar c;
        /* Four ASCII bytes at once (keys are hashed per message): the same
         * sum, 31^4 h + 31^3 c0 + 31^2 c1 + 31 c2 + c3, with a shorter chain. */
        if (end - p >= 4 && (((guchar) p[0] | (guchar) p[1] | (guchar) p[2] | (guchar) p[3]) & 0x80) == 0) {
            h = 923521u * h + 29791u * (guchar) p[0] + 961u * (guchar) p[1] +
                31u * (guchar) p[2] + (guchar) p[3];
            p += 4;
            continue;
        }
        if ((guchar) *p < 0x80) {    /* ASCII: one byte, one UTF-16 unit */
            h = 31 * h + (guchar) *p++;
            continue;
        }
        c = g_utf8_get_char_validated(p, end - p);
        if (c == (gunichar) -1 || c == (gunichar) -2) {
            c = 0xFFFD;      /* what Java's decoder substitutes */
            p++;
        } else {
            p = g_utf8_next_char(p);
        }
        if (c >= 0x10000) {  /* surrogate pair: two UTF-16 units */
            c -= 0x10000;
            h = 31 * h + (0xD800 + (c >> 10));
            h = 31 * h + (0xDC00 + (c & 0x3FF));
        } else {
            h = 31 * h + c;
        }
    }
    return (gint32) h;
}

gint64
rmq_message_tag_code(const char *tags, gsize len)
{
    if (tags == NULL || len == 0)
        return 0;
    return (gint64) rmq_message_java_hash(tags, len);
}

void
rmq_message_id_format(const RmqHostAddr *store_host, gint64 offset, char out[57])
{
    /* Two hex digits per byte from one table (an id per stored message). */
    static const char pairs[513] =
        "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
        "202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F"
        "404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F"
        "606162636465666768696A6B6C6D6E6F707172737475767778797A7B7C7D7E7F"
        "808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9F"
        "A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF"
        "C0C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"
        "E0E1E2E3E4E5E6E7E8E9EAEBECEDEEEFF0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF";
    guint8 raw[28];
    gsize n = host_len(store_host), i = 0;

    memcpy(raw, store_host->addr, n);
    put32(raw + n, (guint32) store_host->port);
    put64(raw + n + 4, (guint64) offset);
#if defined(__SSE2__)
    /* The first sixteen bytes (all of an IPv4 id) at once: each nibble
     * plus '0', plus the gap to 'A' where it is over 9. */
    {
        const __m128i nibble = _mm_set1_epi8(0x0f), nine = _mm_set1_epi8(9);
        const __m128i zero = _mm_set1_epi8('0'), gap = _mm_set1_epi8('A' - '0' - 10);
        __m128i x = _mm_loadu_si128((const __m128i *) (const void *) raw);
        __m128i hi = _mm_and_si128(_mm_srli_epi16(x, 4), nibble);
        __m128i lo = _mm_and_si128(x, nibble);
        __m128i a = _mm_unpacklo_epi8(hi, lo), b = _mm_unpackhi_epi8(hi, lo);
        a = _mm_add_epi8(_mm_add_epi8(a, zero), _mm_and_si128(_mm_cmpgt_epi8(a, nine), gap));
        b = _mm_add_epi8(_mm_add_epi8(b, zero), _mm_and_si128(_mm_cmpgt_epi8(b, nine), gap));
        _mm_storeu_si128((__m128i *) (void *) out, a);
        _mm_storeu_si128((__m128i *) (void *) (out + 16), b);
        i = 16;
    }
#endif
    for (; i < n + 12; i++)
        memcpy(out + 2 * i, pairs + 2 * raw[i], 2);
    out[2 * (n + 12)] = '\0';
}

char *
rmq_message_id_encode(const RmqHostAddr *store_host, gint64 offset)
{
    char buf[57];

    rmq_message_id_format(store_host, offset, buf);
    return g_strdup(buf);
}

gboolean
rmq_message_id_decode(const char *id, RmqHostAddr *host, gint64 *offset, GError **error)
{
    gsize len = id ? strlen(id) : 0;
    guint8 raw[28];
    gsize n;

    if (len != 32 && len != 56) {
        g_set_error(error, RMQ_MESSAGE_ERROR, RMQ_MESSAGE_ERROR_PARSE,
                    "message id must be 32 or 56 hex digits, got %zu", len);
        return FALSE;
    }
    for (gsize i = 0; i < len / 2; i++) {
        int hi = g_ascii_xdigit_value(id[2 * i]);
        int lo = g_ascii_xdigit_value(id[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            g_set_error(error, RMQ_MESSAGE_ERROR, RMQ_MESSAGE_ERROR_PARSE,
                        "message id has a non-hex character at %zu", 2 * i);
            return FALSE;
        }
        raw[i] = (guint8) (hi << 4 | lo);
    }
    n = len == 32 ? 4 : 16;
    memset(host, 0, sizeof *host);
    memcpy(host->addr, raw, n);
    host->addr_len = (guint8) n;
    host->port = (gint32) get32(raw + n);
    *offset = (gint64) get64(raw + n + 4);
    return TRUE;
}
