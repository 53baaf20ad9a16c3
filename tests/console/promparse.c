#include <config.h>

#include "promparse.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

static void
sample_free(gpointer p)
{
    PromSample *s = p;
    g_free(s->name);
    g_hash_table_unref(s->labels);
    g_free(s);
}

void
prom_doc_free(PromDoc *doc)
{
    if (doc == NULL)
        return;
    g_ptr_array_unref(doc->samples);
    g_hash_table_unref(doc->help);
    g_hash_table_unref(doc->type);
    g_free(doc);
}

static gboolean
name_start(gchar c)
{
    return g_ascii_isalpha(c) || c == '_' || c == ':';
}

static gboolean
name_char(gchar c)
{
    return g_ascii_isalnum(c) || c == '_' || c == ':';
}

/* Metric or label name at *p; advances. (transfer full) NULL if none. */
static gchar *
read_name(const gchar **p, gboolean metric)
{
    const gchar *s = *p;
    if (!name_start(*s) || (!metric && *s == ':'))
        return NULL;
    while (name_char(**p) && (metric || **p != ':'))
        (*p)++;
    return g_strndup(s, (gsize) (*p - s));
}

/* Text up to end of line with \\ and \n escapes (HELP). */
static gchar *
unescape_help(const gchar *s)
{
    GString *o = g_string_new(NULL);
    for (; *s; s++) {
        if (*s == '\\' && s[1] == '\\') {
            g_string_append_c(o, '\\');
            s++;
        } else if (*s == '\\' && s[1] == 'n') {
            g_string_append_c(o, '\n');
            s++;
        } else {
            g_string_append_c(o, *s);
        }
    }
    return g_string_free(o, FALSE);
}

static gboolean
parse_value(const gchar *s, gdouble *v)
{
    if (strcmp(s, "+Inf") == 0 || strcmp(s, "Inf") == 0) {
        *v = INFINITY;
        return TRUE;
    }
    if (strcmp(s, "-Inf") == 0) {
        *v = -INFINITY;
        return TRUE;
    }
    if (strcmp(s, "NaN") == 0) {
        *v = NAN;
        return TRUE;
    }
    gchar *end = NULL;
    *v = g_ascii_strtod(s, &end);
    return end != s && *end == '\0';
}

static gboolean
fail(GError **error, guint line, const gchar *what)
{
    g_set_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_PARSE, "line %u: %s", line, what);
    return FALSE;
}

static gboolean
parse_sample(PromDoc *doc, const gchar *p, guint line, GError **error)
{
    PromSample *s = g_new0(PromSample, 1);
    s->labels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    s->name = read_name(&p, TRUE);
    if (s->name == NULL) {
        sample_free(s);
        return fail(error, line, "expected a metric name");
    }
    if (*p == '{') {
        p++;
        while (*p != '}') {
            while (*p == ' ')
                p++;
            if (*p == '}')
                break;
            g_autofree gchar *label = read_name(&p, FALSE);
            if (label == NULL || *p != '=' || p[1] != '"') {
                sample_free(s);
                return fail(error, line, "expected label=\"value\"");
            }
            p += 2;
            GString *v = g_string_new(NULL);
            for (; *p && *p != '"'; p++) {
                if (*p == '\\') {
                    p++;
                    if (*p == 'n')
                        g_string_append_c(v, '\n');
                    else if (*p == '\\' || *p == '"')
                        g_string_append_c(v, *p);
                    else {
                        g_string_free(v, TRUE);
                        sample_free(s);
                        return fail(error, line, "bad escape in a label value");
                    }
                } else {
                    g_string_append_c(v, *p);
                }
            }
            if (*p != '"') {
                g_string_free(v, TRUE);
                sample_free(s);
                return fail(error, line, "unterminated label value");
            }
            p++;
            if (g_hash_table_contains(s->labels, label)) {
                g_string_free(v, TRUE);
                sample_free(s);
                return fail(error, line, "label given twice");
            }
            g_hash_table_insert(s->labels, g_steal_pointer(&label), g_string_free(v, FALSE));
            if (*p == ',')
                p++;
            else if (*p != '}') {
                sample_free(s);
                return fail(error, line, "expected , or }");
            }
        }
        p++;
    }
    if (*p != ' ' && *p != '\t') {
        sample_free(s);
        return fail(error, line, "expected a blank before the value");
    }
    g_autofree gchar *rest = g_strstrip(g_strdup(p));
    g_auto(GStrv) parts = g_strsplit_set(rest, " \t", -1);
    /* drop empty fields from repeated blanks */
    GPtrArray *f = g_ptr_array_new();
    for (guint i = 0; parts[i]; i++)
        if (*parts[i])
            g_ptr_array_add(f, parts[i]);
    gboolean ok = f->len >= 1 && f->len <= 2 && parse_value(f->pdata[0], &s->value);
    if (ok && f->len == 2) {
        gchar *end = NULL;
        s->timestamp = g_ascii_strtoll(f->pdata[1], &end, 10);
        s->has_timestamp = TRUE;
        ok = end != f->pdata[1] && *end == '\0';
    }
    g_ptr_array_free(f, TRUE);
    if (!ok) {
        sample_free(s);
        return fail(error, line, "expected a value and an optional timestamp");
    }
    g_ptr_array_add(doc->samples, s);
    return TRUE;
}

PromDoc *
prom_parse(const gchar *text, GError **error)
{
    PromDoc *doc = g_new0(PromDoc, 1);
    doc->samples = g_ptr_array_new_with_free_func(sample_free);
    doc->help = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    doc->type = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    static const gchar *const types[] = { "counter", "gauge", "histogram", "summary", "untyped",
                                          NULL };
    for (guint i = 0; lines[i]; i++) {
        const gchar *l = lines[i];
        guint no = i + 1;
        if (*l == '\0')
            continue;
        if (*l == '#') {
            const gchar *p = l + 1;
            while (*p == ' ')
                p++;
            gboolean help = g_str_has_prefix(p, "HELP ");
            gboolean type = g_str_has_prefix(p, "TYPE ");
            if (!help && !type)
                continue; /* a comment */
            p += 5;
            gchar *name = read_name(&p, TRUE);
            if (name == NULL || (*p != ' ' && *p != '\0')) {
                g_free(name);
                fail(error, no, "expected a metric name after HELP/TYPE");
                prom_doc_free(doc);
                return NULL;
            }
            if (*p == ' ')
                p++;
            GHashTable *t = help ? doc->help : doc->type;
            if (g_hash_table_contains(t, name)) {
                g_free(name);
                fail(error, no, "HELP or TYPE given twice for one metric");
                prom_doc_free(doc);
                return NULL;
            }
            if (type && !g_strv_contains(types, p)) {
                g_free(name);
                fail(error, no, "unknown metric type");
                prom_doc_free(doc);
                return NULL;
            }
            g_hash_table_insert(t, name, help ? unescape_help(p) : g_strdup(p));
            continue;
        }
        if (!parse_sample(doc, l, no, error)) {
            prom_doc_free(doc);
            return NULL;
        }
    }
    return doc;
}

const PromSample *
prom_find(const PromDoc *doc, const gchar *name, ...)
{
    for (guint i = 0; i < doc->samples->len; i++) {
        const PromSample *s = doc->samples->pdata[i];
        if (strcmp(s->name, name) != 0)
            continue;
        va_list ap;
        va_start(ap, name);
        gboolean match = TRUE;
        for (const gchar *k = va_arg(ap, const gchar *); k && match;
             k = va_arg(ap, const gchar *)) {
            const gchar *v = va_arg(ap, const gchar *);
            match = g_strcmp0(g_hash_table_lookup(s->labels, k), v) == 0;
        }
        va_end(ap);
        if (match)
            return s;
    }
    return NULL;
}
