/* Temp-dir helpers shared by the broker metadata tests. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>

/* A fresh private directory under $TMPDIR. (transfer full) */
static inline gchar *
meta_test_tmpdir(void)
{
    g_autoptr(GError) error = NULL;
    gchar *dir = g_dir_make_tmp("rmq-brokermeta-XXXXXX", &error);
    g_assert_no_error(error);
    return dir;
}

/* Remove @dir and the plain files in it. */
static inline void
meta_test_rmdir(const gchar *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (d != NULL) {
        const gchar *name;
        while ((name = g_dir_read_name(d)) != NULL) {
            g_autofree gchar *p = g_build_filename(dir, name, NULL);
            g_unlink(p);
        }
        g_dir_close(d);
    }
    g_rmdir(dir);
}

static inline void
meta_test_write(const gchar *path, const gchar *text, gssize len)
{
    g_autoptr(GError) error = NULL;
    g_file_set_contents(path, text, len, &error);
    g_assert_no_error(error);
}

/* Contents of @path, or NULL when it cannot be read. (transfer full) */
static inline gchar *
meta_test_read(const gchar *path)
{
    gchar *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return NULL;
    return text;
}
