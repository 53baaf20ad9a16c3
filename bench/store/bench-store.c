/* Store benchmarks: in-process append rate (ASYNC_FLUSH), SYNC_FLUSH group
 * commit with N concurrent writers on a main loop, an fdatasync probe of
 * the same disk, and recovery/open speed.  Prints one line per result;
 * bench/store/run.sh adds the dd probe and formats bench/README.md rows. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

static char *opt_dir;
static gint opt_body = 128;
static gint64 opt_bytes = 256 * 1024 * 1024;
static gint opt_writers = 1;
static gdouble opt_seconds = 3;
static gint64 opt_file_size = 1073741824;
static gboolean opt_keys = TRUE;

static void
rm_rf(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;

    if (dir != NULL)
        while ((name = g_dir_read_name(dir)) != NULL) {
            g_autofree char *p = g_build_filename(path, name, NULL);
            rm_rf(p);
        }
    if (remove(path) != 0)
        rmdir(path);
}

static void
config_for(RmqStoreConfig *c, const char *root, RmqStoreFlushType type)
{
    rmq_store_config_init(c);
    g_free(c->store_path_root_dir);
    c->store_path_root_dir = g_strdup(root);
    c->mapped_file_size_commit_log = opt_file_size;
    c->flush_disk_type = type;
}

static RmqStore *
open_or_die(RmqStoreConfig *c, GMainContext *ctx)
{
    g_autoptr(GError) error = NULL;
    RmqStore *s = rmq_store_open(c, ctx, &error);

    if (s == NULL) {
        fprintf(stderr, "open: %s\n", error->message);
        exit(1);
    }
    return s;
}

typedef struct {
    guint8 *body;
    char props[128];
    RmqMessage msg;
    guint64 seq;
} Producer;

/* A message shaped like a Java producer's: UNIQ_KEY (indexed) and TAGS. */
static void
producer_init(Producer *p)
{
    memset(p, 0, sizeof *p);
    p->body = g_malloc(opt_body);
    for (gint i = 0; i < opt_body; i++)
        p->body[i] = (guint8) (i * 7 + 1);
    p->msg.topic = "BenchTopic";
    p->msg.body = p->body;
    p->msg.body_len = (gsize) opt_body;
    p->msg.born_timestamp = g_get_real_time() / 1000;
    rmq_host_addr_set_ipv4(&p->msg.born_host, 0x7F000001, 40000);
    rmq_host_addr_set_ipv4(&p->msg.store_host, 0x7F000001, 10911);
    p->msg.properties = p->props;
}

static void
producer_next(Producer *p)
{
    p->seq++;
    p->msg.queue_id = (gint32) (p->seq & 7);
    if (opt_keys) {
        /* like a client id: 32 hex digits, the low ones counting */
        static const char hex[] = "0123456789ABCDEF";
        static const char tail[] = "\002TAGS\001TagA";
        char *q = p->props;
        memcpy(q, "UNIQ_KEY\001", 9);
        q += 9;
        for (int i = 31; i >= 0; i--)
            q[31 - i] = i < 16 ? hex[(p->seq >> (4 * i)) & 15] : '0';
        q += 32;
        memcpy(q, tail, sizeof tail - 1);
        p->msg.properties_len = (gsize) (q - p->props) + sizeof tail - 1;
    } else {
        memcpy(p->props, "TAGS\001TagA", 9);
        p->msg.properties_len = 9;
    }
}

static void
bench_append(void)
{
    g_autofree char *root = g_build_filename(opt_dir, "append", NULL);
    RmqStoreConfig c;
    RmqStore *s;
    Producer p;
    RmqPutResult r;
    gint64 t0, t1, t2, n = 0, bytes = 0;

    rm_rf(root);
    config_for(&c, root, RMQ_STORE_FLUSH_ASYNC);
    s = open_or_die(&c, NULL);
    producer_init(&p);
    t0 = g_get_monotonic_time();
    while (bytes < opt_bytes) {
        producer_next(&p);
        if (rmq_store_put_message(s, &p.msg, &r) != RMQ_PUT_OK) {
            fprintf(stderr, "put failed: %s\n", rmq_put_status_name(r.status));
            exit(1);
        }
        bytes += r.wrote_bytes;
        n++;
    }
    t1 = g_get_monotonic_time();
    rmq_store_wait_flushed(s, rmq_store_get_max_phy_offset(s), 600000);
    t2 = g_get_monotonic_time();
    printf("append body=%d keys=%s msgs=%" G_GINT64_FORMAT " bytes=%" G_GINT64_FORMAT
           " append_s=%.3f msgs_per_s=%.0f append_MBps=%.1f durable_s=%.3f durable_MBps=%.1f\n",
           opt_body, opt_keys ? "uniq+tags" : "tags", n, bytes, (t1 - t0) / 1e6,
           n / ((t1 - t0) / 1e6), bytes / ((t1 - t0) / 1e6) / 1e6, (t2 - t0) / 1e6,
           bytes / ((t2 - t0) / 1e6) / 1e6);
    rmq_store_close(s);
    rmq_store_config_clear(&c);
    rm_rf(root);
    g_free(p.body);
}

typedef struct {
    RmqStore *store;
    Producer producer;
    guint64 acked;
    gboolean stop;
    gint *outstanding;
} Writer;

static void on_acked(RmqPutStatus st, gpointer data);

static void
writer_send(Writer *w)
{
    RmqPutResult r;

    producer_next(&w->producer);
    if (rmq_store_put_message(w->store, &w->producer.msg, &r) != RMQ_PUT_OK) {
        fprintf(stderr, "put failed\n");
        exit(1);
    }
    (*w->outstanding)++;
    rmq_store_flush_async(w->store, rmq_put_result_end(&r), on_acked, w);
}

static void
on_acked(RmqPutStatus st, gpointer data)
{
    Writer *w = data;

    (*w->outstanding)--;
    if (st == RMQ_PUT_OK)
        w->acked++;
    if (!w->stop)
        writer_send(w);           /* each writer has one message in flight */
}

static void
bench_sync(void)
{
    g_autofree char *root = g_build_filename(opt_dir, "sync", NULL);
    GMainContext *ctx = g_main_context_new();
    RmqStoreConfig c;
    RmqStore *s;
    Writer *w = g_new0(Writer, opt_writers);
    gint outstanding = 0;
    guint64 acked = 0, rounds0, rounds;
    gint64 t0, end;

    rm_rf(root);
    config_for(&c, root, RMQ_STORE_FLUSH_SYNC);
    s = open_or_die(&c, ctx);
    rounds0 = rmq_store_flush_rounds(s);
    t0 = g_get_monotonic_time();
    end = t0 + (gint64) (opt_seconds * G_USEC_PER_SEC);
    for (gint i = 0; i < opt_writers; i++) {
        w[i].store = s;
        w[i].outstanding = &outstanding;
        producer_init(&w[i].producer);
        w[i].producer.seq = (guint64) i << 40;
        writer_send(&w[i]);
    }
    while (g_get_monotonic_time() < end)
        g_main_context_iteration(ctx, TRUE);
    for (gint i = 0; i < opt_writers; i++)
        w[i].stop = TRUE;
    while (outstanding > 0)
        g_main_context_iteration(ctx, TRUE);
    rounds = rmq_store_flush_rounds(s) - rounds0;
    for (gint i = 0; i < opt_writers; i++) {
        acked += w[i].acked;
        g_free(w[i].producer.body);
    }
    {
        gdouble secs = (g_get_monotonic_time() - t0) / 1e6;
        printf("sync writers=%d body=%d acked=%" G_GUINT64_FORMAT " seconds=%.2f acks_per_s=%.0f"
               " fdatasync_rounds=%" G_GUINT64_FORMAT " acks_per_fdatasync=%.2f\n",
               opt_writers, opt_body, acked, secs, acked / secs, rounds,
               rounds ? (gdouble) acked / rounds : 0.0);
    }
    rmq_store_close(s);
    g_main_context_unref(ctx);
    rmq_store_config_clear(&c);
    rm_rf(root);
    g_free(w);
}

/* The disk's own rate of small appends each followed by fdatasync. */
static void
bench_probe(void)
{
    g_autofree char *path = g_build_filename(opt_dir, "probe.dat", NULL);
    g_autofree guint8 *buf = g_malloc0(opt_body);
    int fd;
    gint64 t0, end, n = 0;

    g_mkdir_with_parents(opt_dir, 0755);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror(path);
        exit(1);
    }
    /* written blocks, like a store file past its first use: the timed loop
     * then measures data flushes, not extent allocation */
    {
        g_autofree guint8 *zeros = g_malloc0(1024 * 1024);
        for (int i = 0; i < 64; i++)
            if (write(fd, zeros, 1024 * 1024) != 1024 * 1024) {
                perror("probe");
                exit(1);
            }
    }
    fdatasync(fd);
    t0 = g_get_monotonic_time();
    end = t0 + (gint64) (opt_seconds * G_USEC_PER_SEC);
    while (g_get_monotonic_time() < end) {
        if (pwrite(fd, buf, (size_t) opt_body, (off_t) (n * opt_body) % (64 * 1024 * 1024)) < 0 ||
            fdatasync(fd) < 0) {
            perror("probe");
            exit(1);
        }
        n++;
    }
    printf("probe body=%d fdatasyncs_per_s=%.0f\n", opt_body,
           n / ((g_get_monotonic_time() - t0) / 1e6));
    close(fd);
    unlink(path);
}

static void
bench_recover(void)
{
    g_autofree char *root = g_build_filename(opt_dir, "recover", NULL);
    g_autofree char *abort_path = g_build_filename(root, "abort", NULL);
    g_autofree char *cp_path = g_build_filename(root, "checkpoint", NULL);
    g_autofree char *zeros = g_malloc0(4096);
    RmqStoreConfig c;
    RmqStore *s;
    Producer p;
    RmqPutResult r;
    gint64 bytes = 0, t0, t1;

    rm_rf(root);
    config_for(&c, root, RMQ_STORE_FLUSH_ASYNC);
    s = open_or_die(&c, NULL);
    producer_init(&p);
    while (bytes < opt_bytes) {
        producer_next(&p);
        rmq_store_put_message(s, &p.msg, &r);
        bytes += r.wrote_bytes;
    }
    rmq_store_close(s);

    t0 = g_get_monotonic_time();
    s = open_or_die(&c, NULL);
    t1 = g_get_monotonic_time();
    printf("open_clean bytes=%" G_GINT64_FORMAT " seconds=%.4f\n", bytes, (t1 - t0) / 1e6);
    rmq_store_close(s);

    /* a crash before any checkpoint: every record is checked (magic, CRC) */
    g_file_set_contents(abort_path, "", 0, NULL);
    g_file_set_contents(cp_path, zeros, 4096, NULL);
    t0 = g_get_monotonic_time();
    s = open_or_die(&c, NULL);
    t1 = g_get_monotonic_time();
    printf("recover_abnormal bytes=%" G_GINT64_FORMAT " seconds=%.3f GBps=%.2f ok=%s\n", bytes,
           (t1 - t0) / 1e6, bytes / ((t1 - t0) / 1e6) / 1e9,
           rmq_store_get_max_phy_offset(s) >= bytes ? "yes" : "NO");
    rmq_store_close(s);
    rmq_store_config_clear(&c);
    rm_rf(root);
    g_free(p.body);
}

int
main(int argc, char **argv)
{
    gboolean no_keys = FALSE;
    GOptionEntry entries[] = {
        { "dir", 'd', 0, G_OPTION_ARG_FILENAME, &opt_dir, "scratch directory (same disk as the store)", "DIR" },
        { "body", 'b', 0, G_OPTION_ARG_INT, &opt_body, "body size", "BYTES" },
        { "bytes", 0, 0, G_OPTION_ARG_INT64, &opt_bytes, "commit log bytes to write", "N" },
        { "writers", 'w', 0, G_OPTION_ARG_INT, &opt_writers, "concurrent SYNC_FLUSH writers", "N" },
        { "seconds", 's', 0, G_OPTION_ARG_DOUBLE, &opt_seconds, "duration of timed runs", "S" },
        { "file-size", 0, 0, G_OPTION_ARG_INT64, &opt_file_size, "mappedFileSizeCommitLog", "BYTES" },
        { "no-keys", 0, 0, G_OPTION_ARG_NONE, &no_keys, "no UNIQ_KEY (nothing indexed)", NULL },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("append|sync|probe|recover");
    g_autoptr(GError) error = NULL;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc != 2) {
        fprintf(stderr, "%s\n", error ? error->message : "one mode: append|sync|probe|recover");
        return 2;
    }
    opt_keys = !no_keys;
    if (opt_dir == NULL)
        opt_dir = g_build_filename(g_get_tmp_dir(), "rmq-bench-store", NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (g_str_equal(argv[1], "append"))
        bench_append();
    else if (g_str_equal(argv[1], "sync"))
        bench_sync();
    else if (g_str_equal(argv[1], "probe"))
        bench_probe();
    else if (g_str_equal(argv[1], "recover"))
        bench_recover();
    else
        return 2;
    return 0;
}
