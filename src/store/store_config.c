#include <config.h>

#include "store/store_config.h"
#include "store/mapped_file.h"

#include <string.h>

void
rmq_store_config_init(RmqStoreConfig *c)
{
    const char *state = g_getenv("STATE_DIRECTORY");

    memset(c, 0, sizeof *c);
    if (state != NULL && *state != '\0') {
        const char *colon = strchr(state, ':');   /* several dirs: use the first */
        c->store_path_root_dir = colon ? g_strndup(state, colon - state) : g_strdup(state);
    } else {
        c->store_path_root_dir = g_build_filename(g_get_home_dir(), "store", NULL);
    }
    c->mapped_file_size_commit_log = 1073741824;
    c->mapped_file_size_consume_queue = 300000 * 20;
    c->flush_disk_type = RMQ_STORE_FLUSH_ASYNC;
    c->flush_interval_commit_log = 500;
    c->flush_commit_log_least_pages = 4;
    c->flush_commit_log_thorough_interval = 10000;
    c->flush_interval_consume_queue = 1000;
    c->sync_flush_timeout = 5000;
    c->delete_when = g_strdup("04");
    c->clean_resource_interval = 10000;
    c->file_reserved_time = 72;
    c->disk_max_used_space_ratio = 75;
    c->clean_file_forcibly_enable = TRUE;
    c->check_crc_on_recover = TRUE;
    c->message_index_enable = TRUE;
    c->max_hash_slot_num = 5000000;
    c->max_index_num = 20000000;
    c->message_delay_level = g_strdup("1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h");
    c->max_transfer_bytes_on_message_in_memory = 262144;
    c->max_transfer_count_on_message_in_memory = 32;
    c->max_transfer_bytes_on_message_in_disk = 65536;
    c->max_transfer_count_on_message_in_disk = 8;
    c->access_message_in_memory_max_ratio = 40;
    c->max_message_size = 4194304;
    c->disk_space_warning_level_ratio = 90;
    c->disk_space_clean_forcibly_ratio = 85;
}

void
rmq_store_config_clear(RmqStoreConfig *c)
{
    g_clear_pointer(&c->store_path_root_dir, g_free);
    g_clear_pointer(&c->store_path_commit_log, g_free);
    g_clear_pointer(&c->delete_when, g_free);
    g_clear_pointer(&c->message_delay_level, g_free);
}

void
rmq_store_config_copy(RmqStoreConfig *dst, const RmqStoreConfig *src)
{
    *dst = *src;
    dst->store_path_root_dir = g_strdup(src->store_path_root_dir);
    dst->store_path_commit_log = g_strdup(src->store_path_commit_log);
    dst->delete_when = g_strdup(src->delete_when);
    dst->message_delay_level = g_strdup(src->message_delay_level);
}

GArray *
rmq_store_config_parse_delay_levels(const char *spec, GError **error)
{
    g_auto(GStrv) parts = g_strsplit(spec ? spec : "", " ", -1);
    g_autoptr(GArray) out = g_array_new(FALSE, FALSE, sizeof(gint64));

    for (guint i = 0; parts[i]; i++) {
        const char *p = parts[i];
        gsize n = strlen(p);
        gint64 unit, v;
        char *end = NULL;

        if (n == 0)
            continue;
        switch (p[n - 1]) {
        case 's': unit = 1000; break;
        case 'm': unit = 60 * 1000; break;
        case 'h': unit = 3600 * 1000; break;
        case 'd': unit = 24 * 3600 * 1000; break;
        default: unit = 0; break;
        }
        v = g_ascii_strtoll(p, &end, 10);
        if (unit == 0 || end != p + n - 1 || end == p || v < 0) {
            g_set_error(error, RMQ_STORE_ERROR, RMQ_STORE_ERROR_INVALID,
                        "messageDelayLevel: bad level '%s'", p);
            return NULL;
        }
        v *= unit;
        g_array_append_val(out, v);
    }
    return g_steal_pointer(&out);
}

gboolean
rmq_store_config_parse_delete_when(const char *spec, gboolean hour_ok[24])
{
    g_auto(GStrv) parts = g_strsplit(spec ? spec : "", ";", -1);
    gboolean any = FALSE;

    memset(hour_ok, 0, 24 * sizeof(gboolean));
    for (guint i = 0; parts[i]; i++) {
        guint64 h;
        g_strstrip(parts[i]);
        if (g_ascii_string_to_unsigned(parts[i], 10, 0, 23, &h, NULL)) {
            hour_ok[h] = TRUE;
            any = TRUE;
        }
    }
    return any;
}
