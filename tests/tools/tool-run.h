/* Run the built tools (rmqadmin, rmq-bench) from tests and parse their
 * --json output. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "client/rmq-client.h"

G_BEGIN_DECLS

typedef struct {
    int status;    /* exit status, 128+signal if killed */
    gchar *out;    /* stdout */
    gchar *err;    /* stderr */
    JsonNode *json; /* stdout parsed, or NULL */
} ToolRun;

/* Run $RMQ_BUILDDIR/src/tools/@tool with the NULL-terminated arguments.
 * (transfer full) */
ToolRun *tool_run(const gchar *tool, const gchar *first_arg, ...) G_GNUC_NULL_TERMINATED;
ToolRun *tool_runv(const gchar *tool, const gchar *const *args);
/* rmqadmin @sub -n @namesrv [--json] and the NULL-terminated arguments.
 * (transfer full) */
ToolRun *tool_rmqadmin(const gchar *namesrv, gboolean json, const gchar *sub, ...)
    G_GNUC_NULL_TERMINATED;
/* In a cmocka test: the run exited 0, else its stderr is shown. */
#define tool_assert_ok(r)                                                                      \
    do {                                                                                       \
        if ((r)->status != 0)                                                                  \
            print_error("rmqadmin failed (%d): %s\n", (r)->status, (r)->err);                  \
        assert_int_equal((r)->status, 0);                                                      \
    } while (0)
void tool_run_free(ToolRun *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ToolRun, tool_run_free)

/* JSON path helpers: member of an object node, NULL if absent. */
JsonObject *tool_obj(JsonNode *n);
JsonArray *tool_arr(JsonNode *n);

/* rmqadmin updateTopic: @topic with @queues read and write queues on
 * @broker_addr; FALSE, its stderr shown, if that failed. */
gboolean tool_update_topic(const gchar *namesrv, const gchar *broker_addr, const gchar *topic,
                           const gchar *queues);
/* @n messages "m0".."m<n-1>" from producer group @group to queue 0 of
 * @topic on broker-a, message i tagged @tag_of(i) where @tag_of is not NULL;
 * the MsgId of the first into *@first_id where that is not NULL. FALSE,
 * said on stderr, if a send failed. */
gboolean tool_fill_queue0(const gchar *namesrv, const gchar *group, const gchar *topic, guint n,
                          const gchar *(*tag_of)(guint i), gchar **first_id);
/* @topic with one read and one write queue on @broker_addr, made with the
 * client library's admin; FALSE, said on stderr, if that failed. */
gboolean tool_create_topic(RmqAdmin *admin, const gchar *broker_addr, const gchar *topic);

G_END_DECLS
