/* rmq-call: send one remoting request and print the response. A developer's
 * probe (the quick-start demo uses it) until rmqadmin exists.
 *
 *   rmq-call [-t MS] [--body TEXT] HOST:PORT CODE [key=value ...]
 *
 * CODE is a number or a request code name (GET_BROKER_CLUSTER_INFO). With
 * RMQ_ACCESS_KEY and RMQ_SECRET_KEY in the environment the request is signed
 * for a broker with plain ACL (aclEnable). Exit
 * status: 0 for a SUCCESS response, 1 for any other response code, 2 when no
 * response came (connect failure, timeout) or the arguments are wrong. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/sign.h"
#include "remoting/client.h"
#include "remoting/codes.h"

static gint
parse_code(const gchar *text)
{
    gchar *end = NULL;
    gint64 n = g_ascii_strtoll(text, &end, 10);
    if (end && *end == '\0' && end != text)
        return (gint) n;
    for (gint code = 0; code < 1000; code++) {
        const gchar *name = rmq_request_code_name(code);
        if (name && g_ascii_strcasecmp(name, text) == 0)
            return code;
    }
    return -1;
}

int
main(int argc, char **argv)
{
    gint timeout_ms = 3000;
    gchar *body = NULL;
    GOptionEntry entries[] = {
        { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout_ms, "Response timeout (default 3000)", "MS" },
        { "body", 'b', 0, G_OPTION_ARG_STRING, &body, "Request body", "TEXT" },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("HOST:PORT CODE [key=value ...]");
    g_option_context_set_summary(ctx, "Send one RocketMQ remoting request and print the response.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc < 3) {
        fprintf(stderr, "rmq-call: %s\n", error ? error->message : "need HOST:PORT and CODE (see --help)");
        return 2;
    }
    gint code = parse_code(argv[2]);
    if (code < 0) {
        fprintf(stderr, "rmq-call: unknown request code '%s'\n", argv[2]);
        return 2;
    }

    RmqCommand *request = rmq_command_new_request(code);
    for (int i = 3; i < argc; i++) {
        gchar *eq = strchr(argv[i], '=');
        if (!eq) {
            fprintf(stderr, "rmq-call: '%s' is not key=value\n", argv[i]);
            rmq_command_free(request);
            return 2;
        }
        g_autofree gchar *key = g_strndup(argv[i], eq - argv[i]);
        rmq_command_set_ext(request, key, eq + 1);
    }
    if (body)
        rmq_command_set_body_data(request, body, strlen(body));

    const gchar *ak = g_getenv("RMQ_ACCESS_KEY"), *sk = g_getenv("RMQ_SECRET_KEY");
    if (ak != NULL && *ak != '\0' && sk != NULL && *sk != '\0')
        rmq_acl_sign_request(request, ak, sk, NULL);
    g_autoptr(RmqClient) client = rmq_client_new(g_main_context_new());
    g_autoptr(RmqCommand) response = rmq_client_invoke_sync(client, argv[1], request,
                                                            (guint) timeout_ms, &error);
    if (!response) {
        fprintf(stderr, "rmq-call: %s: %s\n", argv[1], error->message);
        return 2;
    }
    const gchar *name = rmq_response_code_name(response->code);
    printf("code: %d (%s)\n", response->code, name ? name : "?");
    if (response->remark)
        printf("remark: %s\n", response->remark);
    for (guint i = 0; i < response->ext->len; i++) {
        RmqExtField *f = &g_array_index(response->ext, RmqExtField, i);
        printf("%s: %s\n", f->key, f->value);
    }
    if (response->body) {
        gsize len = 0;
        const gchar *data = g_bytes_get_data(response->body, &len);
        printf("body: %.*s\n", (int) len, data);
    }
    return response->code == 0 ? 0 : 1;
}
