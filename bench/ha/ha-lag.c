/* Replication lag probe: polls GET_BROKER_RUNTIME_INFO (commitLogMaxOffset)
 * of a master and its slave together every INTERVAL ms for SECONDS and
 * prints key=value lines:
 *   lag_bytes_p50/p99/max  master - slave offset at the same poll, over the
 *                          polls where the master had moved (under load);
 *   lag_ms_p50/p99/max     for each such poll, time until a later poll saw
 *                          the slave at or past that master offset
 *                          (resolution: the interval);
 *   caught_up              1 if the slave equalled the master at the end.
 *   ha-lag MASTER_ADDR SLAVE_ADDR SECONDS [INTERVAL_MS] */
#include <config.h>

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "remoting/client.h"
#include "remoting/codes.h"

typedef struct {
    gint64 t_us;
    gint64 master, slave;
} Sample;

typedef struct {
    RmqClient *client;
    const char *addr[2];
    gint64 off[2];
    guint pending;
    gint64 tick_us;
    GArray *samples;
    GMainLoop *loop;
    gint64 end_us;
    guint interval_ms;
} Probe;

static gint64
offset_of(RmqCommand *resp)
{
    g_autoptr(JsonParser) p = json_parser_new();
    gsize len;
    const gchar *body;
    JsonObject *table;

    if (resp == NULL || resp->code != RMQ_RESPONSE_SUCCESS || resp->body == NULL)
        return -1;
    body = g_bytes_get_data(resp->body, &len);
    if (!json_parser_load_from_data(p, body, (gssize) len, NULL))
        return -1;
    table = json_object_get_object_member(json_node_get_object(json_parser_get_root(p)), "table");
    if (table == NULL || !json_object_has_member(table, "commitLogMaxOffset"))
        return -1;
    return g_ascii_strtoll(json_object_get_string_member(table, "commitLogMaxOffset"), NULL, 10);
}

typedef struct {
    Probe *p;
    int which;
} Ask;

static void
on_answer(RmqCommand *response, const GError *error, gpointer data)
{
    Ask *a = data;
    Probe *p = a->p;

    (void) error;
    p->off[a->which] = offset_of(response);
    if (response != NULL)
        rmq_command_free(response);
    g_free(a);
    if (--p->pending == 0 && p->off[0] >= 0 && p->off[1] >= 0) {
        Sample s = { p->tick_us, p->off[0], p->off[1] };
        g_array_append_val(p->samples, s);
    }
}

static gboolean
on_tick(gpointer data)
{
    Probe *p = data;

    if (g_get_monotonic_time() >= p->end_us) {
        g_main_loop_quit(p->loop);
        return G_SOURCE_REMOVE;
    }
    if (p->pending > 0)
        return G_SOURCE_CONTINUE;
    p->tick_us = g_get_monotonic_time();
    for (int i = 0; i < 2; i++) {
        Ask *a = g_new(Ask, 1);
        a->p = p;
        a->which = i;
        p->pending++;
        rmq_client_invoke_async(p->client, p->addr[i],
                                rmq_command_new_request(RMQ_REQUEST_GET_BROKER_RUNTIME_INFO), 3000,
                                on_answer, a);
    }
    return G_SOURCE_CONTINUE;
}

static int
cmp64(const void *a, const void *b)
{
    gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
    return x < y ? -1 : x > y;
}

static gint64
pct(GArray *v, double q)
{
    if (v->len == 0)
        return -1;
    qsort(v->data, v->len, sizeof(gint64), cmp64);
    return g_array_index(v, gint64, (guint) (q * (v->len - 1) + 0.5));
}

int
main(int argc, char **argv)
{
    Probe p = { 0 };
    g_autoptr(GArray) bytes = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(GArray) ms = g_array_new(FALSE, FALSE, sizeof(gint64));
    guint unresolved = 0;
    const Sample *last;

    if (argc < 4) {
        fprintf(stderr, "usage: %s MASTER_ADDR SLAVE_ADDR SECONDS [INTERVAL_MS]\n", argv[0]);
        return 2;
    }
    p.addr[0] = argv[1];
    p.addr[1] = argv[2];
    p.interval_ms = argc > 4 ? (guint) atoi(argv[4]) : 10;
    p.end_us = g_get_monotonic_time() + (gint64) (atof(argv[3]) * G_USEC_PER_SEC);
    p.client = rmq_client_new(NULL);
    p.samples = g_array_new(FALSE, FALSE, sizeof(Sample));
    p.loop = g_main_loop_new(NULL, FALSE);
    g_timeout_add(p.interval_ms, on_tick, &p);
    g_main_loop_run(p.loop);

    for (guint i = 1; i < p.samples->len; i++) {
        const Sample *s = &g_array_index(p.samples, Sample, i);
        const Sample *prev = &g_array_index(p.samples, Sample, i - 1);
        gint64 lag = MAX(s->master - s->slave, 0);
        guint j;

        if (s->master == prev->master)
            continue;                  /* idle poll: not under load */
        g_array_append_val(bytes, lag);
        for (j = i; j < p.samples->len; j++) {
            const Sample *t = &g_array_index(p.samples, Sample, j);
            if (t->slave >= s->master) {
                gint64 d = (t->t_us - s->t_us) / 1000;
                g_array_append_val(ms, d);
                break;
            }
        }
        if (j == p.samples->len)
            unresolved++;
    }
    last = p.samples->len > 0 ? &g_array_index(p.samples, Sample, p.samples->len - 1) : NULL;
    printf("polls=%u\nloaded_polls=%u\n", p.samples->len, bytes->len);
    printf("lag_bytes_p50=%" G_GINT64_FORMAT "\nlag_bytes_p99=%" G_GINT64_FORMAT
           "\nlag_bytes_max=%" G_GINT64_FORMAT "\n", pct(bytes, 0.5), pct(bytes, 0.99), pct(bytes, 1.0));
    printf("lag_ms_p50=%" G_GINT64_FORMAT "\nlag_ms_p99=%" G_GINT64_FORMAT "\nlag_ms_max=%" G_GINT64_FORMAT
           "\nunresolved=%u\n", pct(ms, 0.5), pct(ms, 0.99), pct(ms, 1.0), unresolved);
    printf("master_offset=%" G_GINT64_FORMAT "\nslave_offset=%" G_GINT64_FORMAT "\ncaught_up=%d\n",
           last != NULL ? last->master : -1, last != NULL ? last->slave : -1,
           last != NULL && last->master == last->slave);
    rmq_client_free(p.client);
    g_main_loop_unref(p.loop);
    g_array_unref(p.samples);
    return 0;
}
