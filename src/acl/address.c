#include <config.h>

#include <arpa/inet.h>
#include <string.h>

#include "acl/address.h"

G_DEFINE_QUARK(rmq-acl-error-quark, rmq_acl_error)

typedef enum { KIND_NONE, KIND_ANY, KIND_LIST, KIND_RANGE } Kind;

/* An address in network order: 4 bytes (AF_INET) or 16 (AF_INET6). */
typedef struct {
    gint family;
    guint8 bytes[16];
} Addr;

struct _RmqAclAddress {
    Kind kind;
    GArray *list;     /* KIND_LIST: of Addr */
    gint family;      /* KIND_RANGE: AF_INET (4 parts of 8 bits) or AF_INET6 (8 of 16) */
    guint lo[8], hi[8];
};

/* A numeric address; IPv4-mapped IPv6 becomes IPv4. */
static gboolean
addr_parse(const gchar *text, Addr *out)
{
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, text, out->bytes) == 1) {
        out->family = AF_INET;
        return TRUE;
    }
    if (inet_pton(AF_INET6, text, out->bytes) != 1)
        return FALSE;
    static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    if (memcmp(out->bytes, mapped, sizeof mapped) == 0) {
        memmove(out->bytes, out->bytes + 12, 4);
        memset(out->bytes + 4, 0, 12);
        out->family = AF_INET;
    } else {
        out->family = AF_INET6;
    }
    return TRUE;
}

static gboolean
addr_equal(const Addr *a, const Addr *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, sizeof a->bytes) == 0;
}

static gboolean
bad(GError **error, const gchar *pattern, const gchar *why)
{
    g_set_error(error, RMQ_ACL_ERROR, RMQ_ACL_ERROR_PATTERN, "address pattern \"%s\": %s", pattern,
                why);
    return FALSE;
}

static gboolean
list_add(RmqAclAddress *a, const gchar *pattern, const gchar *item, GError **error)
{
    g_autofree gchar *text = g_strstrip(g_strdup(item));
    Addr addr;
    if (!addr_parse(text, &addr)) {
        g_autofree gchar *why = g_strdup_printf("\"%s\" is not an IPv4 or IPv6 address", text);
        return bad(error, pattern, why);
    }
    g_array_append_val(a->list, addr);
    return TRUE;
}

/* One part of a ranged pattern: "*", "a-b" or "a", in @base, at most @max. */
static gboolean
part_parse(const gchar *part, guint base, guint max, guint *lo, guint *hi)
{
    if (strcmp(part, "*") == 0) {
        *lo = 0;
        *hi = max;
        return TRUE;
    }
    const gchar *dash = strchr(part, '-');
    g_autofree gchar *first = g_strndup(part, dash != NULL ? (gsize) (dash - part) : strlen(part));
    const gchar *second = dash != NULL ? dash + 1 : first;
    guint64 a, b;
    if (*first == '\0' || *second == '\0' ||
        !g_ascii_string_to_unsigned(first, base, 0, max, &a, NULL) ||
        !g_ascii_string_to_unsigned(second, base, 0, max, &b, NULL) || a > b)
        return FALSE;
    *lo = (guint) a;
    *hi = (guint) b;
    return TRUE;
}

/* Split @text at @sep into at most @max parts (NULL when there are more). */
static gchar **
split_parts(const gchar *text, const gchar *sep, guint max)
{
    gchar **parts = g_strsplit(text, sep, -1);
    if (g_strv_length(parts) > max) {
        g_strfreev(parts);
        return NULL;
    }
    return parts;
}

static gboolean
range_parse(RmqAclAddress *a, const gchar *pattern, GError **error)
{
    gboolean v6 = strchr(pattern, ':') != NULL;
    guint nparts = v6 ? 8 : 4, base = v6 ? 16 : 10, max = v6 ? 0xffff : 255;
    g_autoptr(GPtrArray) parts = g_ptr_array_new();
    g_auto(GStrv) left = NULL, right = NULL;
    const gchar *gap = v6 ? strstr(pattern, "::") : NULL;
    if (gap != NULL) {
        /* "::" stands for as many zero groups as are missing. */
        g_autofree gchar *head = g_strndup(pattern, (gsize) (gap - pattern));
        left = *head != '\0' ? split_parts(head, ":", nparts) : g_new0(gchar *, 1);
        right = gap[2] != '\0' ? split_parts(gap + 2, ":", nparts) : g_new0(gchar *, 1);
        if (left == NULL || right == NULL || strstr(gap + 2, "::") != NULL ||
            g_strv_length(left) + g_strv_length(right) >= nparts)
            return bad(error, pattern, "more than one \"::\" or too many groups");
        for (guint i = 0; left[i] != NULL; i++)
            g_ptr_array_add(parts, left[i]);
        for (guint i = g_strv_length(left) + g_strv_length(right); i < nparts; i++)
            g_ptr_array_add(parts, "0");
        for (guint i = 0; right[i] != NULL; i++)
            g_ptr_array_add(parts, right[i]);
    } else {
        left = split_parts(pattern, v6 ? ":" : ".", nparts);
        if (left == NULL)
            return bad(error, pattern, v6 ? "more than 8 groups" : "more than 4 parts");
        guint n = g_strv_length(left);
        for (guint i = 0; i < n; i++)
            g_ptr_array_add(parts, left[i]);
        /* "192.168.*" = "192.168.*.*": only after a trailing "*". */
        if (n < nparts && (n == 0 || strcmp(left[n - 1], "*") != 0))
            return bad(error, pattern, v6 ? "fewer than 8 groups" : "fewer than 4 parts");
        while (parts->len < nparts)
            g_ptr_array_add(parts, "*");
    }
    for (guint i = 0; i < nparts; i++) {
        g_autofree gchar *part = g_strstrip(g_strdup(g_ptr_array_index(parts, i)));
        if (!part_parse(part, base, max, &a->lo[i], &a->hi[i])) {
            g_autofree gchar *why = g_strdup_printf(
                "part \"%s\" is not %s, a range a-b with a <= b, or *", part,
                v6 ? "a hex group (0-ffff)" : "a number (0-255)");
            return bad(error, pattern, why);
        }
    }
    a->family = v6 ? AF_INET6 : AF_INET;
    return TRUE;
}

RmqAclAddress *
rmq_acl_address_parse(const gchar *pattern, GError **error)
{
    g_return_val_if_fail(pattern != NULL, NULL);
    g_autofree gchar *p = g_strstrip(g_strdup(pattern));
    g_autoptr(RmqAclAddress) a = g_new0(RmqAclAddress, 1);
    a->list = g_array_new(FALSE, FALSE, sizeof(Addr));
    if (*p == '\0') {
        a->kind = KIND_NONE;
    } else if (strcmp(p, "*") == 0 || strcmp(p, "*.*.*.*") == 0 ||
               strcmp(p, "*:*:*:*:*:*:*:*") == 0) {
        a->kind = KIND_ANY;
    } else if (g_str_has_suffix(p, "}")) {
        /* "prefix{a,b,c}": the prefix (ending in '.' or ':') + each item. */
        const gchar *open = strchr(p, '{');
        if (open == NULL || open == p || (open[-1] != '.' && open[-1] != ':')) {
            bad(error, pattern, "a {list} must be the last part");
            return NULL;
        }
        g_autofree gchar *prefix = g_strndup(p, (gsize) (open - p));
        g_autofree gchar *inner = g_strndup(open + 1, strlen(open + 1) - 1);
        g_auto(GStrv) items = g_strsplit(inner, ",", -1);
        a->kind = KIND_LIST;
        for (guint i = 0; items[i] != NULL; i++) {
            g_autofree gchar *item = g_strconcat(prefix, g_strstrip(items[i]), NULL);
            if (!list_add(a, pattern, item, error))
                return NULL;
        }
    } else if (strchr(p, ',') != NULL) {
        g_auto(GStrv) items = g_strsplit(p, ",", -1);
        a->kind = KIND_LIST;
        for (guint i = 0; items[i] != NULL; i++)
            if (!list_add(a, pattern, items[i], error))
                return NULL;
    } else if (strchr(p, '*') != NULL || strchr(p, '-') != NULL) {
        a->kind = KIND_RANGE;
        if (!range_parse(a, p, error))
            return NULL;
    } else {
        a->kind = KIND_LIST;
        if (!list_add(a, pattern, p, error))
            return NULL;
    }
    return g_steal_pointer(&a);
}

void
rmq_acl_address_free(RmqAclAddress *a)
{
    if (a == NULL)
        return;
    g_array_unref(a->list);
    g_free(a);
}

gboolean
rmq_acl_address_match(const RmqAclAddress *a, const gchar *addr)
{
    g_return_val_if_fail(a != NULL, FALSE);
    if (a->kind == KIND_NONE || addr == NULL)
        return FALSE;
    if (a->kind == KIND_ANY)
        return TRUE;
    Addr x;
    if (!addr_parse(addr, &x))
        return FALSE;
    if (a->kind == KIND_LIST) {
        for (guint i = 0; i < a->list->len; i++)
            if (addr_equal(&g_array_index(a->list, Addr, i), &x))
                return TRUE;
        return FALSE;
    }
    if (x.family != a->family)
        return FALSE;
    guint nparts = a->family == AF_INET ? 4 : 8;
    for (guint i = 0; i < nparts; i++) {
        guint v = a->family == AF_INET ? x.bytes[i]
                                       : (guint) x.bytes[2 * i] << 8 | x.bytes[2 * i + 1];
        if (v < a->lo[i] || v > a->hi[i])
            return FALSE;
    }
    return TRUE;
}
