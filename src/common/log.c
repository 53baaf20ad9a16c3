#include <config.h>

#include "common/log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Module state: set once by rmq_log_init() before any thread starts. */
static gchar *log_program;
static gchar *log_instance;
static gboolean log_verbose;
static gboolean log_to_journal;

const gchar *
rmq_log_get_instance(void)
{
    return log_instance;
}

void
rmq_log_set_instance(const gchar *instance)
{
    g_free(log_instance);
    log_instance = g_strdup(instance);
}

static const gchar *
level_name(GLogLevelFlags level)
{
    switch (level & G_LOG_LEVEL_MASK) {
    case G_LOG_LEVEL_ERROR: return "error";
    case G_LOG_LEVEL_CRITICAL: return "critical";
    case G_LOG_LEVEL_WARNING: return "warning";
    case G_LOG_LEVEL_MESSAGE: return "notice";
    case G_LOG_LEVEL_INFO: return "info";
    case G_LOG_LEVEL_DEBUG: return "debug";
    default: return "log";
    }
}

/* Fields that are bookkeeping, not something a reader of a terminal wants. */
static gboolean
field_is_hidden(const gchar *key)
{
    static const gchar *const hidden[] = {
        "MESSAGE", "PRIORITY", "GLIB_DOMAIN", "GLIB_OLD_LOG_API", "CODE_FILE",
        "CODE_LINE", "CODE_FUNC", "MESSAGE_ID", "SYSLOG_IDENTIFIER", "RMQ_INSTANCE", NULL,
    };
    for (gsize i = 0; hidden[i]; i++)
        if (strcmp(key, hidden[i]) == 0)
            return TRUE;
    return FALSE;
}

static void
append_field_value(GString *out, const GLogField *f)
{
    if (f->length < 0)
        g_string_append(out, f->value);
    else
        g_string_append_len(out, f->value, f->length);
}

gchar *
rmq_log_format_line(GLogLevelFlags level, const GLogField *fields, gsize n_fields)
{
    GString *line = g_string_new(level_name(level));
    g_string_append(line, ": ");
    for (gsize i = 0; i < n_fields; i++)
        if (strcmp(fields[i].key, "MESSAGE") == 0)
            append_field_value(line, &fields[i]);

    gboolean opened = FALSE;
    for (gsize i = 0; i < n_fields; i++) {
        if (field_is_hidden(fields[i].key) || fields[i].length == 0)
            continue;
        g_string_append(line, opened ? " " : " [");
        opened = TRUE;
        g_string_append_printf(line, "%s=", fields[i].key);
        append_field_value(line, &fields[i]);
    }
    if (opened)
        g_string_append_c(line, ']');
    return g_string_free(line, FALSE);
}

static GLogWriterOutput
rmq_log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
    if ((level & G_LOG_LEVEL_DEBUG) && !log_verbose && g_log_writer_default_would_drop(level, NULL))
        return G_LOG_WRITER_HANDLED;

    if (log_to_journal) {
        /* Add our identity to every record so `journalctl RMQ_INSTANCE=x` works. */
        GLogField *all = g_newa(GLogField, n_fields + 2);
        gsize n = 0;
        for (gsize i = 0; i < n_fields; i++)
            all[n++] = fields[i];
        if (log_program)
            all[n++] = (GLogField){ "SYSLOG_IDENTIFIER", log_program, -1 };
        if (log_instance)
            all[n++] = (GLogField){ "RMQ_INSTANCE", log_instance, -1 };
        if (g_log_writer_journald(level, all, n, user_data) == G_LOG_WRITER_HANDLED)
            return G_LOG_WRITER_HANDLED;
    }

    g_autofree gchar *text = rmq_log_format_line(level, fields, n_fields);
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree gchar *stamp = g_date_time_format(now, "%H:%M:%S.%f");
    stamp[12] = '\0'; /* milliseconds are enough */
    if (log_instance)
        fprintf(stderr, "%s %s[%s] %s\n", stamp, log_program ? log_program : "rmq", log_instance, text);
    else
        fprintf(stderr, "%s %s %s\n", stamp, log_program ? log_program : "rmq", text);
    fflush(stderr);
    return G_LOG_WRITER_HANDLED;
}

void
rmq_log_init(const gchar *program, const gchar *instance, gboolean verbose)
{
    g_free(log_program);
    log_program = g_strdup(program);
    rmq_log_set_instance(instance);
    log_verbose = verbose;
    if (verbose)
        g_log_set_debug_enabled(TRUE);
    log_to_journal = g_log_writer_is_journald(fileno(stderr));
    static gsize installed = 0;
    if (g_once_init_enter(&installed)) {
        g_log_set_writer_func(rmq_log_writer, NULL, NULL);
        g_once_init_leave(&installed, 1);
    }
}
