#include <config.h>

#include "tool-run.h"

#include <stdarg.h>

ToolRun *
tool_rmqadmin(const gchar *namesrv, gboolean json, const gchar *sub, ...)
{
    g_autoptr(GPtrArray) args = g_ptr_array_new();
    g_ptr_array_add(args, (gpointer) sub);
    g_ptr_array_add(args, "-n");
    g_ptr_array_add(args, (gpointer) namesrv);
    if (json)
        g_ptr_array_add(args, "--json");
    va_list ap;
    va_start(ap, sub);
    for (const gchar *a = va_arg(ap, const gchar *); a; a = va_arg(ap, const gchar *))
        g_ptr_array_add(args, (gpointer) a);
    va_end(ap);
    g_ptr_array_add(args, NULL);
    return tool_runv("rmqadmin", (const gchar *const *) args->pdata);
}

ToolRun *
tool_runv(const gchar *tool, const gchar *const *args)
{
    const gchar *b = g_getenv("RMQ_BUILDDIR");
    g_autofree gchar *path = g_build_filename(b ? b : ".", "src", "tools", tool, NULL);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, path);
    for (guint i = 0; args[i]; i++)
        g_ptr_array_add(argv, (gpointer) args[i]);
    g_ptr_array_add(argv, NULL);
    g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                 G_SUBPROCESS_FLAGS_STDERR_PIPE);
    /* The tests pass -n; TOOL_RUN_NAMESRV_ADDR tests the environment route. */
    if (g_getenv("TOOL_RUN_NAMESRV_ADDR"))
        g_subprocess_launcher_setenv(l, "NAMESRV_ADDR", g_getenv("TOOL_RUN_NAMESRV_ADDR"), TRUE);
    else
        g_subprocess_launcher_unsetenv(l, "NAMESRV_ADDR");
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocess) p = g_subprocess_launcher_spawnv(l, (const gchar *const *) argv->pdata,
                                                            &error);
    g_assert_no_error(error);
    ToolRun *r = g_new0(ToolRun, 1);
    g_assert(g_subprocess_communicate_utf8(p, NULL, NULL, &r->out, &r->err, &error));
    g_assert_no_error(error);
    r->status = g_subprocess_get_if_exited(p) ? g_subprocess_get_exit_status(p)
                                              : 128 + g_subprocess_get_term_sig(p);
    g_autoptr(JsonParser) parser = json_parser_new();
    if (r->out && *r->out && json_parser_load_from_data(parser, r->out, -1, NULL))
        r->json = json_node_copy(json_parser_get_root(parser));
    if (g_getenv("TOOL_RUN_VERBOSE"))
        g_printerr("# %s %s -> %d\n# out: %s\n# err: %s\n", tool, args[0] ? args[0] : "",
                   r->status, r->out, r->err);
    return r;
}

ToolRun *
tool_run(const gchar *tool, const gchar *first_arg, ...)
{
    g_autoptr(GPtrArray) args = g_ptr_array_new();
    va_list ap;
    va_start(ap, first_arg);
    for (const gchar *a = first_arg; a; a = va_arg(ap, const gchar *))
        g_ptr_array_add(args, (gpointer) a);
    va_end(ap);
    g_ptr_array_add(args, NULL);
    return tool_runv(tool, (const gchar *const *) args->pdata);
}

void
tool_run_free(ToolRun *r)
{
    if (r == NULL)
        return;
    g_free(r->out);
    g_free(r->err);
    if (r->json)
        json_node_unref(r->json);
    g_free(r);
}

JsonObject *
tool_obj(JsonNode *n)
{
    return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

JsonArray *
tool_arr(JsonNode *n)
{
    return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

gboolean
tool_create_topic(RmqAdmin *admin, const gchar *broker_addr, const gchar *topic)
{
    RmqTopicSpec spec;
    rmq_topic_spec_init(&spec);
    spec.read_queue_nums = spec.write_queue_nums = 1;
    g_autoptr(GError) error = NULL;
    if (!rmq_admin_update_topic(admin, broker_addr, topic, &spec, &error)) {
        g_printerr("# update topic: %s\n", error->message);
        return FALSE;
    }
    return TRUE;
}

gboolean
tool_update_topic(const gchar *namesrv, const gchar *broker_addr, const gchar *topic,
                  const gchar *queues)
{
    g_autoptr(ToolRun) t = tool_rmqadmin(namesrv, TRUE, "updateTopic", "-b", broker_addr, "-t",
                                         topic, "-r", queues, "-w", queues, NULL);
    if (t->status != 0)
        g_printerr("# updateTopic %s: %s\n", topic, t->err);
    return t->status == 0;
}

gboolean
tool_fill_queue0(const gchar *namesrv, const gchar *group, const gchar *topic, guint n,
                 const gchar *(*tag_of)(guint i), gchar **first_id)
{
    g_autoptr(RmqProducer) p = rmq_producer_new(group, namesrv, NULL);
    g_autoptr(RmqQueue) q0 = rmq_queue_new(topic, "broker-a", 0);
    for (guint i = 0; i < n; i++) {
        g_autofree gchar *body = g_strdup_printf("m%u", i);
        g_autoptr(RmqMsg) m = rmq_msg_new(topic, body, -1);
        if (tag_of != NULL)
            rmq_msg_set_tags(m, tag_of(i));
        RmqSendResult res;
        g_autoptr(GError) error = NULL;
        if (!rmq_producer_send_to_queue(p, m, q0, &res, &error)) {
            g_printerr("# send to %s: %s\n", topic, error->message);
            return FALSE;
        }
        if (i == 0 && first_id != NULL)
            *first_id = g_strdup(res.msg_id);
        rmq_send_result_clear(&res);
    }
    return TRUE;
}
