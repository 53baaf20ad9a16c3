#include <config.h>

#include "model/message_properties.h"

#include <string.h>

/* The Java parser's rule for one segment [seg, seg + slen): at least three
 * bytes and its first 0x01 neither first nor last. Returns that 0x01. */
static const char *
segment_separator(const char *seg, gsize slen)
{
    const char *sep = memchr(seg, RMQ_PROPERTY_NAME_VALUE_SEPARATOR, slen);
    if (slen < 3 || sep == NULL || sep == seg || sep == seg + slen - 1)
        return NULL;
    return sep;
}

void
rmq_message_properties_foreach(const char *props, gsize len, RmqPropertyFunc fn,
                               gpointer user_data)
{
    g_return_if_fail(fn != NULL);
    if (props == NULL)
        return;
    const char *p = props, *end = props + len;
    while (p < end) {
        const char *seg_end = memchr(p, RMQ_PROPERTY_SEPARATOR, (gsize)(end - p));
        if (seg_end == NULL)
            seg_end = end;
        const char *sep = segment_separator(p, (gsize)(seg_end - p));
        if (sep != NULL &&
            !fn(p, (gsize)(sep - p), sep + 1, (gsize)(seg_end - sep - 1), user_data))
            return;
        p = seg_end + 1;
    }
}

typedef struct {
    const char *name;
    gsize name_len;
    const char *value;
    gsize value_len;
    gboolean found;
} PropLookup;

static gboolean
lookup_cb(const char *name, gsize nlen, const char *value, gsize vlen, gpointer data)
{
    PropLookup *l = data;
    if (nlen == l->name_len && memcmp(name, l->name, nlen) == 0) {
        l->value = value;
        l->value_len = vlen;
        l->found = TRUE; /* Java's HashMap keeps the last one; keep scanning */
    }
    return TRUE;
}

gboolean
rmq_message_property_get(const char *props, gsize props_len, const char *name,
                         const char **value, gsize *value_len)
{
    g_return_val_if_fail(name != NULL, FALSE);
    PropLookup l = { name, strlen(name), NULL, 0, FALSE };
    if (props == NULL || props_len == 0)
        return FALSE;
    rmq_message_properties_foreach(props, props_len, lookup_cb, &l);
    if (l.found) {
        if (value != NULL)
            *value = l.value;
        if (value_len != NULL)
            *value_len = l.value_len;
    }
    return l.found;
}

gchar *
rmq_message_property_dup(const char *props, gsize len, const char *name)
{
    const char *v;
    gsize vlen;
    if (!rmq_message_property_get(props, len, name, &v, &vlen))
        return NULL;
    return g_strndup(v, vlen);
}

typedef struct {
    const char *const *names;
    guint n;
    RmqPropertyValue *out;
} PropFind;

static gboolean
find_cb(const char *name, gsize nlen, const char *value, gsize vlen, gpointer data)
{
    PropFind *f = data;
    for (guint i = 0; i < f->n; i++)
        if (strncmp(f->names[i], name, nlen) == 0 && f->names[i][nlen] == '\0') {
            f->out[i].value = value;
            f->out[i].len = vlen;
        }
    return TRUE;
}

void
rmq_message_properties_find(const char *props, gsize props_len, const char *const *names,
                            guint n, RmqPropertyValue *out)
{
    PropFind f = { names, n, out };
    memset(out, 0, n * sizeof *out);
    if (props != NULL && props_len > 0)
        rmq_message_properties_foreach(props, props_len, find_cb, &f);
}

/* The view field named @name (@nlen bytes), or -1. */
static gint
view_field(const char *name, gsize nlen)
{
    switch (nlen) {
    case 4:
        return memcmp(name, "TAGS", 4) == 0   ? RMQ_PROP_VIEW_TAGS
               : memcmp(name, "KEYS", 4) == 0 ? RMQ_PROP_VIEW_KEYS
               : memcmp(name, "WAIT", 4) == 0 ? RMQ_PROP_VIEW_WAIT
                                              : -1;
    case 5:
        return memcmp(name, "DELAY", 5) == 0 ? RMQ_PROP_VIEW_DELAY : -1;
    case 7:
        return memcmp(name, "CLUSTER", 7) == 0 ? RMQ_PROP_VIEW_CLUSTER : -1;
    case 8:
        return memcmp(name, "UNIQ_KEY", 8) == 0   ? RMQ_PROP_VIEW_UNIQ_KEY
               : memcmp(name, "TRAN_MSG", 8) == 0 ? RMQ_PROP_VIEW_TRAN_MSG
                                                  : -1;
    default:
        return -1;
    }
}

/* Indexed by RmqPropertyViewField. */
/* The view's names, and their lengths (no strlen per send: a view's names
 * are picked at run time), from one list. */
#define VIEW_NAMES(X)                                                                         \
    X(RMQ_PROP_VIEW_TAGS, "TAGS") X(RMQ_PROP_VIEW_KEYS, "KEYS")                               \
    X(RMQ_PROP_VIEW_UNIQ_KEY, "UNIQ_KEY") X(RMQ_PROP_VIEW_DELAY, "DELAY")                     \
    X(RMQ_PROP_VIEW_WAIT, "WAIT") X(RMQ_PROP_VIEW_TRAN_MSG, "TRAN_MSG")                       \
    X(RMQ_PROP_VIEW_CLUSTER, "CLUSTER")
#define VIEW_NAME_TEXT(f, lit) [f] = lit,
#define VIEW_NAME_LEN(f, lit) [f] = sizeof(lit) - 1,
static const char *const view_names[RMQ_PROP_VIEW_N] = { VIEW_NAMES(VIEW_NAME_TEXT) };
static const guint8 view_name_len[RMQ_PROP_VIEW_N] = { VIEW_NAMES(VIEW_NAME_LEN) };
#undef VIEW_NAME_TEXT
#undef VIEW_NAME_LEN
#undef VIEW_NAMES

void
rmq_message_properties_view(const char *props, gsize len, RmqPropertyView *out)
{
    memset(out, 0, sizeof *out);
    out->props = props;
    out->len = len;
    out->pairs_only = TRUE;
    if (props == NULL)
        return;
    const char *p = props, *end = props + len;
    if (len > 0 && end[-1] == RMQ_PROPERTY_SEPARATOR)
        out->pairs_only = FALSE; /* an edit leaves the separator out */
    while (p < end) {
        const char *seg_end = memchr(p, RMQ_PROPERTY_SEPARATOR, (gsize) (end - p));
        if (seg_end == NULL)
            seg_end = end;
        const char *sep = segment_separator(p, (gsize) (seg_end - p));
        if (sep != NULL) {
            gint f = view_field(p, (gsize) (sep - p));
            if (f >= 0) {
                out->v[f].value = sep + 1;
                out->v[f].len = (gsize) (seg_end - sep - 1);
                if (out->count[f] < G_MAXUINT8)
                    out->count[f]++;
            }
        } else {
            out->pairs_only = FALSE; /* an edit drops this segment */
        }
        p = seg_end + 1;
    }
}

static guint collect_keys(const char *const *names, guint step, const char **keys, gsize *lens,
                          guint n);
static guint count_keys(const char *const *names, guint step);

gsize
rmq_message_properties_edit_view_to(char *out, const char *props, gsize len,
                                    const char *const *drop, RmqPropertyView *view)
{
    const char *kbuf[8];
    gsize lbuf[8];
    guint nk = count_keys(drop, 1);
    const char **keys = nk <= G_N_ELEMENTS(kbuf) ? kbuf : g_new(const char *, nk);
    gsize *lens = nk <= G_N_ELEMENTS(lbuf) ? lbuf : g_new(gsize, nk);
    nk = collect_keys(drop, 1, keys, lens, 0);
    memset(view, 0, sizeof *view);
    char *w = out;
    for (gsize i = 0; props != NULL && i < len;) {
        const char *seg = props + i;
        const char *end = memchr(seg, RMQ_PROPERTY_SEPARATOR, len - i);
        gsize slen = end != NULL ? (gsize) (end - seg) : len - i;
        i += slen + 1;
        const char *sep = segment_separator(seg, slen);
        if (sep == NULL)
            continue;
        gsize nlen = (gsize) (sep - seg);
        gboolean skip = FALSE;
        for (guint j = 0; j < nk && !skip; j++)
            skip = lens[j] == nlen && memcmp(keys[j], seg, nlen) == 0;
        if (skip)
            continue;
        if (w != out)
            *w++ = RMQ_PROPERTY_SEPARATOR;
        memcpy(w, seg, slen);
        gint f = view_field(seg, nlen);
        if (f >= 0) {
            view->v[f].value = w + nlen + 1;
            view->v[f].len = slen - nlen - 1;
            if (view->count[f] < G_MAXUINT8)
                view->count[f]++;
        }
        w += slen;
    }
    *w = '\0';
    if (keys != kbuf)
        g_free(keys);
    if (lens != lbuf)
        g_free(lens);
    view->props = out;
    view->len = (gsize) (w - out);
    view->pairs_only = TRUE; /* segments without a name were dropped */
    return view->len;
}

gssize
rmq_message_properties_edit_view(char *out, const RmqPropertyView *view,
                                 RmqPropertyViewField drop, RmqPropertyViewField add,
                                 const char *add_value)
{
    if (!view->pairs_only || view->count[drop] > 1 || view->count[add] > 0 || drop == add)
        return -1;
    const char *p = view->props, *end = p + view->len;
    char *w = out;
    if (view->count[drop] == 1) {
        /* the pair and one separator beside it go; the rest is copied */
        const char *seg = view->v[drop].value - view_name_len[drop] - 1;
        const char *seg_end = view->v[drop].value + view->v[drop].len;
        if (seg > p) {
            gsize n = (gsize) (seg - 1 - p); /* without the separator before the pair */
            memcpy(w, p, n);
            w += n;
            memcpy(w, seg_end, (gsize) (end - seg_end)); /* from the separator after, if any */
            w += end - seg_end;
        } else if (seg_end < end) {
            memcpy(w, seg_end + 1, (gsize) (end - seg_end - 1));
            w += end - seg_end - 1;
        }
    } else if (p != NULL) {
        memcpy(w, p, view->len);
        w += view->len;
    }
    if (add_value != NULL) {
        gsize kl = view_name_len[add], vl = strlen(add_value);
        if (w != out)
            *w++ = RMQ_PROPERTY_SEPARATOR;
        memcpy(w, view_names[add], kl);
        w += kl;
        *w++ = RMQ_PROPERTY_NAME_VALUE_SEPARATOR;
        memcpy(w, add_value, vl);
        w += vl;
    }
    *w = '\0';
    return (gssize) (w - out);
}

static gboolean
insert_cb(const char *name, gsize nlen, const char *value, gsize vlen, gpointer data)
{
    g_hash_table_insert(data, g_strndup(name, nlen), g_strndup(value, vlen));
    return TRUE;
}

GHashTable *
rmq_message_properties_parse(const char *props, gsize len)
{
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    rmq_message_properties_foreach(props, len, insert_cb, t);
    return t;
}

char *
rmq_message_properties_build(GHashTable *props)
{
    g_return_val_if_fail(props != NULL, NULL);
    GString *s = g_string_new(NULL);
    rmq_message_properties_build_append(s, props);
    return g_string_free(s, FALSE);
}

gsize
rmq_message_properties_build_append(GString *out, GHashTable *props)
{
    g_return_val_if_fail(out != NULL && props != NULL, 0);
    /* The pairs sorted by name with an insertion sort on the stack: a
     * message has a handful, and this runs for every message sent (a list
     * of keys, its sort and a lookup per key showed in profiles). */
    typedef struct {
        const char *k, *v;
    } Pair;
    Pair stack[16];
    guint n = g_hash_table_size(props), used = 0;
    Pair *pairs = n <= G_N_ELEMENTS(stack) ? stack : g_new(Pair, n);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, props);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        if (v == NULL)
            continue;
        guint j = used++;
        for (; j > 0 && strcmp(pairs[j - 1].k, k) > 0; j--)
            pairs[j] = pairs[j - 1];
        pairs[j] = (Pair){ k, v };
    }
    /* the lengths first, then one resize and copies */
    gsize start = out->len, total = used > 0 ? used - 1 : 0;
    gsize lens_stack[2 * G_N_ELEMENTS(stack)];
    gsize *lens = used <= G_N_ELEMENTS(stack) ? lens_stack : g_new(gsize, 2 * (gsize) used);
    for (guint i = 0; i < used; i++) {
        lens[2 * i] = strlen(pairs[i].k);
        lens[2 * i + 1] = strlen(pairs[i].v);
        total += lens[2 * i] + 1 + lens[2 * i + 1];
    }
    g_string_set_size(out, start + total);
    char *w = out->str + start;
    for (guint i = 0; i < used; i++) {
        if (i > 0)
            *w++ = RMQ_PROPERTY_SEPARATOR;
        memcpy(w, pairs[i].k, lens[2 * i]);
        w += lens[2 * i];
        *w++ = RMQ_PROPERTY_NAME_VALUE_SEPARATOR;
        memcpy(w, pairs[i].v, lens[2 * i + 1]);
        w += lens[2 * i + 1];
    }
    if (lens != lens_stack)
        g_free(lens);
    if (pairs != stack)
        g_free(pairs);
    return total;
}

/* Keys of @names (NULL-terminated, may be NULL; every @step-th entry) with
 * their lengths appended to @keys/@lens from @n on; returns the new count. */
static guint
collect_keys(const char *const *names, guint step, const char **keys, gsize *lens, guint n)
{
    for (guint i = 0; names != NULL && names[i] != NULL; i += step) {
        keys[n] = names[i];
        lens[n++] = strlen(names[i]);
        if (step == 2 && names[i + 1] == NULL)
            break;
    }
    return n;
}

static guint
count_keys(const char *const *names, guint step)
{
    guint n = 0;
    for (guint i = 0; names != NULL && names[i] != NULL; i += step) {
        n++;
        if (step == 2 && names[i + 1] == NULL)
            break;
    }
    return n;
}

gsize
rmq_message_properties_edit_bound(gsize len, const char *const *add)
{
    /* Kept segments never take more room than they had; each added pair
     * takes a separator, its key, 0x01 and its value. */
    gsize cap = len;
    for (guint i = 0; add != NULL && add[i] != NULL && add[i + 1] != NULL; i += 2)
        cap += strlen(add[i]) + strlen(add[i + 1]) + 2;
    return cap + 1;
}

static gsize edit_into(char *buf, const char *props, gsize len, const char *const *drop,
                       const char *const *add);

gsize
rmq_message_properties_edit_to(char *out, const char *props, gsize len, const char *const *drop,
                               const char *const *add)
{
    return edit_into(out, props, len, drop, add);
}

GString *
rmq_message_properties_edit(const char *props, gsize len, const char *const *drop,
                            const char *const *add)
{
    GString *out = g_string_sized_new(rmq_message_properties_edit_bound(props != NULL ? len : 0,
                                                                        add));
    out->len = edit_into(out->str, props, len, drop, add);
    return out;
}

/* The edit into @buf, which has room for rmq_message_properties_edit_bound();
 * NUL-terminated, returns the length. */
static gsize
edit_into(char *buf, const char *props, gsize len, const char *const *drop,
          const char *const *add)
{
    /* Also drop the keys being added, so a value is never there twice. */
    const char *kbuf[8];
    gsize lbuf[8];
    guint nk = count_keys(drop, 1) + count_keys(add, 2);
    const char **keys = nk <= G_N_ELEMENTS(kbuf) ? kbuf : g_new(const char *, nk);
    gsize *lens = nk <= G_N_ELEMENTS(lbuf) ? lbuf : g_new(gsize, nk);
    nk = collect_keys(drop, 1, keys, lens, 0);
    guint ndrop = nk;
    nk = collect_keys(add, 2, keys, lens, nk);

    char *w = buf;

    for (gsize i = 0; props != NULL && i < len;) {
        const char *seg = props + i;
        const char *end = memchr(seg, RMQ_PROPERTY_SEPARATOR, len - i);
        gsize slen = end != NULL ? (gsize)(end - seg) : len - i;
        i += slen + 1;
        const char *sep = segment_separator(seg, slen);
        if (sep == NULL)
            continue;
        gsize nlen = (gsize)(sep - seg);
        gboolean skip = FALSE;
        for (guint j = 0; j < nk && !skip; j++)
            skip = lens[j] == nlen && memcmp(keys[j], seg, nlen) == 0;
        if (skip)
            continue;
        if (w != buf)
            *w++ = RMQ_PROPERTY_SEPARATOR;
        memcpy(w, seg, slen);
        w += slen;
    }
    for (guint j = ndrop; j < nk && add[2 * (j - ndrop) + 1] != NULL; j++) {
        const char *v = add[2 * (j - ndrop) + 1];
        gsize vl = strlen(v);
        if (w != buf)
            *w++ = RMQ_PROPERTY_SEPARATOR;
        memcpy(w, keys[j], lens[j]);
        w += lens[j];
        *w++ = RMQ_PROPERTY_NAME_VALUE_SEPARATOR;
        memcpy(w, v, vl);
        w += vl;
    }
    *w = '\0';
    if (keys != kbuf)
        g_free(keys);
    if (lens != lbuf)
        g_free(lens);
    return (gsize)(w - buf);
}

GString *
rmq_message_property_set(const char *props, gsize len, const char *name, const char *value)
{
    g_return_val_if_fail(name != NULL && value != NULL, NULL);
    const char *add[] = { name, value, NULL };
    return rmq_message_properties_edit(props, len, NULL, add);
}

GString *
rmq_message_property_remove(const char *props, gsize len, const char *name)
{
    g_return_val_if_fail(name != NULL, NULL);
    const char *drop[] = { name, NULL };
    return rmq_message_properties_edit(props, len, drop, NULL);
}
