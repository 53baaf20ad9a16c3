#include "config.h"

/* Decode+encode throughput of the remoting codec on the vector 04 request
 * (SEND_MESSAGE_V2, 13 ext fields) and the 07 response, for both JSON
 * header parsers. Not a test: numbers depend on the machine.
 *   bench/bench-codec [vector dir] [seconds per measurement]
 * Each figure is the best of 7 rounds (ops per second, one core). */

#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

#include "remoting/codec.h"

typedef struct {
    const char *label;
    const char *file;
} Case;

static GBytes *
load(const char *dir, const char *file)
{
    g_autofree gchar *path = g_build_filename(dir, file, NULL);
    gchar *data;
    gsize len;
    g_autoptr(GError) error = NULL;

    if (!g_file_get_contents(path, &data, &len, &error)) {
        g_printerr("bench-codec: %s\n", error->message);
        exit(1);
    }
    return g_bytes_new_take(data, len);
}

/* Runs the chosen operations on the frame until @seconds have passed;
 * returns ops/s. */
static double
run_once(GBytes *frame, double seconds, gboolean decode, gboolean encode)
{
    gsize len;
    const guint8 *data = g_bytes_get_data(frame, &len);
    g_autoptr(GByteArray) out = g_byte_array_sized_new(1024);
    RmqCommand *pre = NULL;
    gsize used;

    if (rmq_codec_decode_frame(data, len, 0, &pre, &used, NULL) != RMQ_DECODE_OK) {
        g_printerr("bench-codec: vector does not decode\n");
        exit(1);
    }
    guint64 ops = 0;
    gint64 start = g_get_monotonic_time(), deadline = start + (gint64) (seconds * 1e6), now;
    do {
        for (int i = 0; i < 1000; i++) {
            RmqCommand *cmd = pre;
            if (decode && rmq_codec_decode_frame(data, len, 0, &cmd, &used, NULL) != RMQ_DECODE_OK)
                abort();
            if (encode) {
                g_byte_array_set_size(out, 0);
                rmq_codec_encode_frame(cmd, out);
            }
            if (decode)
                rmq_command_free(cmd);
        }
        ops += 1000;
        now = g_get_monotonic_time();
    } while (now < deadline);
    rmq_command_free(pre);
    return (double) ops / ((double) (now - start) / 1e6);
}

/* Best of several short rounds: other load on the machine only ever slows
 * a round down, so the best one is the closest to the codec's own cost. */
#define ROUNDS 7

static double
run(GBytes *frame, double seconds, gboolean decode, gboolean encode)
{
    double best = 0;
    for (int r = 0; r < ROUNDS; r++)
        best = MAX(best, run_once(frame, seconds / ROUNDS, decode, encode));
    return best;
}

int
main(int argc, char **argv)
{
    const char *env = g_getenv("RMQ_TEST_DATA");
    g_autofree gchar *dir = argc > 1 ? g_strdup(argv[1])
                          : g_build_filename(env ? env : "tests/data", "vectors", NULL);
    double seconds = argc > 2 ? g_ascii_strtod(argv[2], NULL) : 1.0;
    const Case cases[] = {
        { "04 SEND_MESSAGE_V2 request", "04_json_send_message_v2_request.bin" },
        { "07 SEND_MESSAGE_V2 response", "07_json_send_message_v2_response.bin" },
        { "02 binary route request", "02_rocketmq_get_route_request.bin" },
    };
    const struct { const char *name; RmqJsonHeaderParser p; } parsers[] = {
        { "fast", RMQ_JSON_HEADER_PARSER_FAST }, { "json-glib", RMQ_JSON_HEADER_PARSER_GLIB },
    };

    printf("%-30s %-10s %12s %12s %14s\n", "frame", "parser", "decode/s", "encode/s",
           "decode+enc/s");
    for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
        g_autoptr(GBytes) frame = load(dir, cases[c].file);
        for (guint p = 0; p < G_N_ELEMENTS(parsers); p++) {
            rmq_codec_set_json_parser(parsers[p].p);
            double d = run(frame, seconds, TRUE, FALSE);
            double e = run(frame, seconds, FALSE, TRUE);
            double de = run(frame, seconds, TRUE, TRUE);
            printf("%-30s %-10s %12.0f %12.0f %14.0f\n", cases[c].label, parsers[p].name, d, e, de);
            if (c == 2)
                break; /* binary header: the JSON parser does not matter */
        }
    }
    return 0;
}
