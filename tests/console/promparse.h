/* A parser for the Prometheus text exposition format (0.0.4) used by the
 * console tests: # HELP / # TYPE lines, samples with labels, the escapes of
 * label values (\\ \" \n) and of HELP text (\\ \n), optional timestamps. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    gchar *name;
    GHashTable *labels; /* name -> value (unescaped) */
    gdouble value;
    gboolean has_timestamp;
    gint64 timestamp;
} PromSample;

typedef struct {
    GPtrArray *samples; /* of PromSample */
    GHashTable *help;   /* family -> text (unescaped) */
    GHashTable *type;   /* family -> counter|gauge|histogram|summary|untyped */
} PromDoc;

/* (transfer full) NULL with an error naming the line on malformed input. */
PromDoc *prom_parse(const gchar *text, GError **error);
void prom_doc_free(PromDoc *doc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PromDoc, prom_doc_free)

/* The first sample of @name whose labels include every pair of the
 * NULL-terminated key, value list. (transfer none) */
const PromSample *prom_find(const PromDoc *doc, const gchar *name, ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
