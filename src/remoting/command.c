#include <config.h>

#include "remoting/command.h"
#include "remoting/command_private.h"

#include <string.h>

#include "remoting/json_text.h"

/* Indexed by RmqLanguage: the Java LanguageCode names. */
static const gchar *const language_names[] = {
    "JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY",
    "OTHER", "HTTP", "GO", "PHP", "OMS", "RUST",
};

/* Ext field text lives in chunks owned by the command, freed with it: a
 * header of a dozen fields costs one allocation instead of two per field.
 * Replaced or removed text stays until then (commands are short-lived). */
#define ARENA_CHUNK 1024 /* a send's header text and its escaped properties fit the first */

typedef struct ArenaChunk {
    struct ArenaChunk *next;
    gsize used, size;
    gchar data[];
} ArenaChunk;

/* A chunk with room for @n more bytes after @c ran out (or there was none). */
G_GNUC_NO_INLINE static ArenaChunk *
arena_grow(RmqCommand *cmd, ArenaChunk *c, gsize n)
{
    gsize size = MAX(n, ARENA_CHUNK - sizeof *c);
    ArenaChunk *fresh = g_malloc(sizeof *c + size);
    fresh->used = 0;
    fresh->size = size;
    /* A big one-off keeps the current chunk's room for later fields. */
    if (c != NULL && n > ARENA_CHUNK / 2) {
        fresh->next = c->next;
        c->next = fresh;
    } else {
        fresh->next = c;
        cmd->arena = fresh;
    }
    return fresh;
}

/* Inline: it runs for every field, and the first chunk nearly always has room. */
static inline gchar *
arena_alloc(RmqCommand *cmd, gsize n)
{
    ArenaChunk *c = cmd->arena;

    if (G_UNLIKELY(c == NULL || c->size - c->used < n))
        c = arena_grow(cmd, c, n);
    gchar *p = c->data + c->used;
    c->used += n;
    return p;
}

/* A command and its first arena chunk are one allocation: a request or a
 * response of a dozen short fields then costs no second malloc and free. */
#define COMMAND_HEAD ((sizeof(RmqCommand) + 15) & ~(gsize) 15)

static ArenaChunk *
first_chunk(RmqCommand *cmd)
{
    return (ArenaChunk *) ((gchar *) cmd + COMMAND_HEAD);
}

/* Freed commands are kept for reuse, a few per thread, with their ext
 * array: a request and its response otherwise cost two blocks and two
 * GArrays made and destroyed. Not under AddressSanitizer, which should see
 * every use of a freed command. */
#if defined(__SANITIZE_ADDRESS__)
#define COMMAND_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COMMAND_CACHE 0
#endif
#endif
#ifndef COMMAND_CACHE
#define COMMAND_CACHE 8
#endif

typedef struct {
    guint n;
    RmqCommand *spare[COMMAND_CACHE + 1];
} CommandCache;

/* The GPrivate frees a thread's cache when the thread ends; this copy of
 * its pointer spares the lookup on every command (two per request). */
static _Thread_local CommandCache *thread_cache_fast;

static void
command_cache_free(gpointer data)
{
    CommandCache *cache = data;
    thread_cache_fast = NULL; /* key destructors run on the ending thread */
    for (guint i = 0; i < cache->n; i++) {
        g_array_unref(cache->spare[i]->ext);
        g_free(cache->spare[i]);
    }
    g_free(cache);
}

static GPrivate command_cache = G_PRIVATE_INIT(command_cache_free);

static CommandCache *
thread_cache(void)
{
    if (G_LIKELY(thread_cache_fast != NULL))
        return thread_cache_fast;
    CommandCache *cache = g_private_get(&command_cache);
    if (cache == NULL && COMMAND_CACHE > 0) {
        cache = g_new0(CommandCache, 1);
        g_private_set(&command_cache, cache);
    }
    thread_cache_fast = cache;
    return cache;
}

static RmqCommand *
command_new(gint32 code)
{
    CommandCache *cache = thread_cache();
    RmqCommand *cmd;
    GArray *ext;
    if (cache != NULL && cache->n > 0) {
        cmd = cache->spare[--cache->n];
        ext = cmd->ext; /* emptied when the command was freed */
    } else {
        cmd = g_malloc(COMMAND_HEAD + ARENA_CHUNK);
        /* SEND_MESSAGE_V2 requests carry about 13 fields: no regrowth. Not
         * cleared: every slot is written before it counts. */
        ext = g_array_sized_new(FALSE, FALSE, sizeof(RmqExtField), 16);
    }
    memset(cmd, 0, sizeof *cmd);
    cmd->block_refs = 1; /* the command itself */
    ArenaChunk *c = first_chunk(cmd);
    c->next = NULL;
    c->used = 0;
    c->size = ARENA_CHUNK - sizeof *c;
    cmd->arena = c;
    cmd->ext = ext;
    cmd->ext_room = 16; /* at least: a reused array may have grown */

    cmd->code = code;
    cmd->language = RMQ_LANG_JAVA;
    cmd->version = RMQ_REMOTING_VERSION;
    cmd->serialize_type = RMQ_SERIALIZE_JSON;
    return cmd;
}

RmqCommand *
rmq_command_new_request(gint32 code)
{
    return command_new(code);
}

RmqCommand *
rmq_command_new_response(const RmqCommand *request, gint32 code, const gchar *remark)
{
    g_return_val_if_fail(request != NULL, NULL);

    RmqCommand *cmd = command_new(code);
    cmd->opaque = request->opaque;
    cmd->serialize_type = request->serialize_type;
    cmd->flag = RMQ_FLAG_RESPONSE;
    cmd->remark = g_strdup(remark);
    return cmd;
}

/* The command's memory (the command and its first arena chunk) goes back
 * to the cache or the heap once nothing holds it: the command itself, and a
 * body copied into that chunk (rmq_command_set_body_data), which may be
 * referenced after the command is freed, on any thread. */
static void block_release(RmqCommand *cmd);

static void
block_unref(gpointer data)
{
    RmqCommand *cmd = data;
    if (g_atomic_int_dec_and_test(&cmd->block_refs))
        block_release(cmd);
}

void
rmq_command_free(RmqCommand *cmd)
{
    if (cmd == NULL)
        return;
    if (cmd->remark != NULL) /* most have none: no g_free(NULL) call */
        g_free(cmd->remark);
    for (ArenaChunk *c = cmd->arena, *next; c != NULL; c = next) {
        next = c->next;
        if (c != first_chunk(cmd))
            g_free(c); /* never holds a body */
    }
    if (cmd->body != NULL)
        g_bytes_unref(cmd->body);
    block_unref(cmd);
}

static void
block_release(RmqCommand *cmd)
{
#if COMMAND_CACHE > 0
    CommandCache *cache = thread_cache();
    if (cache != NULL && cache->n < COMMAND_CACHE) {
        cmd->ext->len = 0; /* what g_array_set_size does here: no clear func */
        cache->spare[cache->n++] = cmd;
        return;
    }
#endif
    g_array_unref(cmd->ext);
    g_free(cmd);
}

gboolean
rmq_command_is_response(const RmqCommand *cmd)
{
    g_return_val_if_fail(cmd != NULL, FALSE);
    return (cmd->flag & RMQ_FLAG_RESPONSE) != 0;
}

gboolean
rmq_command_is_oneway(const RmqCommand *cmd)
{
    g_return_val_if_fail(cmd != NULL, FALSE);
    return (cmd->flag & RMQ_FLAG_ONEWAY) != 0;
}

/* Headers carry a handful of fields: a linear scan beats hashing, and the
 * first byte (SEND_MESSAGE_V2 keys are one letter) settles most misses. */
static gint
ext_find_len(const RmqCommand *cmd, const gchar *key, gsize key_len)
{
    for (guint i = 0; i < cmd->ext->len; i++) {
        const gchar *k = g_array_index(cmd->ext, RmqExtField, i).key;
        if (key_len > 0 && k[0] != key[0])
            continue;
        if (strncmp(k, key, key_len) == 0 && k[key_len] == '\0')
            return (gint) i;
    }
    return -1;
}

static gint
ext_find(const RmqCommand *cmd, const gchar *key)
{
    for (guint i = 0; i < cmd->ext->len; i++) {
        const gchar *k = g_array_index(cmd->ext, RmqExtField, i).key;
        if (k[0] == key[0] && strcmp(k, key) == 0)
            return (gint) i;
    }
    return -1;
}

/* g_ascii_string_to_signed(base 10) for the common shape, plain digits with
 * an optional '-' that cannot overflow; anything else goes to glib. */
gboolean
rmq_command_parse_int64(const gchar *v, gint64 min, gint64 max, gint64 *out)
{
    const gchar *p = v + (v[0] == '-');
    gint64 n = 0;
    int digits = 0;

    while (*p >= '0' && *p <= '9' && digits < 18) {
        n = n * 10 + (*p++ - '0');
        digits++;
    }
    if (*p != '\0' || digits == 0 || digits == 18)
        return g_ascii_string_to_signed(v, 10, min, max, out, NULL);
    if (v[0] == '-')
        n = -n;
    if (n < min || n > max)
        return FALSE;
    *out = n;
    return TRUE;
}

gboolean
rmq_command_parse_int64_len(const gchar *v, gsize len, gint64 min, gint64 max, gint64 *out)
{
    gsize neg = len > 0 && v[0] == '-';
    gsize digits = len - neg;

    /* The fast path takes only what rmq_command_parse_int64's own does
     * (one to seventeen digits up to the NUL); anything else goes to it. */
    if (v[len] != '\0' || digits == 0 || digits >= 18)
        return rmq_command_parse_int64(v, min, max, out);
    const gchar *p = v + neg;
    guint64 n = 0;
    gsize i = 0;
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
    if (digits >= 8) {
        const guint64 zeros = G_GUINT64_CONSTANT(0x3030303030303030);
        const guint64 high_nibbles = G_GUINT64_CONSTANT(0xf0f0f0f0f0f0f0f0);
        /* the first digits % 8 as a word of their own, '0's in front (the
         * lower bytes: the first digit is in the lowest byte), then whole
         * words: thirteen digits are two words and no loop */
        gsize k = digits % 8 != 0 ? digits % 8 : 8;
        for (; i < digits; i += k, k = 8) {
            guint64 w;
            memcpy(&w, p + (k == 8 ? i : 0), 8);
            if (k < 8)
                w = (w << (8 * (8 - k))) | (zeros >> (8 * k));
            /* every byte 0x30-0x3f, and none past 0x39 (+6 would carry
             * into its high nibble) */
            if ((w & high_nibbles) != zeros ||
                ((w + G_GUINT64_CONSTANT(0x0606060606060606)) & high_nibbles) != zeros)
                return rmq_command_parse_int64(v, min, max, out);
            w -= zeros; /* pairs, quads, then all eight */
            w = ((w & G_GUINT64_CONSTANT(0x0f0f0f0f0f0f0f0f)) * 2561) >> 8;
            w = ((w & G_GUINT64_CONSTANT(0x00ff00ff00ff00ff)) * 6553601) >> 16;
            w = ((w & G_GUINT64_CONSTANT(0x0000ffff0000ffff)) *
                 G_GUINT64_CONSTANT(42949672960001)) >> 32;
            n = n * 100000000 + w;
        }
    }
#endif
    for (; i < digits; i++) {
        guint d = (guint) ((guchar) p[i] - '0');
        if (d > 9)
            return rmq_command_parse_int64(v, min, max, out);
        n = n * 10 + d;
    }
    gint64 r = neg ? -(gint64) n : (gint64) n; /* below 10^17: no overflow */
    if (r < min || r > max)
        return FALSE;
    *out = r;
    return TRUE;
}

const gchar *
rmq_command_get_ext(const RmqCommand *cmd, const gchar *key)
{
    g_return_val_if_fail(cmd != NULL && key != NULL, NULL);

    gint i = ext_find(cmd, key);
    return i < 0 ? NULL : g_array_index(cmd->ext, RmqExtField, i).value;
}

gboolean
rmq_command_get_ext_int64(const RmqCommand *cmd, const gchar *key, gint64 *out)
{
    const gchar *v = rmq_command_get_ext(cmd, key);
    gint64 n;

    if (v == NULL || !rmq_command_parse_int64(v, G_MININT64, G_MAXINT64, &n))
        return FALSE;
    if (out != NULL)
        *out = n;
    return TRUE;
}

gboolean
rmq_command_get_ext_int32(const RmqCommand *cmd, const gchar *key, gint32 *out)
{
    const gchar *v = rmq_command_get_ext(cmd, key);
    gint64 n;

    if (v == NULL || !rmq_command_parse_int64(v, G_MININT32, G_MAXINT32, &n))
        return FALSE;
    if (out != NULL)
        *out = (gint32) n;
    return TRUE;
}

gboolean
rmq_command_get_ext_bool(const RmqCommand *cmd, const gchar *key, gboolean fallback)
{
    const gchar *v = rmq_command_get_ext(cmd, key);

    if (v == NULL)
        return fallback;
    /* Boolean.parseBoolean, plus the "1" rocketmq-client-cpp sends. */
    return g_ascii_strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0;
}

void
rmq_command_set_ext(RmqCommand *cmd, const gchar *key, const gchar *value)
{
    g_return_if_fail(cmd != NULL && key != NULL && value != NULL);
    rmq_command_set_ext_len(cmd, key, strlen(key), value, strlen(value));
}

void
rmq_command_set_ext_len(RmqCommand *cmd, const gchar *key, gsize key_len, const gchar *value,
                        gsize value_len)
{
    g_return_if_fail(cmd != NULL && key != NULL && value != NULL);

    gint i = ext_find_len(cmd, key, key_len);
    if (i >= 0)
        rmq_command_replace_ext_value(cmd, (guint) i, value, value_len);
    else
        rmq_command_append_ext_len(cmd, key, key_len, value, value_len);
}

void
rmq_command_ext_push_grow(RmqCommand *cmd, gchar *key, gsize key_len, gchar *value,
                          gsize value_len, gboolean plain)
{
    RmqExtField f = { key, value, (guint32) key_len, (guint32) value_len, plain };
    g_array_append_val(cmd->ext, f);
}

void
rmq_command_append_ext_len(RmqCommand *cmd, const gchar *key, gsize key_len, const gchar *value,
                           gsize value_len)
{
    g_return_if_fail(cmd != NULL && key != NULL && value != NULL);
    gchar *block = arena_alloc(cmd, key_len + value_len + 2);
    memcpy(block, key, key_len);
    block[key_len] = '\0';
    memcpy(block + key_len + 1, value, value_len);
    block[key_len + 1 + value_len] = '\0';
    rmq_command_ext_push(cmd, block, key_len, block + key_len + 1, value_len, FALSE);
}

gchar *
rmq_command_alloc_text(RmqCommand *cmd, gsize n)
{
    g_return_val_if_fail(cmd != NULL, NULL);
    return arena_alloc(cmd, n);
}

void
rmq_command_append_ext_owned(RmqCommand *cmd, gchar *key, gsize key_len, gchar *value,
                             gsize value_len)
{
    rmq_command_ext_push(cmd, key, key_len, value, value_len, FALSE);
}

void
rmq_command_append_ext_plain(RmqCommand *cmd, const gchar *static_key, gsize key_len,
                             const gchar *value, gsize value_len)
{
    gchar *copy = arena_alloc(cmd, value_len + 1);

    memcpy(copy, value, value_len);
    copy[value_len] = '\0';
    /* The key is only read: fields are changed through these functions,
     * which replace a value and never write into a key. */
    rmq_command_ext_push(cmd, (gchar *) static_key, key_len, copy, value_len, TRUE);
}

void
rmq_command_append_ext_static(RmqCommand *cmd, const gchar *static_key, gsize key_len,
                              const gchar *static_value, gsize value_len)
{
    /* Only read, as the key of append_ext_plain: a replaced value is
     * pointed away from, never written over. */
    rmq_command_ext_push(cmd, (gchar *) static_key, key_len, (gchar *) static_value, value_len,
                         TRUE);
}

void
rmq_command_append_ext_int64(RmqCommand *cmd, const gchar *static_key, gsize key_len,
                             gint64 value)
{
    gchar *text = arena_alloc(cmd, RMQ_JSON_INT64_MAX_LEN + 1);
    gsize n = rmq_json_text_format_int64(value, text);
    text[n] = '\0'; /* the few bytes past it stay unused */
    rmq_command_ext_push(cmd, (gchar *) static_key, key_len, text, n, TRUE);
}

void
rmq_command_replace_ext_value(RmqCommand *cmd, guint i, const gchar *value, gsize value_len)
{
    g_return_if_fail(cmd != NULL && i < cmd->ext->len && value != NULL);

    gchar *copy = arena_alloc(cmd, value_len + 1);
    memcpy(copy, value, value_len);
    copy[value_len] = '\0';
    RmqExtField *f = &g_array_index(cmd->ext, RmqExtField, i);
    f->value = copy; /* the key stays where it is */
    f->value_len = (guint32) value_len;
    f->plain = FALSE;
}

void
rmq_command_set_ext_int64(RmqCommand *cmd, const gchar *key, gint64 value)
{
    gchar buf[RMQ_JSON_INT64_MAX_LEN];

    g_return_if_fail(cmd != NULL && key != NULL);
    rmq_command_set_ext_len(cmd, key, strlen(key), buf, rmq_json_text_format_int64(value, buf));
}

void
rmq_command_set_ext_bool(RmqCommand *cmd, const gchar *key, gboolean value)
{
    rmq_command_set_ext(cmd, key, value ? "true" : "false");
}

gboolean
rmq_command_remove_ext(RmqCommand *cmd, const gchar *key)
{
    g_return_val_if_fail(cmd != NULL && key != NULL, FALSE);

    gint i = ext_find(cmd, key);
    if (i < 0)
        return FALSE;
    g_array_remove_index(cmd->ext, (guint) i); /* keeps the order */
    return TRUE;
}

guint
rmq_command_get_n_ext(const RmqCommand *cmd)
{
    g_return_val_if_fail(cmd != NULL, 0);
    return cmd->ext->len;
}

const RmqExtField *
rmq_command_get_ext_field(const RmqCommand *cmd, guint i)
{
    g_return_val_if_fail(cmd != NULL && i < cmd->ext->len, NULL);
    return &g_array_index(cmd->ext, RmqExtField, i);
}

void
rmq_command_set_ext_present(RmqCommand *cmd, gboolean present)
{
    g_return_if_fail(cmd != NULL);
    cmd->ext_present = present;
}

void
rmq_command_set_remark(RmqCommand *cmd, const gchar *remark)
{
    g_return_if_fail(cmd != NULL);

    gchar *old = cmd->remark;
    cmd->remark = g_strdup(remark);
    g_free(old);
}

void
rmq_command_set_body(RmqCommand *cmd, GBytes *body)
{
    g_return_if_fail(cmd != NULL);

    GBytes *old = cmd->body;
    cmd->body = body != NULL ? g_bytes_ref(body) : NULL;
    if (old != NULL)
        g_bytes_unref(old);
}

void
rmq_command_set_body_data(RmqCommand *cmd, const void *data, gsize len)
{
    g_return_if_fail(cmd != NULL && (data != NULL || len == 0));

    /* A request's small body (a send's message) fits beside its header in
     * the first chunk: one allocation (the GBytes) instead of two, and no
     * free of a copy. */
    ArenaChunk *c = cmd->arena;
    gsize pad = (8 - (c->used & 7)) & 7; /* aligned as a malloc'ed copy would be, nearly */
    if (len > 0 && c == first_chunk(cmd) && c->size - c->used >= len + pad) {
        c->used += pad;
        gchar *copy = arena_alloc(cmd, len);
        memcpy(copy, data, len);
        g_atomic_int_inc(&cmd->block_refs);
        GBytes *old = cmd->body;
        cmd->body = g_bytes_new_with_free_func(copy, len, block_unref, cmd);
        if (old != NULL)
            g_bytes_unref(old);
        return;
    }

    g_autoptr(GBytes) body = g_bytes_new(data, len);
    rmq_command_set_body(cmd, body);
}

const gchar *
rmq_language_name(RmqLanguage lang)
{
    if ((guint) lang < G_N_ELEMENTS(language_names))
        return language_names[lang];
    return "OTHER";
}

RmqLanguage
rmq_language_from_int(gint64 n)
{
    if (n >= 0 && n < (gint64) G_N_ELEMENTS(language_names))
        return (RmqLanguage) n;
    return RMQ_LANG_OTHER;
}

RmqLanguage
rmq_language_from_string(const gchar *s)
{
    gint64 n;

    if (s == NULL)
        return RMQ_LANG_OTHER;
    for (guint i = 0; i < G_N_ELEMENTS(language_names); i++) {
        if (strcmp(s, language_names[i]) == 0)
            return (RmqLanguage) i;
    }
    if (g_ascii_string_to_signed(s, 10, G_MININT64, G_MAXINT64, &n, NULL))
        return rmq_language_from_int(n);
    return RMQ_LANG_OTHER;
}
