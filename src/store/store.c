#include <config.h>

#include "store/store.h"
#include "store/checkpoint.h"
#include "store/commit_log.h"
#include "store/dispatcher.h"
#include "store/flush_service.h"
#include "model/message_properties.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

struct RmqStore {
    RmqStoreConfig config;
    char *root;
    int lock_fd;
    gboolean abnormal;
    RmqCommitLog *cl;
    RmqIndexService *index;
    RmqDispatcher *dispatcher;
    RmqCheckpoint *checkpoint;
    RmqFlushService *flush;
    GArray *delay_levels;
    gboolean hour_ok[24];
    gboolean disk_full;          /* usage above the warning ratio */
    GMutex space_lock;           /* guards space_problem (read by the status line) */
    gchar *space_problem;        /* why the last put was refused for space, NULL if fine */
    gint64 space_logged_at;      /* monotonic µs of the last disk-full log line, 0 = never */
    guint64 space_suppressed;    /* refusals since that line */
    gint64 phys_memory;          /* bytes, for the hot/cold pull caps */
    gint64 dispatched_end;       /* records below this are in queues and index */

    GSource *clean_source;       /* retention timer on the open's context */
    const RmqLoopHooks *hooks;   /* or, when given, these run it (and the flush completions) */
    gpointer clean_timer;        /* a timer of @hooks */

    GThread *logics_thread;      /* flushes consume queues, index, checkpoint */
    GMutex logics_lock;
    GCond logics_cond;
    gboolean logics_stop;
};

typedef struct {
    RmqStoreFlushCallback cb;
    gpointer user_data;
} FlushRequest;

static const char *put_names[] = {
    "PUT_OK", "FLUSH_DISK_TIMEOUT", "FLUSH_SLAVE_TIMEOUT", "SLAVE_NOT_AVAILABLE",
    "SERVICE_NOT_AVAILABLE", "CREATE_MAPEDFILE_FAILED", "MESSAGE_ILLEGAL",
    "PROPERTIES_SIZE_EXCEEDED", "OS_PAGECACHE_BUSY", "DISK_FULL", "UNKNOWN_ERROR",
};

static const char *get_names[] = {
    "FOUND", "NO_MATCHED_MESSAGE", "MESSAGE_WAS_REMOVING", "OFFSET_FOUND_NULL",
    "OFFSET_OVERFLOW_BADLY", "OFFSET_OVERFLOW_ONE", "OFFSET_TOO_SMALL",
    "NO_MATCHED_LOGIC_QUEUE", "NO_MESSAGE_IN_QUEUE",
};

const char *
rmq_put_status_name(RmqPutStatus s)
{
    return (guint) s < G_N_ELEMENTS(put_names) ? put_names[s] : "UNKNOWN_ERROR";
}

const char *
rmq_get_status_name(RmqGetStatus s)
{
    return (guint) s < G_N_ELEMENTS(get_names) ? get_names[s] : "UNKNOWN";
}

static gint64
default_clock(gpointer data)
{
    return g_get_real_time() / 1000;
}

static gint64
store_now(RmqStore *store)
{
    return store->config.clock(store->config.clock_data);
}

static char *
root_path(RmqStore *store, const char *name)
{
    return g_build_filename(store->root, name, NULL);
}

/* ---- logics flush thread ------------------------------------------------ */

static gpointer
logics_thread(gpointer data)
{
    RmqStore *store = data;

    g_mutex_lock(&store->logics_lock);
    while (!store->logics_stop) {
        g_autoptr(GError) error = NULL;
        gint64 physic_ts, logics_ts;
        /* under logics_lock: rmq_store_reconfigure may change it */
        gint64 interval = (gint64) MAX(store->config.flush_interval_consume_queue, 1) * 1000;

        g_cond_wait_until(&store->logics_cond, &store->logics_lock,
                          g_get_monotonic_time() + interval);
        if (store->logics_stop)
            break;
        g_mutex_unlock(&store->logics_lock);
        /* timestamps first: what they promise is then surely flushed */
        physic_ts = rmq_atomic64_get(&store->cl->flushed_ts);
        logics_ts = rmq_atomic64_get(&store->dispatcher->last_dispatched_ts);
        if (physic_ts == store->checkpoint->physic_timestamp &&
            logics_ts == store->checkpoint->logics_timestamp &&
            store->checkpoint->clean_end_offset == 0) {
            g_mutex_lock(&store->logics_lock);
            continue;                    /* idle: nothing new to make durable */
        }
        if (rmq_dispatcher_sync(store->dispatcher, &error)) {
            if (physic_ts > 0)
                store->checkpoint->physic_timestamp = physic_ts;
            if (logics_ts > 0) {
                store->checkpoint->logics_timestamp = logics_ts;
                store->checkpoint->index_timestamp = logics_ts;
            }
            store->checkpoint->clean_end_offset = 0;
            if (!rmq_checkpoint_flush(store->checkpoint, &error))
                g_warning("checkpoint: %s", error->message);
        } else {
            g_warning("consume queue flush failed: %s", error->message);
        }
        g_mutex_lock(&store->logics_lock);
    }
    g_mutex_unlock(&store->logics_lock);
    return NULL;
}

static void refresh_disk_state(RmqStore *store);

static gboolean
clean_tick(gpointer data)
{
    rmq_store_clean_expired(data, FALSE);
    return G_SOURCE_CONTINUE;
}

/* ---- open and recovery -------------------------------------------------- */

static void
truncate_queue(gpointer cq, gpointer data)
{
    RmqStore *store = data;

    rmq_consume_queue_truncate_physical(cq, rmq_commit_log_max_offset(store->cl));
    rmq_consume_queue_correct_min(cq, rmq_commit_log_min_offset(store->cl));
}

static void
max_cq_end(gpointer cq, gpointer data)
{
    gint64 *m = data;
    *m = MAX(*m, ((RmqConsumeQueue *) cq)->max_physical_end);
}

/* A clean shutdown wrote the log end into the checkpoint: trust it if the
 * log agrees that nothing follows it. */
static gboolean
clean_end_valid(RmqStore *store, gint64 end)
{
    RmqMappedFile *last = rmq_mapped_file_queue_last(store->cl->files);
    RmqMessageRecord r;

    if (last == NULL)
        return end == 0;
    if (end < last->start || end > last->start + store->cl->file_size)
        return FALSE;
    if (end == last->start + store->cl->file_size)
        return TRUE;
    return rmq_message_decode(last->base + (end - last->start),
                              last->size - (gsize) (end - last->start), FALSE, &r) == RMQ_RECORD_END;
}

static gint64
recovery_start(RmqStore *store)
{
    GPtrArray *files = store->cl->files->files;
    RmqCheckpoint *cp = store->checkpoint;

    if (!store->abnormal) {
        /* normal: validate the last three files */
        guint i = files->len > 3 ? files->len - 3 : 0;
        return files->len ? ((RmqMappedFile *) files->pdata[i])->start : 0;
    }
    /* abnormal: newest file whose first message was stored at least 3 s
     * before anything the checkpoint says is flushed */
    gint64 safe = MIN(cp->physic_timestamp, cp->logics_timestamp);
    if (store->config.message_index_enable)
        safe = MIN(safe, cp->index_timestamp);
    safe -= 3000;
    for (guint i = files->len; i > 0; i--) {
        RmqMappedFile *f = files->pdata[i - 1];
        gint64 ts = rmq_commit_log_file_first_timestamp(f);
        if (ts >= 0 && ts <= safe)
            return f->start;
    }
    return files->len ? ((RmqMappedFile *) files->pdata[0])->start : 0;
}

/* Replays [from, end) of the log into consume queues and the index. */
static gboolean
reput(RmqStore *store, gint64 from, GError **error)
{
    gint64 end = rmq_commit_log_max_offset(store->cl);
    gint64 pos = MAX(from, rmq_commit_log_min_offset(store->cl));

    while (pos < end) {
        RmqMappedFile *f = rmq_mapped_file_queue_find(store->cl->files, pos);
        RmqMessageRecord r;
        RmqRecordStatus st;

        if (f == NULL)
            break;
        st = rmq_message_decode(f->base + (pos - f->start), f->size - (gsize) (pos - f->start),
                                FALSE, &r);
        if (st == RMQ_RECORD_OK) {
            if (!rmq_dispatcher_dispatch(store->dispatcher, &r, error))
                return FALSE;
            pos += r.total_size;
        } else if (st == RMQ_RECORD_BLANK) {
            pos = f->start + (gint64) f->size;
        } else {
            break;      /* cannot happen after recovery; stop rather than loop */
        }
    }
    return TRUE;
}

static gboolean
lock_store(RmqStore *store, GError **error)
{
    g_autofree char *path = root_path(store, "lock");

    store->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (store->lock_fd < 0 || flock(store->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        g_set_error(error, RMQ_STORE_ERROR, RMQ_STORE_ERROR_LOCKED,
                    "store %s is in use: %s", store->root, g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

static void
store_free(RmqStore *store)
{
    rmq_dispatcher_free(store->dispatcher);
    rmq_index_service_free(store->index);
    rmq_commit_log_free(store->cl);
    rmq_checkpoint_free(store->checkpoint);
    if (store->delay_levels)
        g_array_unref(store->delay_levels);
    if (store->lock_fd >= 0)
        close(store->lock_fd);
    g_mutex_clear(&store->logics_lock);
    g_mutex_clear(&store->space_lock);
    g_free(store->space_problem);
    g_cond_clear(&store->logics_cond);
    g_free(store->root);
    rmq_store_config_clear(&store->config);
    g_free(store);
}

static void start_clean_timer(RmqStore *store, GMainContext *context);

RmqStore *
rmq_store_open(const RmqStoreConfig *config, GMainContext *context, GError **error)
{
    return rmq_store_open_full(config, context, NULL, error);
}

RmqStore *
rmq_store_open_full(const RmqStoreConfig *config, GMainContext *context,
                    const RmqLoopHooks *hooks, GError **error)
{
    RmqStore *store = g_new0(RmqStore, 1);
    g_autofree char *cl_dir = NULL, *cq_dir = NULL, *index_dir = NULL;
    g_autofree char *cp_path = NULL, *abort_path = NULL;
    gint64 reput_from = 0, recovered_from = 0, cq_end = 0;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);

    rmq_store_config_copy(&store->config, config);
    if (store->config.clock == NULL)
        store->config.clock = default_clock;
    store->lock_fd = -1;
    g_mutex_init(&store->logics_lock);
    g_mutex_init(&store->space_lock);
    g_cond_init(&store->logics_cond);
    store->root = g_strdup(config->store_path_root_dir);
    store->phys_memory = pages > 0 && page > 0 ? (gint64) pages * page : G_MAXINT64 / 2;

    if (config->mapped_file_size_commit_log < 4096 || config->mapped_file_size_consume_queue < 20 ||
        config->max_hash_slot_num <= 0 || config->max_index_num <= 1) {
        g_set_error(error, RMQ_STORE_ERROR, RMQ_STORE_ERROR_INVALID, "invalid store geometry");
        goto fail;
    }
    store->delay_levels = rmq_store_config_parse_delay_levels(config->message_delay_level, error);
    if (store->delay_levels == NULL)
        goto fail;
    rmq_store_config_parse_delete_when(config->delete_when, store->hour_ok);
    if (g_mkdir_with_parents(store->root, 0755) < 0) {
        g_set_error(error, RMQ_STORE_ERROR, RMQ_STORE_ERROR_IO, "cannot create %s: %s",
                    store->root, g_strerror(errno));
        goto fail;
    }
    if (!lock_store(store, error))
        goto fail;

    cl_dir = config->store_path_commit_log ? g_strdup(config->store_path_commit_log)
                                           : root_path(store, "commitlog");
    cq_dir = root_path(store, "consumequeue");
    index_dir = root_path(store, "index");
    cp_path = root_path(store, "checkpoint");
    abort_path = root_path(store, "abort");

    store->cl = rmq_commit_log_new(cl_dir, config->mapped_file_size_commit_log);
    rmq_commit_log_set_write_through(store->cl, config->flush_disk_type == RMQ_STORE_FLUSH_SYNC);
    if (config->message_index_enable)
        store->index = rmq_index_service_new(index_dir, config->max_hash_slot_num,
                                             config->max_index_num,
                                             (RmqIndexClock) store->config.clock,
                                             store->config.clock_data);
    store->dispatcher = rmq_dispatcher_new(cq_dir, config->mapped_file_size_consume_queue,
                                           store->index, store->delay_levels);
    store->checkpoint = rmq_checkpoint_open(cp_path, error);
    if (store->checkpoint == NULL)
        goto fail;
    if (!rmq_commit_log_load(store->cl, error) || !rmq_dispatcher_load(store->dispatcher, error) ||
        (store->index && !rmq_index_service_load(store->index, error)))
        goto fail;

    /* a short file means a crash whatever the abort file says */
    store->abnormal = g_file_test(abort_path, G_FILE_TEST_EXISTS) || store->cl->files->repaired;
    if (!store->abnormal && clean_end_valid(store, store->checkpoint->clean_end_offset)) {
        rmq_commit_log_set_end(store->cl, store->checkpoint->clean_end_offset);
        rmq_atomic64_set(&store->cl->wrote_ts, store->checkpoint->physic_timestamp);
        rmq_atomic64_set(&store->cl->flushed_ts, store->checkpoint->physic_timestamp);
        recovered_from = rmq_commit_log_max_offset(store->cl);
    } else {
        recovered_from = recovery_start(store);
        gint64 end = rmq_commit_log_recover(store->cl, recovered_from, config->check_crc_on_recover);
        g_debug("store %s: %s recovery from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                store->root, store->abnormal ? "abnormal" : "normal", recovered_from, end);
        if (store->index)
            rmq_index_service_truncate(store->index, end);
    }
    /* drop units past the log end, then replay what the queues lack */
    rmq_dispatcher_foreach(store->dispatcher, truncate_queue, store);
    rmq_dispatcher_foreach(store->dispatcher, max_cq_end, &cq_end);
    reput_from = store->abnormal ? MIN(recovered_from, cq_end) : cq_end;
    if (!reput(store, reput_from, error))
        goto fail;
    store->dispatched_end = rmq_commit_log_max_offset(store->cl);

    /* from here on a crash is abnormal */
    if (!g_file_set_contents(abort_path, "", 0, error))
        goto fail;
    store->checkpoint->clean_end_offset = 0;
    if (!rmq_checkpoint_flush(store->checkpoint, error))
        goto fail;
    refresh_disk_state(store);

    store->hooks = hooks;
    store->flush = rmq_flush_service_new_full(store->cl, &store->config, context, hooks);
    /* 8 MiB ahead of the writer: >= 0.1 s of appends at 70 MB/s (250,000
     * 128 B sends a second), and no more than that in the broker's RSS.
     * Not under SYNC_FLUSH: its appends are pwrite()s, which take no page
     * faults, and pages faulted in by reading come in large folios, each
     * of which every group commit's fdatasync would write back whole
     * (-30 % throughput with 16 producers on one connection). */
    if (config->flush_disk_type != RMQ_STORE_FLUSH_SYNC)
        rmq_commit_log_start_warmer(store->cl,
                                    MIN(8 * 1024 * 1024, config->mapped_file_size_commit_log));
    store->logics_thread = g_thread_new("rmq-flush-cq", logics_thread, store);
    if ((context != NULL || hooks != NULL) && config->clean_resource_interval > 0)
        start_clean_timer(store, context);
    return store;

fail:
    store_free(store);
    return NULL;
}

gboolean
rmq_store_was_abnormal(RmqStore *store)
{
    return store->abnormal;
}

static gboolean
clean_hook_tick(gpointer data)
{
    RmqStore *store = data;

    rmq_store_clean_expired(store, FALSE);
    /* as g_timeout_add: the next interval counts from this run; an interval
     * reconfigured to 0 stops it (rmq_store_reconfigure re-arms a positive one) */
    if (store->config.clean_resource_interval <= 0)
        return G_SOURCE_REMOVE;
    store->hooks->timer_set_ready_time(store->clean_timer,
                                       g_get_monotonic_time() +
                                           (gint64) store->config.clean_resource_interval * 1000);
    return G_SOURCE_CONTINUE;
}

static void
start_clean_timer(RmqStore *store, GMainContext *context)
{
    if (store->hooks != NULL) {
        if (store->clean_timer == NULL)
            store->clean_timer = store->hooks->timer_new(clean_hook_tick, store);
        store->hooks->timer_set_ready_time(store->clean_timer,
                                           g_get_monotonic_time() +
                                               (gint64) store->config.clean_resource_interval * 1000);
        return;
    }
    /* retention runs on the caller's loop, the thread that owns the files */
    store->clean_source = g_timeout_source_new((guint) store->config.clean_resource_interval);
    g_source_set_callback(store->clean_source, clean_tick, store, NULL);
    g_source_set_name(store->clean_source, "rmq-store-clean");
    g_source_attach(store->clean_source, context);
}

const RmqStoreConfig *
rmq_store_get_config(RmqStore *store)
{
    return &store->config;
}

void
rmq_store_reconfigure(RmqStore *store, const RmqStoreConfig *config)
{
    RmqStoreConfig *c = &store->config;

    g_return_if_fail(store != NULL && config != NULL);
    g_mutex_lock(&store->logics_lock);
    c->flush_interval_consume_queue = config->flush_interval_consume_queue;
    g_cond_signal(&store->logics_cond);
    g_mutex_unlock(&store->logics_lock);

    c->flush_interval_commit_log = config->flush_interval_commit_log;
    c->flush_commit_log_least_pages = config->flush_commit_log_least_pages;
    c->flush_commit_log_thorough_interval = config->flush_commit_log_thorough_interval;
    c->sync_flush_timeout = config->sync_flush_timeout;
    rmq_flush_service_reconfigure(store->flush, c);

    if (config->delete_when != NULL && g_strcmp0(config->delete_when, c->delete_when) != 0) {
        gboolean hours[24];
        if (rmq_store_config_parse_delete_when(config->delete_when, hours)) {
            memcpy(store->hour_ok, hours, sizeof hours);
            g_free(c->delete_when);
            c->delete_when = g_strdup(config->delete_when);
        }
    }
    c->file_reserved_time = config->file_reserved_time;
    c->disk_max_used_space_ratio = config->disk_max_used_space_ratio;
    c->clean_file_forcibly_enable = config->clean_file_forcibly_enable;
    if (config->clean_resource_interval != c->clean_resource_interval) {
        c->clean_resource_interval = config->clean_resource_interval;
        if (store->clean_source != NULL && c->clean_resource_interval > 0) {
            GMainContext *context = g_source_get_context(store->clean_source);
            g_source_destroy(store->clean_source);
            g_clear_pointer(&store->clean_source, g_source_unref);
            start_clean_timer(store, context);
        } else if (store->clean_timer != NULL && c->clean_resource_interval > 0) {
            start_clean_timer(store, NULL); /* re-armed at the new interval */
        }
    }
    c->max_transfer_bytes_on_message_in_memory = config->max_transfer_bytes_on_message_in_memory;
    c->max_transfer_count_on_message_in_memory = config->max_transfer_count_on_message_in_memory;
    c->max_transfer_bytes_on_message_in_disk = config->max_transfer_bytes_on_message_in_disk;
    c->max_transfer_count_on_message_in_disk = config->max_transfer_count_on_message_in_disk;
    c->access_message_in_memory_max_ratio = config->access_message_in_memory_max_ratio;
    c->max_message_size = config->max_message_size;
}

void
rmq_store_close(RmqStore *store)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *abort_path = NULL;

    if (store == NULL)
        return;
    if (store->clean_source) {
        g_source_destroy(store->clean_source);
        g_clear_pointer(&store->clean_source, g_source_unref);
    }
    if (store->clean_timer != NULL) {
        store->hooks->timer_free(store->clean_timer);
        store->clean_timer = NULL;
    }
    g_mutex_lock(&store->logics_lock);
    store->logics_stop = TRUE;
    g_cond_signal(&store->logics_cond);
    g_mutex_unlock(&store->logics_lock);
    g_thread_join(store->logics_thread);
    rmq_commit_log_stop_warmer(store->cl);
    rmq_flush_service_free(store->flush);   /* final commit-log flush */

    abort_path = root_path(store, "abort");
    if (rmq_dispatcher_sync(store->dispatcher, &error)) {
        store->checkpoint->physic_timestamp = MAX(store->checkpoint->physic_timestamp,
                                                  rmq_atomic64_get(&store->cl->wrote_ts));
        store->checkpoint->logics_timestamp = MAX(store->checkpoint->logics_timestamp,
            rmq_atomic64_get(&store->dispatcher->last_dispatched_ts));
        store->checkpoint->index_timestamp = store->checkpoint->logics_timestamp;
        store->checkpoint->clean_end_offset = rmq_commit_log_max_offset(store->cl);
        if (rmq_atomic64_get(&store->cl->flushed) == rmq_commit_log_max_offset(store->cl) &&
            rmq_checkpoint_flush(store->checkpoint, &error))
            g_unlink(abort_path);
    }
    if (error != NULL)
        g_warning("store %s: unclean shutdown: %s", store->root, error->message);
    store_free(store);
}

/* ---- append ------------------------------------------------------------- */

static RmqPutStatus
error_status(GError *error)
{
    if (g_error_matches(error, RMQ_STORE_ERROR, RMQ_STORE_ERROR_DISK_FULL))
        return RMQ_PUT_DISK_FULL;
    if (g_error_matches(error, RMQ_STORE_ERROR, RMQ_STORE_ERROR_INVALID))
        return RMQ_PUT_MESSAGE_ILLEGAL;
    return RMQ_PUT_CREATE_MAPPED_FILE_FAILED;
}

static RmqPutStatus
check_message(RmqStore *store, const RmqMessage *msg)
{
    gsize tlen = msg->topic ? strlen(msg->topic) : 0;

    if (tlen == 0 || tlen > RMQ_MESSAGE_MAX_TOPIC || msg->queue_id < 0)
        return RMQ_PUT_MESSAGE_ILLEGAL;
    if (msg->body_len > (gsize) store->config.max_message_size)
        return RMQ_PUT_MESSAGE_ILLEGAL;
    if (msg->properties_len > RMQ_MESSAGE_MAX_PROPS)
        return RMQ_PUT_PROPERTIES_SIZE_EXCEEDED;
    return RMQ_PUT_OK;
}

static gboolean
dispatches(const RmqMessage *msg)
{
    gint32 tx = msg->sys_flag & RMQ_SYSFLAG_TRANSACTION_MASK;
    return tx == RMQ_SYSFLAG_TRANSACTION_NOT || tx == RMQ_SYSFLAG_TRANSACTION_COMMIT;
}

/* DELAY=n parks the message in SCHEDULE_TOPIC_XXXX queue n-1 (docs/protocol.md §11.2). */
static gboolean
rewrite_delay(RmqStore *store, const RmqMessage *msg, const RmqPropertyView *view,
              RmqMessage *out, char **props_out, char **topic_out)
{
    const char *v;
    gsize vlen;
    char buf[16];
    gint64 level, max = store->delay_levels->len;
    g_autoptr(GHashTable) props = NULL;

    if (!dispatches(msg) || max == 0)
        return FALSE;
    if (rmq_property_view_matches(view, msg->properties, msg->properties_len)) {
        v = view->v[RMQ_PROP_VIEW_DELAY].value;
        vlen = view->v[RMQ_PROP_VIEW_DELAY].len;
        if (v == NULL)
            return FALSE;
    } else if (!rmq_message_property_get(msg->properties, msg->properties_len,
                                         RMQ_PROPERTY_DELAY, &v, &vlen)) {
        return FALSE;
    }
    if (vlen >= sizeof buf)
        return FALSE;
    memcpy(buf, v, vlen);
    buf[vlen] = '\0';
    level = g_ascii_strtoll(buf, NULL, 10);
    if (level <= 0)
        return FALSE;
    props = rmq_message_properties_parse(msg->properties, msg->properties_len);
    if (level > max)
        g_hash_table_insert(props, g_strdup(RMQ_PROPERTY_DELAY),
                            g_strdup_printf("%" G_GINT64_FORMAT, max));
    level = MIN(level, max);
    g_hash_table_insert(props, g_strdup(RMQ_PROPERTY_REAL_TOPIC), g_strdup(msg->topic));
    g_hash_table_insert(props, g_strdup(RMQ_PROPERTY_REAL_QID), g_strdup_printf("%d", msg->queue_id));
    *props_out = rmq_message_properties_build(props);
    *topic_out = g_strdup(RMQ_STORE_SCHEDULE_TOPIC);
    *out = *msg;
    out->topic = *topic_out;
    out->queue_id = (gint32) (level - 1);
    out->properties = *props_out;
    out->properties_len = strlen(*props_out);
    return TRUE;
}

/* ---- running out of space ---------------------------------------------- */

#define SPACE_LOG_INTERVAL_US (60 * G_USEC_PER_SEC)

static gint64
free_bytes(const char *dir)
{
    struct statvfs st;

    if (statvfs(dir, &st) < 0)
        return -1;
    return (gint64) st.f_bavail * (gint64) st.f_frsize;
}

/* A put refused because a new file of @files could not be made: say so once
 * a minute (path, free bytes, what was needed), and keep it for STATUS=. */
static void
report_space(RmqStore *store, const GError *error, RmqMappedFileQueue *files)
{
    if (!g_error_matches(error, RMQ_STORE_ERROR, RMQ_STORE_ERROR_DISK_FULL))
        return;
    gint64 avail = free_bytes(files->dir);
    g_autofree gchar *avail_text = avail < 0 ? g_strdup("unknown") : g_format_size_full(
        (guint64) avail, G_FORMAT_SIZE_IEC_UNITS);
    g_autofree gchar *need_text = g_format_size_full((guint64) files->file_size,
                                                     G_FORMAT_SIZE_IEC_UNITS);
    g_autofree gchar *problem = g_strdup_printf("disk full: %s free in %s, a new file needs %s",
                                                avail_text, files->dir, need_text);
    g_mutex_lock(&store->space_lock);
    gboolean changed = g_strcmp0(store->space_problem, problem) != 0;
    g_free(store->space_problem);
    store->space_problem = g_steal_pointer(&problem);
    g_mutex_unlock(&store->space_lock);

    gint64 now = g_get_monotonic_time();
    if (!changed && store->space_logged_at != 0 &&
        now - store->space_logged_at < SPACE_LOG_INTERVAL_US) {
        store->space_suppressed++;
        return;
    }
    g_autofree gchar *note =
        store->space_suppressed == 0
            ? g_strdup("")
            : g_strdup_printf(" (%" G_GUINT64_FORMAT " more refused since the last report)",
                              store->space_suppressed);
    rmq_log_event(G_LOG_LEVEL_WARNING, RMQ_MSGID_DISK_FULL, "RMQ_PATH", files->dir,
                  "MESSAGE",
                  "store: messages refused, disk full: %s (%" G_GINT64_FORMAT
                  " bytes free, a new file needs %" G_GSIZE_FORMAT ")%s",
                  error->message, avail, files->file_size, note);
    store->space_logged_at = now;
    store->space_suppressed = 0;
}

static void
space_recovered(RmqStore *store)
{
    if (store->space_logged_at == 0)
        return;
    g_mutex_lock(&store->space_lock);
    g_clear_pointer(&store->space_problem, g_free);
    g_mutex_unlock(&store->space_lock);
    store->space_logged_at = 0;
    store->space_suppressed = 0;
    rmq_log_event(G_LOG_LEVEL_MESSAGE, RMQ_MSGID_DISK_FULL, "MESSAGE",
                  "store %s: space for new files again, messages accepted", store->root);
}

gchar *
rmq_store_space_problem(RmqStore *store)
{
    g_return_val_if_fail(store != NULL, NULL);
    g_mutex_lock(&store->space_lock);
    gchar *problem = g_strdup(store->space_problem);
    g_mutex_unlock(&store->space_lock);
    if (problem == NULL && store->disk_full)
        problem = g_strdup_printf("disk %.1f%% used, messages refused",
                                  rmq_store_disk_usage(store));
    return problem;
}

/* @views (may be NULL): views[i] is msgs[i]'s properties parsed by the caller. */
static RmqPutStatus
put_batch(RmqStore *store, const RmqMessage *msgs, guint n, const RmqPropertyView *views,
          RmqPutResult *result)
{
    g_autoptr(GError) error = NULL;
    RmqConsumeQueue *cq = NULL;
    gint64 total = 0, qoff = 0, now, first_size = 0;
    gsize topic_len = msgs && n ? strlen(msgs[0].topic ? msgs[0].topic : "") : 0;
    RmqPutStatus st;

    memset(result, 0, sizeof *result);
    result->status = RMQ_PUT_MESSAGE_ILLEGAL;
    if (n == 0)
        return result->status;
    for (guint i = 0; i < n; i++) {
        gint64 sz;
        st = check_message(store, &msgs[i]);
        if (st == RMQ_PUT_OK && i > 0 &&
            ((msgs[i].topic != msgs[0].topic && strcmp(msgs[i].topic, msgs[0].topic) != 0) ||
                                 msgs[i].queue_id != msgs[0].queue_id ||
                                 dispatches(&msgs[i]) != dispatches(&msgs[0])))
            st = RMQ_PUT_MESSAGE_ILLEGAL;
        sz = rmq_message_record_size(&msgs[i]);
        if (st == RMQ_PUT_OK && sz < 0)
            st = RMQ_PUT_MESSAGE_ILLEGAL;
        if (st != RMQ_PUT_OK)
            return result->status = st;
        if (i == 0)
            first_size = sz;
        total += sz;
    }
    /* a batch goes into one file, as Java appends it as one block: its
     * message ids are the first offset plus the sizes before each item */
    if (total + RMQ_MESSAGE_BLANK_LENGTH > store->cl->file_size)
        return result->status = RMQ_PUT_MESSAGE_ILLEGAL;
    if (store->disk_full)
        return result->status = RMQ_PUT_DISK_FULL;

    /* reserve every file this batch may need before writing a byte: the
     * commit log first, so a refused message leaves no queue behind */
    if (!rmq_commit_log_ensure_space(store->cl, total, &error)) {
        report_space(store, error, store->cl->files);
        return result->status = error_status(error);
    }
    if (dispatches(&msgs[0])) {
        cq = rmq_dispatcher_find_queue(store->dispatcher, msgs[0].topic, msgs[0].queue_id);
        gboolean fresh = cq == NULL;
        if (fresh)
            cq = rmq_dispatcher_get_queue(store->dispatcher, msgs[0].topic, msgs[0].queue_id);
        qoff = cq->max_offset;
        for (guint i = 0; i < n; i++)
            if (!rmq_consume_queue_reserve(cq, qoff + i, &error)) {
                report_space(store, error, cq->files);
                if (fresh && rmq_mapped_file_queue_last(cq->files) == NULL) {
                    /* nothing of it on disk: no empty directories either */
                    g_autofree char *topic_dir = g_path_get_dirname(cq->files->dir);
                    g_rmdir(cq->files->dir);
                    g_rmdir(topic_dir);
                }
                return result->status = error_status(error);
            }
    }
    space_recovered(store);
    if (n > 1 && !rmq_commit_log_keep_together(store->cl, total, &error))
        return result->status = error_status(error);

    now = store_now(store);
    for (guint i = 0; i < n; i++) {
        gint64 phy;
        gint32 size;
        RmqMessageRecord r;

        gint64 sz = i == 0 ? first_size : rmq_message_record_size(&msgs[i]);
        if (!rmq_commit_log_append_sized(store->cl, &msgs[i], sz, cq ? qoff + i : 0, now, &phy,
                                         &size, &error))
            return result->status = error_status(error);   /* cannot happen after reserve */
        /* what dispatch reads, straight from the message (no re-decode) */
        memset(&r, 0, sizeof r);
        r.total_size = size;
        r.queue_id = msgs[i].queue_id;
        r.queue_offset = cq ? qoff + i : 0;
        r.physical_offset = phy;
        r.sys_flag = msgs[i].sys_flag;
        r.store_timestamp = now;
        r.topic = msgs[i].topic;
        r.topic_len = (gint32) topic_len;
        r.properties = msgs[i].properties;
        r.properties_len = (gint32) msgs[i].properties_len;
        if (!rmq_dispatcher_dispatch_cq(store->dispatcher, &r, views != NULL ? &views[i] : NULL,
                                        cq, &error))
            g_warning("dispatch failed at %" G_GINT64_FORMAT ": %s", phy, error->message);
        g_clear_error(&error);
        if (i == 0) {
            result->physical_offset = phy;
            result->queue_offset = cq ? qoff : 0;
            rmq_message_id_format(&msgs[0].store_host, phy, result->msg_id);
        }
        result->wrote_bytes = (gint32) (phy + size - result->physical_offset);
    }
    result->msg_num = (gint32) n;
    result->store_timestamp = now;
    store->dispatched_end = rmq_commit_log_max_offset(store->cl);
    return result->status = RMQ_PUT_OK;
}

RmqPutStatus
rmq_store_put_message(RmqStore *store, const RmqMessage *msg, RmqPutResult *result)
{
    return rmq_store_put_message_view(store, msg, NULL, result);
}

RmqPutStatus
rmq_store_put_message_view(RmqStore *store, const RmqMessage *msg, const RmqPropertyView *view,
                           RmqPutResult *result)
{
    RmqMessage parked;
    char *props, *topic; /* set by rewrite_delay only when it answers TRUE */

    if (check_message(store, msg) == RMQ_PUT_OK &&
        rewrite_delay(store, msg, view, &parked, &props, &topic)) {
        RmqPutStatus st = put_batch(store, &parked, 1, NULL, result);
        result->delayed = TRUE;
        g_free(props);
        g_free(topic);
        return st;
    }
    return put_batch(store, msg, 1, view, result);
}

RmqPutStatus
rmq_store_put_messages(RmqStore *store, const RmqMessage *msgs, guint n, RmqPutResult *result)
{
    return rmq_store_put_messages_view(store, msgs, n, NULL, result);
}

RmqPutStatus
rmq_store_put_messages_view(RmqStore *store, const RmqMessage *msgs, guint n,
                            const RmqPropertyView *views, RmqPutResult *result)
{
    for (guint i = 0; i < n; i++) {
        const RmqPropertyView *v = views != NULL ? &views[i] : NULL;
        gboolean delay = rmq_property_view_matches(v, msgs[i].properties, msgs[i].properties_len)
                             ? v->v[RMQ_PROP_VIEW_DELAY].value != NULL
                             : rmq_message_property_get(msgs[i].properties,
                                                        msgs[i].properties_len,
                                                        RMQ_PROPERTY_DELAY, NULL, NULL);
        if (delay) {
            memset(result, 0, sizeof *result);
            return result->status = RMQ_PUT_MESSAGE_ILLEGAL;   /* docs/protocol.md §11.2 */
        }
    }
    return put_batch(store, msgs, n, views, result);
}

/* ---- flush -------------------------------------------------------------- */

static void
flush_done(RmqFlushStatus st, gpointer data)
{
    FlushRequest *req = data;

    req->cb(st == RMQ_FLUSH_OK ? RMQ_PUT_OK : RMQ_PUT_FLUSH_DISK_TIMEOUT, req->user_data);
    g_free(req);
}

void
rmq_store_flush_async(RmqStore *store, gint64 offset, RmqStoreFlushCallback cb, gpointer user_data)
{
    FlushRequest *req = g_new(FlushRequest, 1);

    req->cb = cb;
    req->user_data = user_data;
    rmq_flush_service_request(store->flush, offset, flush_done, req);
}

RmqPutStatus
rmq_store_wait_flushed(RmqStore *store, gint64 offset, gint timeout_ms)
{
    if (timeout_ms < 0)
        timeout_ms = store->config.sync_flush_timeout;
    return rmq_flush_service_wait(store->flush, offset, timeout_ms) == RMQ_FLUSH_OK
               ? RMQ_PUT_OK : RMQ_PUT_FLUSH_DISK_TIMEOUT;
}

gint64
rmq_store_flushed_offset(RmqStore *store)
{
    return rmq_flush_service_flushed(store->flush);
}

guint
rmq_store_flush_pending(RmqStore *store, gint64 *oldest_us)
{
    return rmq_flush_service_pending(store->flush, oldest_us);
}

guint64
rmq_store_flush_rounds(RmqStore *store)
{
    return rmq_flush_service_rounds(store->flush);
}

void
rmq_store_set_flush_hook(RmqStore *store, void (*hook)(gpointer), gpointer data)
{
    rmq_flush_service_set_hook(store->flush, hook, data);
}

void
rmq_store_set_flush_round_hooks(RmqStore *store, void (*begin)(gpointer), void (*end)(gpointer),
                                gpointer data)
{
    rmq_flush_service_set_round_hooks(store->flush, begin, end, data);
}

/* ---- read --------------------------------------------------------------- */

void
rmq_get_result_free(RmqGetResult *r)
{
    if (r == NULL)
        return;
    if (r->body)
        g_bytes_unref(r->body);
    if (r->queue_offsets)
        g_array_unref(r->queue_offsets);
    g_free(r);
}

void
rmq_query_result_free(RmqQueryResult *r)
{
    if (r == NULL)
        return;
    if (r->body)
        g_bytes_unref(r->body);
    g_free(r);
}

/* Java's isTheBatchFull(), with the hot/cold caps of docs/protocol.md §10.2 step 5. */
static gboolean
batch_full(RmqStore *store, gint32 size, gint32 max_msgs, gsize bytes, guint count,
           gboolean in_disk)
{
    if (bytes == 0 || count == 0)
        return FALSE;
    if ((guint) max_msgs <= count)
        return TRUE;
    if (in_disk)
        return bytes + (gsize) size > (gsize) store->config.max_transfer_bytes_on_message_in_disk ||
               count > (guint) store->config.max_transfer_count_on_message_in_disk - 1;
    return bytes + (gsize) size > (gsize) store->config.max_transfer_bytes_on_message_in_memory ||
           count > (guint) store->config.max_transfer_count_on_message_in_memory - 1;
}

RmqGetResult *
rmq_store_get_message(RmqStore *store, const char *topic, gint32 queue_id, gint64 offset,
                      gint32 max_msg_nums, RmqStoreTagFilter filter, gpointer filter_data)
{
    return rmq_store_get_message_filtered(store, topic, queue_id, offset, max_msg_nums, filter,
                                          NULL, filter_data);
}

/* The records of one pull, gathered before they are copied (see
 * rmq_store_get_message_filtered). */
#define PULL_SPANS 64
typedef struct {
    struct {
        const guint8 *data;
        gsize size;
    } spans[PULL_SPANS];
    guint nspans;
    gint64 qos[PULL_SPANS]; /* queue offsets not yet in the result's array */
    guint nqos;
    gsize total;            /* body bytes so far */
    GByteArray *spill;      /* NULL until the spans overflow */
} PullSpans;

static void
pull_spans_flush(PullSpans *sp, GArray *queue_offsets)
{
    if (sp->spill == NULL)
        sp->spill = g_byte_array_sized_new((guint) MIN(sp->total * 2, (gsize) 4 << 20));
    for (guint k = 0; k < sp->nspans; k++)
        g_byte_array_append(sp->spill, sp->spans[k].data, (guint) sp->spans[k].size);
    g_array_append_vals(queue_offsets, sp->qos, sp->nqos);
    sp->nspans = 0;
    sp->nqos = 0;
}

static inline void
pull_spans_add(PullSpans *sp, GArray *queue_offsets, const guint8 *rec, gsize size, gint64 qo)
{
    if (sp->nqos == PULL_SPANS)
        pull_spans_flush(sp, queue_offsets);
    sp->qos[sp->nqos++] = qo;
    sp->total += size;
    if (sp->nspans > 0 && sp->spans[sp->nspans - 1].data + sp->spans[sp->nspans - 1].size == rec) {
        sp->spans[sp->nspans - 1].size += size; /* the next record in the same file */
        return;
    }
    if (sp->nspans == PULL_SPANS)
        pull_spans_flush(sp, queue_offsets);
    sp->spans[sp->nspans].data = rec;
    sp->spans[sp->nspans].size = size;
    sp->nspans++;
}

/* The body (NULL when nothing was taken); the queue offsets into their array. */
static GBytes *
pull_spans_finish(PullSpans *sp, GArray *queue_offsets)
{
    if (sp->total == 0)
        return NULL;
    if (sp->spill != NULL) {
        pull_spans_flush(sp, queue_offsets);
        return g_byte_array_free_to_bytes(g_steal_pointer(&sp->spill));
    }
    g_array_append_vals(queue_offsets, sp->qos, sp->nqos);
    guint8 *buf = g_malloc(sp->total), *w = buf;
    for (guint k = 0; k < sp->nspans; k++) {
        memcpy(w, sp->spans[k].data, sp->spans[k].size);
        w += sp->spans[k].size;
    }
    return g_bytes_new_take(buf, sp->total);
}

RmqGetResult *
rmq_store_get_message_filtered(RmqStore *store, const char *topic, gint32 queue_id, gint64 offset,
                               gint32 max_msg_nums, RmqStoreTagFilter filter,
                               RmqStoreRecordFilter record_filter, gpointer filter_data)
{
    RmqGetResult *res = g_new0(RmqGetResult, 1);
    RmqConsumeQueue *cq = rmq_dispatcher_find_queue(store->dispatcher, topic, queue_id);
    gint64 max_py = rmq_commit_log_max_offset(store->cl);
    gint64 memory = store->phys_memory / 100 * store->config.access_message_in_memory_max_ratio;

    res->next_begin_offset = offset;
    res->queue_offsets = g_array_sized_new(FALSE, FALSE, sizeof(gint64),
                                           (guint) CLAMP(max_msg_nums, 1, 64));
    if (cq == NULL) {
        res->status = RMQ_GET_NO_MATCHED_LOGIC_QUEUE;
        res->next_begin_offset = 0;
        return res;
    }
    res->min_offset = cq->min_offset;
    res->max_offset = cq->max_offset;
    if (cq->max_offset == 0) {
        res->status = RMQ_GET_NO_MESSAGE_IN_QUEUE;
        res->next_begin_offset = 0;
    } else if (offset < cq->min_offset) {
        res->status = RMQ_GET_OFFSET_TOO_SMALL;
        res->next_begin_offset = cq->min_offset;
    } else if (offset == cq->max_offset) {
        res->status = RMQ_GET_OFFSET_OVERFLOW_ONE;
    } else if (offset > cq->max_offset) {
        res->status = RMQ_GET_OFFSET_OVERFLOW_BADLY;
        res->next_begin_offset = cq->min_offset == 0 ? cq->min_offset : cq->max_offset;
    } else {
        gint64 avail = rmq_consume_queue_contiguous(cq, offset);
        /* The run of units in one consume-queue file (avail of them). */
        const guint8 *units = avail > 0 ? rmq_consume_queue_peek_run(cq, offset) : NULL;
        if (units == NULL) {
            res->status = RMQ_GET_OFFSET_FOUND_NULL;
            res->next_begin_offset = rmq_consume_queue_roll_next_file(cq, offset);
        } else {
            /* Records are gathered as spans of the mapped commit log (adjacent
             * ones merged) and copied once into a body of the exact size: no
             * buffer regrown per record, no call per record (bench/README.md,
             * "Pull path"). A batch of more than PULL_SPANS pieces spills into
             * a growing buffer. */
            PullSpans sp = { .nspans = 0 };
            gint64 max_scan = MAX(16000, (gint64) max_msg_nums * 20) / RMQ_CQ_UNIT_SIZE;
            gint64 next_file_start = G_MININT64, max_py_pulling = 0, i;
            /* Nothing adds or removes commit-log files while this runs. */
            gint64 min_py = rmq_commit_log_min_offset(store->cl);
            RmqMappedFile *file = NULL;

            res->status = RMQ_GET_NO_MATCHED_MESSAGE;
            for (i = 0; i < avail && i < max_scan; i++) {
                RmqCqUnit u;
                const guint8 *rec;
                gboolean in_disk;

                rmq_cq_unit_decode(units + i * RMQ_CQ_UNIT_SIZE, &u);
                max_py_pulling = u.physical_offset;
                if (next_file_start != G_MININT64 && u.physical_offset < next_file_start)
                    continue;
                in_disk = max_py - u.physical_offset > memory;
                if (batch_full(store, u.size, max_msg_nums, sp.total, res->msg_count, in_disk))
                    break;
                if (filter && !filter(u.tag_code, filter_data)) {
                    if (sp.total == 0)
                        res->status = RMQ_GET_NO_MATCHED_MESSAGE;
                    continue;
                }
                rec = u.size == RMQ_CQ_FILLER_SIZE
                          ? NULL
                          : rmq_commit_log_peek_hint(store->cl, u.physical_offset, u.size, &file);
                if (rec == NULL || u.physical_offset < min_py) {
                    if (sp.total == 0)
                        res->status = RMQ_GET_MESSAGE_WAS_REMOVING;
                    next_file_start = rmq_commit_log_roll_next_file(store->cl, u.physical_offset);
                    continue;
                }
                if (record_filter && !record_filter(rec, u.size, filter_data)) {
                    if (sp.total == 0)
                        res->status = RMQ_GET_NO_MATCHED_MESSAGE;
                    continue;
                }
                pull_spans_add(&sp, res->queue_offsets, rec, (gsize) u.size, offset + i);
                res->msg_count++;
                res->status = RMQ_GET_FOUND;
                next_file_start = G_MININT64;
            }
            res->next_begin_offset = offset + i;
            res->suggest_pulling_from_slave = max_py - max_py_pulling > memory;
            res->body = pull_spans_finish(&sp, res->queue_offsets);
        }
    }
    return res;
}

gint64
rmq_store_get_min_offset(RmqStore *store, const char *topic, gint32 queue_id)
{
    RmqConsumeQueue *cq = rmq_dispatcher_find_queue(store->dispatcher, topic, queue_id);
    return cq ? cq->min_offset : 0;
}

gint64
rmq_store_get_max_offset(RmqStore *store, const char *topic, gint32 queue_id)
{
    RmqConsumeQueue *cq = rmq_dispatcher_find_queue(store->dispatcher, topic, queue_id);
    return cq ? cq->max_offset : 0;
}

gint64
rmq_store_get_commit_log_offset(RmqStore *store, const char *topic, gint32 queue_id, gint64 offset)
{
    RmqConsumeQueue *cq = rmq_dispatcher_find_queue(store->dispatcher, topic, queue_id);
    RmqCqUnit u;

    if (cq == NULL || offset < cq->min_offset || !rmq_consume_queue_get(cq, offset, &u))
        return -1;
    return u.physical_offset;
}

static gint64
unit_store_time(RmqStore *store, const RmqCqUnit *u)
{
    const guint8 *rec;

    if (u->size == RMQ_CQ_FILLER_SIZE)
        return -1;
    rec = rmq_commit_log_peek(store->cl, u->physical_offset, u->size);
    return rec ? rmq_message_peek_store_timestamp(rec) : -1;
}

gint64
rmq_store_get_message_store_timestamp(RmqStore *store, const char *topic, gint32 queue_id,
                                      gint64 offset)
{
    RmqConsumeQueue *cq = rmq_dispatcher_find_queue(store->dispatcher, topic, queue_id);
    RmqCqUnit u;

    if (cq == NULL || offset < cq->min_offset || !rmq_consume_queue_get(cq, offset, &u))
        return -1;
    return unit_store_time(store, &u);
}

gint64
rmq_store_get_earliest_message_time(RmqStore *store, const char *topic, gint32 queue_id)
{
    RmqConsumeQueue *cq = rmq_dispatcher_find_queue(store->dispatcher, topic, queue_id);
    return cq ? rmq_store_get_message_store_timestamp(store, topic, queue_id, cq->min_offset) : -1;
}

gint64
rmq_store_get_earliest_commit_log_time(RmqStore *store)
{
    RmqMappedFile *f = rmq_mapped_file_queue_first(store->cl->files);
    return f && rmq_commit_log_max_offset(store->cl) > f->start ? rmq_commit_log_file_first_timestamp(f) : -1;
}

gint64
rmq_store_get_offset_by_time(RmqStore *store, const char *topic, gint32 queue_id, gint64 ts)
{
    RmqConsumeQueue *cq = rmq_dispatcher_find_queue(store->dispatcher, topic, queue_id);
    gint64 lo, hi, left = -1, right = -1, left_ts = -1, right_ts = -1;

    if (cq == NULL || cq->max_offset <= cq->min_offset)
        return 0;
    /* store times grow with the queue offset: binary search on them */
    lo = cq->min_offset;
    hi = cq->max_offset - 1;
    while (lo <= hi) {
        gint64 mid = lo + (hi - lo) / 2, t;
        RmqCqUnit u;
        rmq_consume_queue_get(cq, mid, &u);
        t = unit_store_time(store, &u);
        if (t < 0) {              /* data gone: treat as older than anything */
            lo = mid + 1;
            continue;
        }
        if (t == ts)
            return mid;
        if (t > ts) {
            right = mid;
            right_ts = t;
            hi = mid - 1;
        } else {
            left = mid;
            left_ts = t;
            lo = mid + 1;
        }
    }
    if (left < 0 && right < 0)
        return 0;
    if (left < 0)
        return right;
    if (right < 0)
        return left;
    return ts - left_ts > right_ts - ts ? right : left;
}

gint64
rmq_store_get_min_phy_offset(RmqStore *store)
{
    return rmq_commit_log_min_offset(store->cl);
}

gint64
rmq_store_dispatch_behind_bytes(RmqStore *store)
{
    return MAX(rmq_commit_log_max_offset(store->cl) - store->dispatched_end, 0);
}

gint64
rmq_store_get_max_phy_offset(RmqStore *store)
{
    return rmq_commit_log_max_offset(store->cl);
}

GBytes *
rmq_store_look_message_by_offset(RmqStore *store, gint64 physical_offset)
{
    gint32 size = rmq_commit_log_size_at(store->cl, physical_offset);
    return size > 0 ? rmq_commit_log_get_bytes(store->cl, physical_offset, size) : NULL;
}

GBytes *
rmq_store_select_message(RmqStore *store, gint64 physical_offset, gint32 size)
{
    return rmq_commit_log_get_bytes(store->cl, physical_offset, size);
}

static gboolean
record_has_key(const RmqMessageRecord *r, const char *key)
{
    gsize klen = strlen(key);
    const char *v;
    gsize vlen;

    if (rmq_message_property_get(r->properties, r->properties_len, RMQ_PROPERTY_UNIQ_KEY, &v, &vlen) &&
        vlen == klen && memcmp(v, key, klen) == 0)
        return TRUE;
    if (rmq_message_property_get(r->properties, r->properties_len, RMQ_PROPERTY_KEYS, &v, &vlen)) {
        const char *end = v + vlen;
        while (v < end) {
            const char *sp = memchr(v, ' ', end - v);
            if (sp == NULL)
                sp = end;
            if ((gsize) (sp - v) == klen && memcmp(v, key, klen) == 0)
                return TRUE;
            v = sp + 1;
        }
    }
    return FALSE;
}

RmqQueryResult *
rmq_store_query_message(RmqStore *store, const char *topic, const char *key, guint max_num,
                        gint64 begin, gint64 end)
{
    RmqQueryResult *res = g_new0(RmqQueryResult, 1);
    g_autofree char *full = g_strdup_printf("%s#%s", topic, key);
    g_autoptr(GArray) offs = NULL;
    GByteArray *body;
    gsize tlen = strlen(topic);

    if (store->index == NULL)
        return res;
    rmq_index_service_last_update(store->index, &res->index_last_update_timestamp,
                                  &res->index_last_update_phy_offset);
    /* collisions and stale entries are filtered below: ask for more */
    offs = rmq_index_service_lookup(store->index, full, max_num * 4 + 16, begin, end);
    body = g_byte_array_new();
    for (guint i = 0; i < offs->len && res->count < max_num; i++) {
        gint64 phy = g_array_index(offs, gint64, i);
        RmqMessageRecord r;
        const guint8 *head = rmq_commit_log_peek(store->cl, phy, 8);
        const guint8 *rec;
        gint32 size;

        if (head == NULL || phy < rmq_commit_log_min_offset(store->cl))
            continue;
        size = rmq_commit_log_size_at(store->cl, phy);
        rec = size > 0 ? rmq_commit_log_peek(store->cl, phy, size) : NULL;
        if (rec == NULL || rmq_message_decode(rec, (gsize) size, FALSE, &r) != RMQ_RECORD_OK)
            continue;
        if ((gsize) r.topic_len != tlen || memcmp(r.topic, topic, tlen) != 0 ||
            r.store_timestamp < begin || r.store_timestamp > end || !record_has_key(&r, key))
            continue;
        g_byte_array_append(body, rec, (guint) size);
        res->count++;
    }
    if (res->count)
        res->body = g_byte_array_free_to_bytes(body);
    else
        g_byte_array_unref(body);
    return res;
}

static void
add_topic(gpointer key, gpointer value, gpointer data)
{
    g_ptr_array_add(data, key);
}

GPtrArray *
rmq_store_list_topics(RmqStore *store)
{
    GPtrArray *out = g_ptr_array_new();
    g_hash_table_foreach(store->dispatcher->topics, add_topic, out);
    return out;
}

void
rmq_store_delete_topic(RmqStore *store, const char *topic)
{
    rmq_dispatcher_delete_topic(store->dispatcher, topic);
}

GArray *
rmq_store_get_queue_units(RmqStore *store, const char *topic, gint32 queue_id, gint64 index,
                          gint32 count)
{
    RmqConsumeQueue *cq = rmq_dispatcher_find_queue(store->dispatcher, topic, queue_id);
    GArray *out;
    gint64 n;

    if (cq == NULL || index < cq->min_offset || index >= cq->max_offset)
        return NULL;
    n = MIN(rmq_consume_queue_contiguous(cq, index), (gint64) MAX(count, 0));
    out = g_array_sized_new(FALSE, FALSE, sizeof(RmqCqUnit), (guint) MAX(n, 0));
    for (gint64 i = 0; i < n; i++) {
        RmqCqUnit u;
        if (!rmq_consume_queue_get(cq, index + i, &u))
            break;
        g_array_append_val(out, u);
    }
    return out;
}

gboolean
rmq_store_has_queue(RmqStore *store, const char *topic, gint32 queue_id)
{
    return rmq_dispatcher_find_queue(store->dispatcher, topic, queue_id) != NULL;
}

typedef struct {
    char *topic;
    gint32 queue_id;
} QueueRef;

static void
collect_expired_queue(gpointer data, gpointer user_data)
{
    RmqConsumeQueue *cq = data;
    gpointer *args = user_data;
    RmqStore *store = args[0];
    GArray *out = args[1];

    if (strcmp(cq->topic, RMQ_STORE_SCHEDULE_TOPIC) == 0 || cq->max_offset <= 0)
        return;   /* Java: getLastOffset() == -1, "created just now" */
    if (cq->max_physical_end < rmq_commit_log_min_offset(store->cl)) {
        QueueRef r = { g_strdup(cq->topic), cq->queue_id };
        g_array_append_val(out, r);
    }
}

guint
rmq_store_clean_expired_queues(RmqStore *store)
{
    g_autoptr(GArray) refs = g_array_new(FALSE, FALSE, sizeof(QueueRef));
    gpointer args[2] = { store, refs };

    rmq_dispatcher_foreach(store->dispatcher, collect_expired_queue, args);
    for (guint i = 0; i < refs->len; i++) {
        QueueRef *r = &g_array_index(refs, QueueRef, i);
        g_message("store %s: consume queue %s/%d destroyed, its last record is below the commit "
                  "log minimum %" G_GINT64_FORMAT, store->root, r->topic, r->queue_id,
                  rmq_commit_log_min_offset(store->cl));
        rmq_dispatcher_delete_queue(store->dispatcher, r->topic, r->queue_id);
        g_free(r->topic);
    }
    return refs->len;
}

guint
rmq_store_clean_unused_topics(RmqStore *store, gboolean (*keep)(const char *topic, gpointer data),
                              gpointer data)
{
    g_autoptr(GPtrArray) doomed = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter it;
    gpointer k;

    g_hash_table_iter_init(&it, store->dispatcher->topics);
    while (g_hash_table_iter_next(&it, &k, NULL))
        if (strcmp(k, RMQ_STORE_SCHEDULE_TOPIC) != 0 && strcmp(k, "RMQ_SYS_TRANS_OP_HALF_TOPIC") != 0 &&
            !keep(k, data))
            g_ptr_array_add(doomed, g_strdup(k));
    for (guint i = 0; i < doomed->len; i++) {
        g_message("store %s: unused topic %s, consume queues destroyed", store->root,
                  (const char *) doomed->pdata[i]);
        rmq_dispatcher_delete_topic(store->dispatcher, doomed->pdata[i]);
    }
    return doomed->len;
}

/* ---- retention ---------------------------------------------------------- */

gdouble
rmq_store_disk_usage(RmqStore *store)
{
    struct statvfs st;

    if (statvfs(store->cl->files->dir, &st) < 0 && statvfs(store->root, &st) < 0)
        return -1;
    if (st.f_blocks == 0)
        return -1;
    return 100.0 * (gdouble) (st.f_blocks - st.f_bfree) / (gdouble) st.f_blocks;
}

gboolean
rmq_store_is_disk_full(RmqStore *store)
{
    return store->disk_full;
}

static void
refresh_disk_state(RmqStore *store)
{
    gdouble usage = rmq_store_disk_usage(store);
    gboolean full = usage > store->config.disk_space_warning_level_ratio;

    if (full != store->disk_full)
        g_message("store %s: disk %.1f%% used, appends %s", store->root, usage,
                  full ? "refused" : "accepted again");
    store->disk_full = full;
}

static void
delete_expired_queue(gpointer cq, gpointer data)
{
    RmqStore *store = data;
    rmq_consume_queue_delete_expired(cq, rmq_commit_log_min_offset(store->cl));
}

guint
rmq_store_clean_expired(RmqStore *store, gboolean manual)
{
    gint64 now = store_now(store);
    g_autoptr(GDateTime) local = g_date_time_new_from_unix_local(now / 1000);
    gdouble usage = rmq_store_disk_usage(store);
    gboolean is_time = store->hour_ok[g_date_time_get_hour(local)];
    gboolean space = usage > store->config.disk_max_used_space_ratio;
    gboolean at_once = store->config.clean_file_forcibly_enable &&
                       usage > store->config.disk_space_clean_forcibly_ratio;
    gint64 reserved_ms = (gint64) store->config.file_reserved_time * 3600 * 1000;
    guint deleted = 0;

    if (is_time || space || manual) {
        GPtrArray *files = store->cl->files->files;
        /* never the file being written; at most 10 per round (Java's batch) */
        while (files->len > 1 && deleted < 10) {
            RmqMappedFile *f = files->pdata[0];
            if (!at_once && rmq_mapped_file_mtime_ms(f) + reserved_ms > now)
                break;
            g_message("store %s: deleting commit log file %s", store->root, f->path);
            rmq_mapped_file_queue_delete_first(store->cl->files, FALSE);
            deleted++;
        }
    }
    if (deleted > 0) {
        rmq_dispatcher_foreach(store->dispatcher, delete_expired_queue, store);
        if (store->index)
            rmq_index_service_delete_expired(store->index, rmq_commit_log_min_offset(store->cl));
    }
    refresh_disk_state(store);
    return deleted;
}

/* ---- replication -------------------------------------------------------- */

GBytes *
rmq_store_get_commit_log_data(RmqStore *store, gint64 offset, gsize max_len)
{
    gint64 end = rmq_commit_log_max_offset(store->cl);
    RmqMappedFile *f;
    gint64 len;

    if (offset < rmq_commit_log_min_offset(store->cl) || offset >= end)
        return NULL;
    f = rmq_mapped_file_queue_find(store->cl->files, offset);
    if (f == NULL)
        return NULL;
    len = MIN(end, f->start + (gint64) f->size) - offset;
    len = MIN(len, (gint64) max_len);
    return len > 0 ? rmq_commit_log_get_bytes(store->cl, offset, len) : NULL;
}

/* An empty replica may start where the master's log starts: after its
 * retention, or at a Java master's last file.  Only a file start can begin
 * a log, so anything else is refused. */
static gboolean
start_log_at(RmqStore *store, gint64 offset, GError **error)
{
    RmqCommitLog *cl = store->cl;

    if (offset <= 0 || rmq_mapped_file_queue_count(cl->files) > 0 ||
        rmq_commit_log_max_offset(cl) != 0)
        return TRUE;                     /* not an empty log: the caller refuses */
    if (offset % cl->file_size != 0) {
        g_set_error(error, RMQ_STORE_ERROR, RMQ_STORE_ERROR_INVALID,
                    "replica data for an empty log starts at %" G_GINT64_FORMAT
                    ", not a multiple of the commit log file size %" G_GINT64_FORMAT,
                    offset, cl->file_size);
        return FALSE;
    }
    if (rmq_mapped_file_queue_create(cl->files, offset, error) == NULL)
        return FALSE;
    rmq_commit_log_set_end(cl, offset);
    store->dispatched_end = offset;
    g_message("store %s: empty commit log starts at %" G_GINT64_FORMAT, store->root, offset);
    return TRUE;
}

gboolean
rmq_store_append_raw(RmqStore *store, gint64 offset, const guint8 *data, gsize len,
                     GError **error)
{
    RmqCommitLog *cl = store->cl;
    gint64 pos;

    if (offset != rmq_commit_log_max_offset(cl) && !start_log_at(store, offset, error))
        return FALSE;
    if (offset != rmq_commit_log_max_offset(cl)) {
        g_set_error(error, RMQ_STORE_ERROR, RMQ_STORE_ERROR_INVALID,
                    "replica data for offset %" G_GINT64_FORMAT ", log ends at %" G_GINT64_FORMAT,
                    offset, rmq_commit_log_max_offset(cl));
        return FALSE;
    }
    while (len > 0) {
        gint64 wrote = cl->wrote;
        RmqMappedFile *f = rmq_mapped_file_queue_find(cl->files, wrote);
        gsize n;

        if (f == NULL) {
            f = rmq_mapped_file_queue_create(cl->files, wrote - wrote % cl->file_size, error);
            if (f == NULL)
                return FALSE;
        }
        n = MIN(len, (gsize) (f->start + (gint64) f->size - wrote));
        memcpy(f->base + (wrote - f->start), data, n);
        g_atomic_int_set(&f->dirty, 1);
        rmq_commit_log_wrote_to(cl, wrote + (gint64) n);
        data += n;
        len -= n;
    }
    /* dispatch every record now complete */
    pos = store->dispatched_end;
    while (pos < cl->wrote) {
        RmqMappedFile *f = rmq_mapped_file_queue_find(cl->files, pos);
        gsize avail;
        RmqMessageRecord r;
        RmqRecordStatus st;

        if (f == NULL)
            break;
        avail = (gsize) (MIN(cl->wrote, f->start + (gint64) f->size) - pos);
        st = rmq_message_decode(f->base + (pos - f->start), avail, FALSE, &r);
        if (st == RMQ_RECORD_OK && r.physical_offset == pos) {
            if (!rmq_dispatcher_dispatch(store->dispatcher, &r, error))
                return FALSE;
            rmq_atomic64_set(&cl->wrote_ts, r.store_timestamp);
            pos += r.total_size;
        } else if (st == RMQ_RECORD_BLANK) {
            pos = f->start + (gint64) f->size;
        } else if (st == RMQ_RECORD_TRUNCATED || (st == RMQ_RECORD_END && avail < 8)) {
            break;                       /* the rest of this record comes later */
        } else {
            store->dispatched_end = pos;
            g_set_error(error, RMQ_STORE_ERROR, RMQ_STORE_ERROR_CORRUPT,
                        "replica data at %" G_GINT64_FORMAT " is not a record", pos);
            return FALSE;
        }
    }
    store->dispatched_end = pos;
    return TRUE;
}
