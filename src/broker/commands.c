/* The broker's command table and its flag check (see commands.h). */
#include <config.h>

#include "broker/commands.h"

#include "broker/acl_guard.h"

#include "remoting/codes.h"

static const RmqBrokerRefusal slave_send = {
    RMQ_RESPONSE_SERVICE_NOT_AVAILABLE, "the broker is a slave, it does not accept writes"
};
static const RmqBrokerRefusal slave_transaction = {
    RMQ_RESPONSE_SLAVE_NOT_AVAILABLE, "Can't process transaction on a slave broker"
};
/* Java's answer when a slave's store refuses the put. */
static const RmqBrokerRefusal slave_resume = {
    RMQ_RESPONSE_SYSTEM_ERROR, "Put message back to RMQ_SYS_TRANS_HALF_TOPIC failed."
};
static const RmqBrokerRefusal slave_admin = {
    RMQ_RESPONSE_SYSTEM_ERROR,
    "Can't modify topic or subscription group from slave broker, please execute it from "
    "master broker."
};

#define WRITE RMQ_BROKER_CMD_WRITE
#define MASTER RMQ_BROKER_CMD_MASTER
#define GROUP RMQ_BROKER_CMD_GROUP
#define ADMIN RMQ_BROKER_CMD_ADMIN
#define NOT_VIP RMQ_BROKER_CMD_NOT_VIP
#define CMD(code, handler, flags, on_slave) \
    { RMQ_REQUEST_##code, #code, rmq_broker_handle_##handler, (flags), (on_slave) }

static const RmqServerCommand commands[] = {
    /* processor_send.c: messages in */
    CMD(SEND_MESSAGE, send, WRITE | MASTER, &slave_send),
    CMD(SEND_MESSAGE_V2, send, WRITE | MASTER, &slave_send),
    CMD(SEND_BATCH_MESSAGE, send, WRITE | MASTER, &slave_send),
    /* processor_reply.c: request-reply (no flag check: Java's msgCheck
     * refuses a read-only broker for order topics only) */
    CMD(SEND_REPLY_MESSAGE, reply, 0, NULL),
    CMD(SEND_REPLY_MESSAGE_V2, reply, 0, NULL),
    /* processor_retry.c */
    /* Not MASTER: a slave answers a group without retry queues first (Java
     * does), then refuses in rmq_broker_send_back_execute(). */
    CMD(CONSUMER_SEND_MSG_BACK, send_back, GROUP | WRITE, NULL),
    /* processor_transaction.c */
    CMD(END_TRANSACTION, end_transaction, MASTER, &slave_transaction),
    CMD(RESUME_CHECK_HALF_MESSAGE, resume_check, ADMIN | MASTER, &slave_resume),
    /* processor_pull.c: messages out */
    CMD(PULL_MESSAGE, pull, NOT_VIP, NULL),
    /* processor_client.c */
    CMD(HEART_BEAT, heartbeat, 0, NULL),
    CMD(UNREGISTER_CLIENT, unregister, 0, NULL),
    CMD(QUERY_CONSUMER_OFFSET, query_offset, 0, NULL),
    CMD(UPDATE_CONSUMER_OFFSET, update_offset, 0, NULL),
    CMD(GET_CONSUMER_LIST_BY_GROUP, consumer_list, 0, NULL),
    CMD(LOCK_BATCH_MQ, lock, 0, NULL),
    CMD(UNLOCK_BATCH_MQ, lock, 0, NULL),
    CMD(CHECK_CLIENT_CONFIG, check_client_config, 0, NULL),
    /* processor_query.c */
    CMD(GET_MAX_OFFSET, offsets, 0, NULL),
    CMD(GET_MIN_OFFSET, offsets, 0, NULL),
    CMD(GET_EARLIEST_MSG_STORETIME, offsets, 0, NULL),
    CMD(SEARCH_OFFSET_BY_TIMESTAMP, offsets, 0, NULL),
    CMD(QUERY_MESSAGE, query_message, 0, NULL),
    CMD(VIEW_MESSAGE_BY_ID, view, 0, NULL),
    /* processor_admin.c */
    CMD(UPDATE_AND_CREATE_TOPIC, update_topic, ADMIN | MASTER, &slave_admin),
    CMD(DELETE_TOPIC_IN_BROKER, delete_topic, ADMIN | MASTER, &slave_admin),
    CMD(UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, update_group, ADMIN | MASTER, &slave_admin),
    CMD(DELETE_SUBSCRIPTIONGROUP, delete_group, ADMIN | MASTER, &slave_admin),
    CMD(GET_ALL_TOPIC_CONFIG, simple_get, ADMIN, NULL),
    CMD(GET_ALL_SUBSCRIPTIONGROUP_CONFIG, simple_get, ADMIN, NULL),
    CMD(GET_ALL_CONSUMER_OFFSET, simple_get, ADMIN, NULL),
    CMD(GET_ALL_DELAY_OFFSET, simple_get, ADMIN, NULL),
    CMD(GET_SYSTEM_TOPIC_LIST_FROM_BROKER, simple_get, ADMIN, NULL),
    CMD(GET_BROKER_CONFIG, broker_config, ADMIN, NULL),
    CMD(UPDATE_BROKER_CONFIG, broker_config, ADMIN, NULL),
    CMD(GET_BROKER_RUNTIME_INFO, runtime_info, ADMIN, NULL),
    CMD(GET_TOPIC_STATS_INFO, topic_stats, ADMIN, NULL),
    CMD(GET_CONSUME_STATS, consume_stats, ADMIN, NULL),
    CMD(GET_CONSUMER_CONNECTION_LIST, connections, ADMIN, NULL),
    CMD(GET_PRODUCER_CONNECTION_LIST, connections, ADMIN, NULL),
    CMD(GET_ALL_PRODUCER_INFO, producer_info, ADMIN, NULL),
    CMD(QUERY_TOPIC_CONSUME_BY_WHO, consume_by_who, ADMIN, NULL),
    /* processor_consumer_admin.c */
    CMD(INVOKE_BROKER_TO_RESET_OFFSET, reset_offset, ADMIN, NULL),
    CMD(CLONE_GROUP_OFFSET, clone_offset, ADMIN, NULL),
    CMD(GET_CONSUMER_RUNNING_INFO, forward, ADMIN, NULL),
    CMD(CONSUME_MESSAGE_DIRECTLY, forward, ADMIN, NULL),
    CMD(INVOKE_BROKER_TO_GET_CONSUMER_STATUS, consumer_status, ADMIN, NULL),
    CMD(QUERY_CONSUME_TIME_SPAN, consume_time_span, ADMIN, NULL),
    CMD(QUERY_CORRECTION_OFFSET, correction_offset, ADMIN, NULL),
    /* processor_stats.c */
    CMD(VIEW_BROKER_STATS_DATA, view_stats, ADMIN, NULL),
    CMD(GET_BROKER_CONSUME_STATS, broker_consume_stats, ADMIN, NULL),
    /* processor_store_admin.c */
    CMD(QUERY_CONSUME_QUEUE, query_cq, ADMIN, NULL),
    CMD(CLEAN_EXPIRED_CONSUMEQUEUE, store_clean, ADMIN, NULL),
    CMD(DELETE_EXPIRED_COMMITLOG, store_clean, ADMIN, NULL),
    CMD(CLEAN_UNUSED_TOPIC, store_clean, ADMIN, NULL),
    /* processor_acl.c: plain ACL administration (on a slave too, as Java:
     * mqadmin -c sends them to every broker of the cluster) */
    CMD(UPDATE_AND_CREATE_ACL_CONFIG, acl_update, ADMIN, NULL),
    CMD(DELETE_ACL_CONFIG, acl_delete, ADMIN, NULL),
    CMD(GET_BROKER_CLUSTER_ACL_INFO, acl_version, ADMIN, NULL),
    CMD(UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, acl_global_whites, ADMIN, NULL),
    CMD(GET_BROKER_CLUSTER_ACL_CONFIG, acl_config, ADMIN, NULL),
};

const RmqServerCommand *
rmq_broker_commands(gsize *n_out)
{
    *n_out = G_N_ELEMENTS(commands);
    return commands;
}

/* The check itself, inlined into the gate: one call less per request. */
static inline gint32
check_flags(RmqBroker *b, const RmqServerCommand *command, const RmqCommand *request, gboolean vip,
            gchar **remark)
{
    const RmqBrokerSettings *s = &b->settings;
    guint32 flags = command->flags;
    if ((flags & RMQ_BROKER_CMD_NOT_VIP) && vip) {
        *remark = g_strdup_printf(" request type %d not supported", request->code);
        return RMQ_RESPONSE_REQUEST_CODE_NOT_SUPPORTED;
    }
    if (flags & RMQ_BROKER_CMD_GROUP) {
        const gchar *group = rmq_command_get_ext(request, "group");
        if (group == NULL) {
            *remark = g_strdup("the custom field <group> is null");
            return RMQ_RESPONSE_SYSTEM_ERROR;
        }
        if (rmq_broker_find_group(b, group) == NULL) {
            *remark = g_strdup_printf("subscription group not exist, %s", group);
            return RMQ_RESPONSE_SUBSCRIPTION_GROUP_NOT_EXIST;
        }
    }
    if ((flags & RMQ_BROKER_CMD_WRITE) && !(s->broker_permission & RMQ_PERM_WRITE)) {
        *remark = g_strdup_printf("the broker[%s] sending message is forbidden", s->broker_name);
        return RMQ_RESPONSE_NO_PERMISSION;
    }
    if ((flags & RMQ_BROKER_CMD_MASTER) && s->slave) {
        const RmqBrokerRefusal *r = command->detail;
        *remark = g_strdup(r->remark);
        return r->code;
    }
    return RMQ_RESPONSE_SUCCESS;
}

gint32
rmq_broker_command_check(RmqBroker *b, const RmqServerCommand *command, const RmqCommand *request,
                         gboolean vip, gchar **remark)
{
    return check_flags(b, command, request, vip, remark);
}

static gboolean
gate(RmqConnection *conn, RmqCommand *request, const RmqServerCommand *command, gpointer user_data)
{
    RmqBroker *b = user_data;
    if (command->flags & RMQ_BROKER_CMD_ACL) {
        gchar *acl_remark = NULL;
        if (!rmq_broker_acl_allows(b->acl, conn, request, &acl_remark)) {
            rmq_broker_note_refusal(b, conn, request, RMQ_RESPONSE_SYSTEM_ERROR, acl_remark, TRUE);
            rmq_broker_reply_take(conn, request, RMQ_RESPONSE_SYSTEM_ERROR, acl_remark);
            return TRUE;
        }
    }
    if (command->flags & RMQ_BROKER_CMD_ADMIN)
        g_debug("admin request %s from %s", command->name, rmq_connection_get_peer(conn));
    gboolean vip = (command->flags & RMQ_BROKER_CMD_NOT_VIP) && rmq_broker_is_vip(b, conn);
    gchar *remark = NULL;
    gint32 code = check_flags(b, command, request, vip, &remark);
    if (code == RMQ_RESPONSE_SUCCESS)
        return FALSE;
    rmq_broker_note_refusal(b, conn, request, code, remark, FALSE);
    rmq_broker_reply_take(conn, request, code, remark);
    return TRUE;
}

/* Codes outside the table, with aclEnable: Java checks every code, so an
 * unsigned request learns nothing, not even that a code is unknown. */
static void
handle_unknown_acl(RmqConnection *conn, RmqCommand *request, gpointer user_data)
{
    RmqBroker *b = user_data;
    gchar *remark = NULL;
    if (!rmq_broker_acl_allows(b->acl, conn, request, &remark)) {
        rmq_broker_note_refusal(b, conn, request, RMQ_RESPONSE_SYSTEM_ERROR, remark, TRUE);
        rmq_broker_reply_take(conn, request, RMQ_RESPONSE_SYSTEM_ERROR, remark);
        return;
    }
    rmq_broker_handle_unknown(conn, request, user_data);
}

void
rmq_broker_commands_register(RmqBroker *b)
{
    if (b->acl == NULL) {
        rmq_server_register_table(b->server, commands, G_N_ELEMENTS(commands), gate, b);
        rmq_server_set_default_handler(b->server, rmq_broker_handle_unknown, b);
        return;
    }
    /* A copy with the ACL flag on every row, so every row passes the gate
     * (rows with no flags skip it): without ACL the static table is used as is. */
    RmqServerCommand *rows = g_memdup2(commands, sizeof commands);
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
        rows[i].flags |= RMQ_BROKER_CMD_ACL;
    g_free(b->acl_commands);
    b->acl_commands = rows;
    rmq_server_register_table(b->server, rows, G_N_ELEMENTS(commands), gate, b);
    rmq_server_set_default_handler(b->server, handle_unknown_acl, b);
}
