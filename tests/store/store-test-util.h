/* Helpers shared by the store tests: temporary stores, fake clock, and
 * deterministic messages whose content can be re-derived from an index. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "store/message_format.h"
#include "store/store.h"

typedef struct {
    gint64 now;       /* ms */
    gint64 step;      /* added on every read */
} FakeClock;

static inline gint64
fake_clock_read(gpointer data)
{
    FakeClock *c = data;
    gint64 v = c->now;
    c->now += c->step;
    return v;
}

/* Small geometry so tests cross file boundaries quickly. */
static inline void
test_store_config(RmqStoreConfig *c, const char *root)
{
    rmq_store_config_init(c);
    g_free(c->store_path_root_dir);
    c->store_path_root_dir = g_strdup(root);
    c->mapped_file_size_commit_log = 64 * 1024;
    c->mapped_file_size_consume_queue = 50 * 20;
    c->max_hash_slot_num = 64;
    c->max_index_num = 200;
    c->flush_interval_commit_log = 20;
    c->flush_interval_consume_queue = 50;
}

static inline char *
test_tmpdir(void)
{
    g_autoptr(GError) error = NULL;
    char *d = g_dir_make_tmp("rmq-store-XXXXXX", &error);
    g_assert_no_error(error);
    return d;
}

static inline void
test_rm_rf(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;

    if (dir != NULL) {
        while ((name = g_dir_read_name(dir)) != NULL) {
            g_autofree char *p = g_build_filename(path, name, NULL);
            test_rm_rf(p);
        }
    }
    if (g_remove(path) != 0)
        g_rmdir(path);
}

/* Message i of a deterministic sequence: body length and bytes, keys and
 * tags all follow from i. */
typedef struct {
    char topic[64];
    guint8 body[2048];
    gsize body_len;
    char props[256];
    char key[32];
    char uniq[40];
    RmqMessage msg;
} TestMessage;

static inline void
test_message_fill(TestMessage *t, const char *topic, gint32 queue_id, guint i, gsize max_body)
{
    guint32 x = i * 2654435761u + 12345;
    int n;

    memset(&t->msg, 0, sizeof t->msg);
    g_strlcpy(t->topic, topic, sizeof t->topic);
    t->body_len = 1 + (x % (guint32) max_body);
    for (gsize k = 0; k < t->body_len; k++) {
        x = x * 1103515245u + 12345;
        t->body[k] = (guint8) (x >> 16);
    }
    g_snprintf(t->key, sizeof t->key, "key-%u", i);
    g_snprintf(t->uniq, sizeof t->uniq, "UNIQ%028u", i);
    n = g_snprintf(t->props, sizeof t->props, "KEYS%ckey-%u other-%u%cUNIQ_KEY%c%s%cTAGS%cTag%c",
                   1, i, i % 7, 2, 1, t->uniq, 2, 1, 'A' + ((i >> 2) ^ (i >> 4)) % 3);
    t->msg.topic = t->topic;
    t->msg.queue_id = queue_id;
    t->msg.flag = (gint32) i;
    t->msg.born_timestamp = 1700000000000 + i;
    rmq_host_addr_set_ipv4(&t->msg.born_host, 0xC0A80005, 50000);
    rmq_host_addr_set_ipv4(&t->msg.store_host, 0xC0A8000A, 10911);
    t->msg.body = t->body;
    t->msg.body_len = t->body_len;
    t->msg.properties = t->props;
    t->msg.properties_len = (gsize) n;
}

/* TRUE if rec (a whole record) carries exactly message t. */
static inline gboolean
test_message_matches(const TestMessage *t, const guint8 *rec, gsize len)
{
    RmqMessageRecord r;

    if (rmq_message_decode(rec, len, TRUE, &r) != RMQ_RECORD_OK)
        return FALSE;
    return (gsize) r.body_len == t->body_len && memcmp(r.body, t->body, t->body_len) == 0 &&
           (gsize) r.topic_len == strlen(t->topic) && memcmp(r.topic, t->topic, r.topic_len) == 0 &&
           (gsize) r.properties_len == t->msg.properties_len &&
           memcmp(r.properties, t->props, r.properties_len) == 0 && r.flag == t->msg.flag &&
           r.queue_id == t->msg.queue_id && r.born_timestamp == t->msg.born_timestamp;
}

/* cmocka is included before this header by every test. */
#define assert_no_gerror(e) \
    do { if ((e) != NULL) fail_msg("unexpected error: %s", (e)->message); } while (0)
