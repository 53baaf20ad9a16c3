#include <config.h>

/* Hand-written JSON header parser: one pass over the text, no DOM, no
 * GObject. It understands full JSON (unknown members of any shape are
 * skipped) but only builds what a command header holds. */

#include "remoting/json_header.h"

#include <string.h>

#include "remoting/codec.h"
#include "remoting/command_private.h"
#include "remoting/json_scan.h"
#include "remoting/json_text.h"

/* Unknown members nest no deeper than this; deeper is rejected. */
#define MAX_DEPTH 64
/* Past this many ext fields, duplicates are found by hashing. */
#define EXT_INDEX_THRESHOLD 16

/* Strings are spans of the text the parser reads, which is the command's
 * own copy: without escapes (nearly all) as they lie, with escapes decoded
 * in place. A decoded string is never longer than its escaped form (\uXXXX
 * is six bytes for at most three; a surrogate pair twelve for four), so the
 * writing never overtakes the reading; a decoded string ends with a NUL
 * where its text ended at the latest. */

typedef struct {
    const gchar *p, *end;
    gchar *own; /* the text being read: the command's copy, see decode_fast */
    GError **error;
    const gchar *str; /* the last parsed string value, a span of own */
    gsize str_len;
    GHashTable *ext_index; /* key -> index+1 in cmd->ext, built lazily */
    guint64 ext_seen; /* bit (first byte & 63) of each ext key stored */
} Parser;

typedef enum { V_NULL, V_FALSE, V_TRUE, V_INT, V_DOUBLE, V_STRING, V_OBJECT, V_ARRAY } ValueKind;

static gboolean
fail(Parser *ps, const gchar *what)
{
    if (ps->error != NULL && *ps->error == NULL)
        g_set_error(ps->error, RMQ_CODEC_ERROR, RMQ_CODEC_ERROR_BAD_JSON,
                    "header is not valid JSON: %s", what);
    return FALSE;
}

static inline void
skip_ws(Parser *ps)
{
    /* one compare settles the usual case: no space at all. No bounds
     * check: the text ends with a NUL (decode_fast), which is no space. */
    while ((guchar) *ps->p <= ' ' &&
           (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static gboolean
expect(Parser *ps, char c)
{
    skip_ws(ps);
    if (ps->p >= ps->end || *ps->p != c)
        return fail(ps, "unexpected character");
    ps->p++;
    return TRUE;
}

static inline gint
hex_digit(gchar c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20; /* 'A'-'F' to 'a'-'f' */
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static gint
hex4(const gchar *p)
{
    gint v = 0;
    for (int i = 0; i < 4; i++) {
        gint d = hex_digit(p[i]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Decode the rest of a string literal in place, from @start (just past
 * the opening quote, writable: a position in ps->own) with ps->p at its
 * first escape or control character; @high holds the bytes of the run so
 * far OR-ed together. The string is left NUL-terminated at @start. */
/* Not inlined: the span path below stays small enough to need no saved
 * registers, and it is what nearly every string takes. */
G_GNUC_NO_INLINE static gboolean
parse_string_in_place(Parser *ps, gchar *start, guint64 high, gsize *out_len)
{
    gboolean nul = FALSE; /* a \u0000: refused once the string is read */
    gchar *w = start + (ps->p - start); /* the write position: never past ps->p */

    for (;;) {
        if (ps->p >= ps->end)
            return fail(ps, "unterminated string");
        guchar c = (guchar) *ps->p;
        if (c < 0x20)
            return fail(ps, "control character in string");
        if (c == '"') {
            ps->p++;
            *w = '\0';
            *out_len = (gsize) (w - start);
            /* Escapes decode to valid UTF-8: only raw non-ASCII needs a
             * look. g_utf8_validate refuses a NUL, hence the NUL check. */
            if (nul || ((high & RMQ_JSON_SCAN_HIGHS) != 0 &&
                        !g_utf8_validate(start, (gssize) *out_len, NULL)))
                return fail(ps, "string is not UTF-8");
            return TRUE;
        }
        if (ps->end - ps->p < 2)
            return fail(ps, "truncated escape");
        char e = ps->p[1];
        ps->p += 2;
        switch (e) {
        case '"': case '\\': case '/': *w++ = e; break;
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 't': *w++ = '\t'; break;
        case 'u': {
            if (ps->end - ps->p < 4)
                return fail(ps, "truncated \\u escape");
            gint cp = hex4(ps->p);
            if (cp < 0)
                return fail(ps, "bad \\u escape");
            ps->p += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && ps->end - ps->p >= 6 && ps->p[0] == '\\' &&
                ps->p[1] == 'u') {
                gint lo = hex4(ps->p + 2);
                if (lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    ps->p += 6;
                }
            }
            if (cp >= 0xd800 && cp < 0xe000)
                cp = 0xfffd; /* lone surrogate */
            nul |= cp == 0;
            if (cp < 0x80) /* the \u0001 and \u0002 of message properties */
                *w++ = (gchar) cp;
            else
                w += g_unichar_to_utf8((gunichar) cp, w); /* at most 4 of the 6 or 12 read */
            break;
        }
        default:
            return fail(ps, "bad escape");
        }
        /* the plain run up to the next escape, moved down over the gap */
        gsize plain = rmq_json_scan_plain(ps->p, (gsize) (ps->end - ps->p), FALSE, &high);
        memmove(w, ps->p, plain);
        w += plain;
        ps->p += plain;
    }
}

/* A string literal at the opening quote, as a span of the text (decoded in
 * place when it has escapes; UTF-8 checked either way, which also refuses
 * a NUL from \u0000). A string without escapes is not NUL-terminated: its
 * closing quote follows it. */
static gboolean
parse_string_span(Parser *ps, const gchar **out, gsize *out_len)
{
    if (ps->p >= ps->end || *ps->p != '"')
        return fail(ps, "expected a string");
    const gchar *start = ps->p + 1;
    guint64 high = 0;
    gsize n = rmq_json_scan_plain(start, (gsize) (ps->end - start), FALSE, &high);
    const gchar *q = start + n;
    if (q < ps->end && *q == '"') {
        if ((high & RMQ_JSON_SCAN_HIGHS) != 0 && !g_utf8_validate(start, (gssize) n, NULL))
            return fail(ps, "string is not UTF-8");
        *out = start;
        *out_len = n;
        ps->p = q + 1;
        return TRUE;
    }
    ps->p = q;
    gchar *own_start = ps->own + (start - ps->own); /* the same bytes, writable */
    if (!parse_string_in_place(ps, own_start, high, out_len))
        return FALSE;
    *out = own_start;
    return TRUE;
}

static gboolean
parse_string(Parser *ps)
{
    return parse_string_span(ps, &ps->str, &ps->str_len);
}

/* A member name (a span, not NUL-terminated) equals the string literal
 * @lit: lengths first, then a compare the compiler inlines. */
#define name_is(name, len, lit) ((len) == sizeof(lit) - 1 && memcmp((name), (lit), (len)) == 0)

static gboolean
is_digit(Parser *ps)
{
    return ps->p < ps->end && g_ascii_isdigit(*ps->p);
}

/* JSON number grammar; integers that fit in gint64 become V_INT. */
static gboolean
parse_number(Parser *ps, ValueKind *kind, gint64 *ival, gdouble *dval)
{
    const gchar *start = ps->p;
    gboolean is_int = TRUE;

    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    if (!is_digit(ps))
        return fail(ps, "bad number");
    if (*ps->p == '0')
        ps->p++;
    else
        while (is_digit(ps))
            ps->p++;
    if (ps->p < ps->end && *ps->p == '.') {
        is_int = FALSE;
        ps->p++;
        if (!is_digit(ps))
            return fail(ps, "bad fraction");
        while (is_digit(ps))
            ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        is_int = FALSE;
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (!is_digit(ps))
            return fail(ps, "bad exponent");
        while (is_digit(ps))
            ps->p++;
    }
    gsize n = (gsize) (ps->p - start);
    gboolean negative = *start == '-';
    if (is_int && n - negative <= 18) { /* cannot overflow: no strtoll needed */
        gint64 v = 0;
        for (const gchar *q = start + negative; q < ps->p; q++)
            v = v * 10 + (*q - '0');
        *ival = negative ? -v : v;
        *kind = V_INT;
        return TRUE;
    }
    gchar small[64];
    g_autofree gchar *big = NULL;
    gchar *text = n < sizeof small ? small : (big = g_malloc(n + 1));
    memcpy(text, start, n);
    text[n] = '\0';
    if (is_int && g_ascii_string_to_signed(text, 10, G_MININT64, G_MAXINT64, ival, NULL)) {
        *kind = V_INT;
        return TRUE;
    }
    *kind = V_DOUBLE;
    *dval = g_ascii_strtod(text, NULL);
    return TRUE;
}

static gboolean
parse_literal(Parser *ps, const char *word, gsize n)
{
    if ((gsize) (ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return fail(ps, "unexpected token");
    ps->p += n;
    return TRUE;
}

static gboolean skip_value(Parser *ps, int depth);

/* Scalars are parsed, objects and arrays are only opened: the caller either
 * walks the object or calls skip_container(). */
static gboolean
parse_value_start(Parser *ps, ValueKind *kind, gint64 *ival, gdouble *dval)
{
    skip_ws(ps);
    if (ps->p >= ps->end)
        return fail(ps, "missing value");
    switch (*ps->p) {
    case '"': *kind = V_STRING; return parse_string(ps);
    case '{': *kind = V_OBJECT; ps->p++; return TRUE;
    case '[': *kind = V_ARRAY; ps->p++; return TRUE;
    case 't': *kind = V_TRUE; return parse_literal(ps, "true", 4);
    case 'f': *kind = V_FALSE; return parse_literal(ps, "false", 5);
    case 'n': *kind = V_NULL; return parse_literal(ps, "null", 4);
    default: return parse_number(ps, kind, ival, dval);
    }
}

/* After the opening bracket of an object or array, skip to past its end. */
static gboolean
skip_container(Parser *ps, ValueKind kind, int depth)
{
    char close = kind == V_OBJECT ? '}' : ']';

    if (depth > MAX_DEPTH)
        return fail(ps, "nested too deeply");
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return TRUE;
    }
    for (;;) {
        if (kind == V_OBJECT) {
            skip_ws(ps);
            if (!parse_string(ps) || !expect(ps, ':'))
                return FALSE;
        }
        if (!skip_value(ps, depth + 1))
            return FALSE;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        return expect(ps, close);
    }
}

static gboolean
skip_value(Parser *ps, int depth)
{
    ValueKind kind;
    gint64 i;
    gdouble d;

    if (!parse_value_start(ps, &kind, &i, &d))
        return FALSE;
    if (kind == V_OBJECT || kind == V_ARRAY)
        return skip_container(ps, kind, depth);
    return TRUE;
}

/* The member names a header has, written as every client writes them
 * ("name": with no escape or space): matched as bytes, with no scan. The
 * name is left pointing into the text. FALSE, nothing consumed, else. */
static gboolean
known_member(Parser *ps, const gchar **name, gsize *name_len)
{
    const gchar *p = ps->p;
    gsize room = (gsize) (ps->end - p);
#define KNOWN(lit)                                                                        \
    do {                                                                                  \
        if (room >= sizeof(lit) - 1 && memcmp(p, lit, sizeof(lit) - 1) == 0) {            \
            *name = p + 1;                                                                \
            *name_len = sizeof(lit) - 4; /* without the quotes and the colon */           \
            ps->p = p + sizeof(lit) - 1;                                                  \
            return TRUE;                                                                  \
        }                                                                                 \
    } while (0)
    if (room < 2 || p[0] != '"')
        return FALSE;
    switch (p[1]) {
    case 'c': KNOWN("\"code\":"); break;
    case 'e': KNOWN("\"extFields\":"); break;
    case 'f': KNOWN("\"flag\":"); break;
    case 'l': KNOWN("\"language\":"); break;
    case 'o': KNOWN("\"opaque\":"); break;
    case 'r': KNOWN("\"remark\":"); break;
    case 's': KNOWN("\"serializeTypeCurrentRPC\":"); break;
    case 'v': KNOWN("\"version\":"); break;
    default: break;
    }
#undef KNOWN
    return FALSE;
}

/* Iterate the members of an object whose '{' was consumed. */
typedef gboolean (*MemberFunc)(Parser *ps, const gchar *name, gsize name_len, RmqCommand *cmd);

static gboolean
parse_object(Parser *ps, RmqCommand *cmd, MemberFunc member)
{
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return TRUE;
    }
    for (;;) {
        skip_ws(ps);
        /* The name stays valid while its value is parsed: strings are
         * decoded where they lie, each within its own text. */
        const gchar *name;
        gsize name_len;
        if (!known_member(ps, &name, &name_len) &&
            (!parse_string_span(ps, &name, &name_len) || !expect(ps, ':')))
            return FALSE;
        if (!member(ps, name, name_len, cmd))
            return FALSE;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        return expect(ps, '}');
    }
}

static gboolean
key_equal(const gchar *key, const gchar *name, gsize name_len)
{
    if (name_len > 0 && key[0] != name[0]) /* settles most misses: keys are short */
        return FALSE;
    return strncmp(key, name, name_len) == 0 && key[name_len] == '\0';
}

/* Store a field. With @in_text, @key and @value are spans of ps->own that
 * the parser has read past, so a NUL may be written right after each (over
 * a closing quote, or where a decoded string already ended): a new field
 * then keeps them where they lie, with no copy. */
static void
ext_store(Parser *ps, RmqCommand *cmd, const gchar *key, gsize key_len, const gchar *value,
          gsize value_len, gboolean in_text)
{
    guint idx = 0;
    guint64 bit = G_GUINT64_CONSTANT(1) << (key_len > 0 ? (guchar) key[0] & 63 : 0);

    if ((ps->ext_seen & bit) == 0) {
        /* no stored key starts with this byte: not a duplicate (the common
         * case: SEND_MESSAGE_V2's keys are "a".."n") */
    } else if (ps->ext_index != NULL) {
        g_autofree gchar *k = g_strndup(key, key_len);
        idx = GPOINTER_TO_UINT(g_hash_table_lookup(ps->ext_index, k));
    } else {
        for (guint i = 0; i < cmd->ext->len; i++)
            if (key_equal(g_array_index(cmd->ext, RmqExtField, i).key, key, key_len))
                idx = i + 1;
    }
    if (idx > 0) { /* duplicate key: last value wins, first position kept */
        rmq_command_replace_ext_value(cmd, idx - 1, value, value_len);
        return;
    }
    if (in_text) {
        gchar *k = ps->own + (key - ps->own), *v = ps->own + (value - ps->own);
        k[key_len] = '\0';
        v[value_len] = '\0';
        rmq_command_append_ext_owned(cmd, k, key_len, v, value_len);
    } else {
        rmq_command_append_ext_len(cmd, key, key_len, value, value_len);
    }
    ps->ext_seen |= bit;
    if (ps->ext_index == NULL && cmd->ext->len > EXT_INDEX_THRESHOLD) {
        ps->ext_index = g_hash_table_new(g_str_hash, g_str_equal);
        for (guint i = 0; i < cmd->ext->len; i++)
            g_hash_table_insert(ps->ext_index, g_array_index(cmd->ext, RmqExtField, i).key,
                                GUINT_TO_POINTER(i + 1));
    } else if (ps->ext_index != NULL) {
        g_hash_table_insert(ps->ext_index, g_array_index(cmd->ext, RmqExtField, cmd->ext->len - 1).key,
                            GUINT_TO_POINTER(cmd->ext->len));
    }
}

static gboolean
ext_member(Parser *ps, const gchar *name, gsize name_len, RmqCommand *cmd)
{
    ValueKind kind;
    gint64 i = 0;
    gdouble d = 0;
    gchar buf[RMQ_JSON_INT64_MAX_LEN];

    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '"') { /* what Java and our clients send */
        if (!parse_string(ps))
            return FALSE;
        ext_store(ps, cmd, name, name_len, ps->str, ps->str_len, TRUE);
        return TRUE;
    }
    if (!parse_value_start(ps, &kind, &i, &d))
        return FALSE;
    switch (kind) {
    case V_NULL: /* Java drops null header fields, also over an earlier value */
        for (guint k = 0; k < cmd->ext->len; k++) {
            if (key_equal(g_array_index(cmd->ext, RmqExtField, k).key, name, name_len)) {
                g_clear_pointer(&ps->ext_index, g_hash_table_destroy); /* indices shift */
                g_array_remove_index(cmd->ext, k);
                break;
            }
        }
        return TRUE;
    case V_STRING:
        ext_store(ps, cmd, name, name_len, ps->str, ps->str_len, TRUE);
        return TRUE;
    case V_TRUE:
    case V_FALSE:
        ext_store(ps, cmd, name, name_len, kind == V_TRUE ? "true" : "false", kind == V_TRUE ? 4 : 5,
                  FALSE);
        return TRUE;
    case V_INT:
        ext_store(ps, cmd, name, name_len, buf, rmq_json_text_format_int64(i, buf), FALSE);
        return TRUE;
    case V_DOUBLE: {
        g_autoptr(GString) num = g_string_sized_new(24);
        rmq_json_text_append_double(num, d);
        ext_store(ps, cmd, name, name_len, num->str, num->len, FALSE);
        return TRUE;
    }
    default:
        g_set_error(ps->error, RMQ_CODEC_ERROR, RMQ_CODEC_ERROR_BAD_JSON,
                    "extFields value for %.*s is not a scalar", (int) name_len, name);
        return FALSE;
    }
}

/* The shape nearly every ext member has, "key":"value" with no escape,
 * no space and only ASCII, for a key not seen yet: the field is the text
 * itself, its closing quotes turned into NULs. Takes such members as long
 * as they follow one another with bare commas between them (a send's
 * header is a dozen of them), leaving ps->p just past the last one taken.
 * FALSE, with nothing consumed or changed, when the first member is of
 * another shape; the general member path then reads it from the same
 * place. */
static gboolean
ext_run_plain(Parser *ps, RmqCommand *cmd)
{
    const gchar *p = ps->p, *end = ps->end;
    const gchar *taken = NULL; /* just past the last member taken */
    guint64 seen = ps->ext_seen;
    /* Slots are written in place (rmq_command_ext_push's common case, with
     * the length stored once at the end): within the room the command was
     * made with, and below the count past which duplicates are hashed. */
    GArray *ext = cmd->ext;
    guint len = ext->len, limit = MIN(cmd->ext_room, EXT_INDEX_THRESHOLD);
    RmqExtField *slot = &g_array_index(ext, RmqExtField, len);

    for (;;) {
        if (len >= limit || end - p < 6)
            break;
        const gchar *key = p + 1, *value;
        guint64 high = 0;
        gsize key_len;
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
        /* SEND_MESSAGE_V2's "a".."n": '"', the letter, '"', ':', '"' are
         * one compare of a word's bytes 0, 2, 3 and 4, no scan */
        guint64 w = 0;
        if (end - p >= 8)
            memcpy(&w, p, 8);
        if ((w & G_GUINT64_CONSTANT(0xffffff00ff)) ==
                ((guint64) '"' | (guint64) '"' << 16 | (guint64) ':' << 24 | (guint64) '"' << 32) &&
            rmq_json_scan_stops[(guchar) key[0]] == 0 && (guchar) key[0] < 0x80) {
            key_len = 1;
            value = p + 5;
        } else
#endif
        {
            if (*p != '"')
                break;
            if (key[1] == '"' && rmq_json_scan_stops[(guchar) key[0]] == 0 &&
                (guchar) key[0] < 0x80)
                key_len = 1;
            else
                key_len = rmq_json_scan_plain(key, (gsize) (end - key), FALSE, &high);
            const gchar *q = key + key_len;
            if (end - q < 3 || q[0] != '"' || q[1] != ':' || q[2] != '"' ||
                (high & RMQ_JSON_SCAN_HIGHS) != 0)
                break;
            value = q + 3;
        }
        gsize value_len;
        if (end - value >= 2 && value[1] == '"' && rmq_json_scan_stops[(guchar) value[0]] == 0 &&
            (guchar) value[0] < 0x80) {
            value_len = 1; /* "4", "0": a third of a send's values, no scan */
        } else {
            value_len = rmq_json_scan_plain(value, (gsize) (end - value), FALSE, &high);
            const gchar *q = value + value_len;
            if (q >= end || *q != '"' || (high & RMQ_JSON_SCAN_HIGHS) != 0)
                break;
        }
        guint64 bit = G_GUINT64_CONSTANT(1) << (key_len > 0 ? (guchar) key[0] & 63 : 0);
        if ((seen & bit) != 0)
            break; /* maybe a duplicate: ext_store knows what to do */
        gchar *k = ps->own + (key - ps->own); /* the same bytes, writable */
        gchar *v = k + (value - key);
        k[key_len] = '\0';
        v[value_len] = '\0';
        slot->key = k;
        slot->value = v;
        slot->key_len = (guint32) key_len;
        slot->value_len = (guint32) value_len;
        slot->plain = FALSE;
        slot++;
        len++;
        seen |= bit;
        taken = value + value_len + 1; /* past the closing quote */
        if (end - taken < 2 || taken[0] != ',')
            break;
        p = taken + 1;
    }
    if (taken == NULL)
        return FALSE;
    ext->len = len;
    ps->ext_seen = seen;
    ps->p = taken;
    return TRUE;
}

/* The members of the extFields object, its '{' consumed. */
static gboolean
parse_ext_object(Parser *ps, RmqCommand *cmd)
{
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return TRUE;
    }
    for (;;) {
        skip_ws(ps);
        if (!ext_run_plain(ps, cmd)) {
            const gchar *name;
            gsize name_len;
            if (!parse_string_span(ps, &name, &name_len) || !expect(ps, ':') ||
                !ext_member(ps, name, name_len, cmd))
                return FALSE;
        }
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        return expect(ps, '}');
    }
}

/* int32_member's JSON number path (not inlined: the digits path stays
 * free of its frame). */
G_GNUC_NO_INLINE static gboolean
int32_member_slow(Parser *ps, const gchar *name, gsize name_len, gint32 *out)
{
    ValueKind kind;
    gint64 i = 0;
    gdouble d;

    if (!parse_value_start(ps, &kind, &i, &d))
        return FALSE;
    if (kind == V_NULL) {
        *out = 0; /* Java's default; a later null overrides, as in json-glib */
        return TRUE;
    }
    if (kind != V_INT) {
        g_set_error(ps->error, RMQ_CODEC_ERROR, RMQ_CODEC_ERROR_BAD_JSON,
                    "header field %.*s is not an integer", (int) name_len, name);
        return FALSE;
    }
    if (i < G_MININT32 || i > G_MAXINT32) {
        g_set_error(ps->error, RMQ_CODEC_ERROR, RMQ_CODEC_ERROR_BAD_JSON,
                    "header field %.*s out of range", (int) name_len, name);
        return FALSE;
    }
    *out = (gint32) i;
    return TRUE;
}

static inline gboolean
int32_member(Parser *ps, const gchar *name, gsize name_len, gint32 *out)
{
    /* Up to nine plain digits followed by a delimiter fit a gint32 and are
     * what every client sends; anything else takes the JSON number path. */
    const gchar *p = ps->p;
    guint32 v = 0;
    int n = 0;
    /* no bounds checks: the text ends with a NUL, neither digit nor delimiter */
    while (n < 10 && p[n] >= '0' && p[n] <= '9')
        v = v * 10 + (guint32) (p[n++] - '0');
    if (n > 0 && n < 10 && (n == 1 || p[0] != '0') && (p[n] == ',' || p[n] == '}')) {
        ps->p = p + n;
        *out = (gint32) v;
        return TRUE;
    }
    return int32_member_slow(ps, name, name_len, out);
}

static gboolean
header_member(Parser *ps, const gchar *name, gsize name_len, RmqCommand *cmd)
{
    if (name_is(name, name_len, "code"))
        return int32_member(ps, name, name_len, &cmd->code);
    if (name_is(name, name_len, "flag"))
        return int32_member(ps, name, name_len, &cmd->flag);
    if (name_is(name, name_len, "opaque"))
        return int32_member(ps, name, name_len, &cmd->opaque);
    if (name_is(name, name_len, "version"))
        return int32_member(ps, name, name_len, &cmd->version);

    ValueKind kind;
    gint64 i = 0;
    gdouble d;
    if (name_is(name, name_len, "extFields")) {
        if (!parse_value_start(ps, &kind, &i, &d))
            return FALSE;
        /* A repeated extFields replaces the earlier one. */
        g_clear_pointer(&ps->ext_index, g_hash_table_destroy);
        g_array_set_size(cmd->ext, 0);
        ps->ext_seen = 0;
        cmd->ext_present = FALSE;
        if (kind == V_NULL)
            return TRUE;
        if (kind != V_OBJECT) {
            g_set_error(ps->error, RMQ_CODEC_ERROR, RMQ_CODEC_ERROR_BAD_JSON,
                        "extFields is not an object");
            return FALSE;
        }
        cmd->ext_present = TRUE;
        return parse_ext_object(ps, cmd);
    }
    if (name_is(name, name_len, "language")) {
        skip_ws(ps);
        if (ps->end - ps->p >= 6 && memcmp(ps->p, "\"JAVA\"", 6) == 0) {
            cmd->language = RMQ_LANG_JAVA; /* what nearly every client sends */
            ps->p += 6;
            return TRUE;
        }
        if (!parse_value_start(ps, &kind, &i, &d))
            return FALSE;
        if (kind == V_STRING) {
            gchar small[32];
            g_autofree gchar *big = NULL;
            gchar *lang = ps->str_len < sizeof small ? small : (big = g_malloc(ps->str_len + 1));
            memcpy(lang, ps->str, ps->str_len);
            lang[ps->str_len] = '\0';
            cmd->language = rmq_language_from_string(lang);
        }
        else if (kind == V_INT)
            cmd->language = rmq_language_from_int(i);
        else if (kind == V_NULL)
            cmd->language = RMQ_LANG_JAVA;
        else {
            g_set_error(ps->error, RMQ_CODEC_ERROR, RMQ_CODEC_ERROR_BAD_JSON,
                        "header field language is neither a name nor a number");
            return FALSE;
        }
        return TRUE;
    }
    if (name_is(name, name_len, "remark")) {
        if (!parse_value_start(ps, &kind, &i, &d))
            return FALSE;
        if (kind == V_STRING) {
            g_free(cmd->remark);
            cmd->remark = g_strndup(ps->str, ps->str_len);
        } else if (kind == V_NULL) {
            g_clear_pointer(&cmd->remark, g_free);
        } else {
            g_set_error(ps->error, RMQ_CODEC_ERROR, RMQ_CODEC_ERROR_BAD_JSON,
                        "header field remark is not a string");
            return FALSE;
        }
        return TRUE;
    }
    if (name_is(name, name_len, "serializeTypeCurrentRPC")) {
        skip_ws(ps);
        if (ps->end - ps->p >= 6 && memcmp(ps->p, "\"JSON\"", 6) == 0) {
            ps->p += 6; /* the usual value: nothing to scan */
            return TRUE;
        }
    }
    return skip_value(ps, 1); /* serializeTypeCurrentRPC and unknown keys */
}

gboolean
rmq_json_header_decode_fast(const gchar *text, gsize len, RmqCommand *cmd, GError **error)
{
    Parser ps;
    /* Read from a copy the command owns: plain ext fields then stay where
     * they lie in it instead of being copied one by one. */
    ps.own = rmq_command_alloc_text(cmd, len + 1);
    if (len > 0)
        memcpy(ps.own, text, len);
    ps.own[len] = '\0'; /* a stop for skip_ws; never written over */
    ps.p = ps.own;
    ps.end = ps.own + len;
    ps.error = error;
    ps.str = NULL;
    ps.str_len = 0;
    ps.ext_index = NULL;
    ps.ext_seen = 0;

    gboolean ok = expect(&ps, '{') && parse_object(&ps, cmd, header_member);
    if (ok) {
        skip_ws(&ps);
        if (ps.p != ps.end)
            ok = fail(&ps, "trailing data after the header object");
    }
    if (ps.ext_index != NULL)
        g_hash_table_destroy(ps.ext_index);
    return ok;
}
