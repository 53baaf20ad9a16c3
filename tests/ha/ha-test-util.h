/* Helpers shared by the HA tests: loop driving and commit-log comparison.
 * Reuses the store tests' temporary stores and deterministic messages. */
#pragma once

#include <glib.h>
#include <gio/gio.h>
#include <string.h>

#include "../store/store-test-util.h"

typedef gboolean (*HaPredicate)(gpointer data);

static gboolean
ha_wake(gpointer data)
{
    (void) data;
    return G_SOURCE_CONTINUE;
}

/* Iterates @ctx until @pred holds or @timeout_ms passed; returns @pred. */
static inline gboolean
ha_run_until(GMainContext *ctx, HaPredicate pred, gpointer data, gint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
    GSource *wake = g_timeout_source_new(10);
    gboolean ok;

    g_source_set_callback(wake, ha_wake, NULL, NULL);
    g_source_attach(wake, ctx);
    while (!(ok = pred(data)) && g_get_monotonic_time() < deadline)
        g_main_context_iteration(ctx, TRUE);
    g_source_destroy(wake);
    g_source_unref(wake);
    return ok;
}

/* Iterates @ctx for @ms. */
static inline void
ha_run_for(GMainContext *ctx, gint ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64) ms * 1000;
    GSource *wake = g_timeout_source_new(10);

    g_source_set_callback(wake, ha_wake, NULL, NULL);
    g_source_attach(wake, ctx);
    while (g_get_monotonic_time() < deadline)
        g_main_context_iteration(ctx, TRUE);
    g_source_destroy(wake);
    g_source_unref(wake);
}

static inline GBytes *
ha_read_range(const char *path, gsize len)
{
    gchar *data = NULL;
    gsize got = 0;

    if (!g_file_get_contents(path, &data, &got, NULL))
        return NULL;
    if (got < len) {
        g_free(data);
        return NULL;
    }
    return g_bytes_new_take(data, len);
}

/* TRUE when every commit-log file of @master_dir has a twin in @slave_dir
 * with the same bytes in [min, max) (the written part); *why says where
 * they differ.  Files are compared through the page cache, so stores open
 * in this or another process are seen as written. */
static inline gboolean
ha_commit_logs_identical(const char *master_dir, const char *slave_dir, gint64 min, gint64 max,
                         gint64 file_size, gchar **why)
{
    for (gint64 start = min - min % file_size; start < max; start += file_size) {
        g_autofree char *name = g_strdup_printf("%020" G_GINT64_FORMAT, start);
        g_autofree char *mp = g_build_filename(master_dir, "commitlog", name, NULL);
        g_autofree char *sp = g_build_filename(slave_dir, "commitlog", name, NULL);
        gsize len = (gsize) MIN(file_size, max - start);
        g_autoptr(GBytes) m = ha_read_range(mp, len);
        g_autoptr(GBytes) s = ha_read_range(sp, len);

        if (m == NULL || s == NULL) {
            *why = g_strdup_printf("file %s missing or short on the %s", name,
                                   m == NULL ? "master" : "slave");
            return FALSE;
        }
        if (!g_bytes_equal(m, s)) {
            const guint8 *a = g_bytes_get_data(m, NULL), *b = g_bytes_get_data(s, NULL);
            gsize i = 0;
            while (a[i] == b[i])
                i++;
            *why = g_strdup_printf("file %s differs at byte %zu", name, i);
            return FALSE;
        }
    }
    return TRUE;
}
