/* The broker's command table (as redis's redisCommand table): every request
 * code the broker serves, with its handler and the flags checked in one
 * place, rmq_broker_command_check(), before the handler runs. Adding a code
 * means one row here and its handler in a processor_*.c file. */
#pragma once

#include "broker/broker.h"
#include "remoting/server.h"

G_BEGIN_DECLS

typedef enum {
    /* Stores messages: refused with NO_PERMISSION "the broker[<name>] sending
     * message is forbidden" when brokerPermission has no write bit. */
    RMQ_BROKER_CMD_WRITE = 1 << 0,
    /* Changes what only a master may (a slave's commit log and tables are its
     * master's): refused on a slave with the row's RmqBrokerRefusal. */
    RMQ_BROKER_CMD_MASTER = 1 << 1,
    /* Names a subscription group in ext field "group": SYSTEM_ERROR when the
     * field is missing, SUBSCRIPTION_GROUP_NOT_EXIST when the group is unknown
     * (after autoCreateSubscriptionGroup). */
    RMQ_BROKER_CMD_GROUP = 1 << 2,
    /* Administration (rmqadmin, console): logged at debug level with the peer. */
    RMQ_BROKER_CMD_ADMIN = 1 << 3,
    /* Not served on the VIP channel (listenPort - 2): REQUEST_CODE_NOT_SUPPORTED. */
    RMQ_BROKER_CMD_NOT_VIP = 1 << 4,
    /* Set on every row when aclEnable is on (rmq_broker_commands_register
     * registers a copy of the table): the plain ACL check runs first,
     * refusing with SYSTEM_ERROR and Java's AclException remark. */
    RMQ_BROKER_CMD_ACL = 1 << 5,
} RmqBrokerCommandFlags;

/* The answer of a RMQ_BROKER_CMD_MASTER row on a slave (the row's detail):
 * each code keeps the response code and remark it has always had. */
typedef struct {
    gint32 code;
    const gchar *remark;
} RmqBrokerRefusal;

/* The table, @n_out rows. (transfer none) */
const RmqServerCommand *rmq_broker_commands(gsize *n_out);
/* Register the table on @b->server with rmq_broker_command_check() as its
 * gate, and the handler of unknown codes. With @b->acl, every row (and the
 * unknown-code handler) is checked against the plain ACL first. */
void rmq_broker_commands_register(RmqBroker *b);

/* The flag check, pure (no socket): RMQ_RESPONSE_SUCCESS when @request may
 * run, else the response code and @remark (transfer full, may stay NULL).
 * @vip: the request came on the VIP channel. Checks in this order: NOT_VIP,
 * GROUP, WRITE, MASTER. */
gint32 rmq_broker_command_check(RmqBroker *b, const RmqServerCommand *command,
                                const RmqCommand *request, gboolean vip, gchar **remark);

/* Handlers (RmqRequestHandler: they own the request), by processor file. */
void rmq_broker_handle_send(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_reply(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_pull(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_heartbeat(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_unregister(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_query_offset(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_update_offset(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_consumer_list(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_lock(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_check_client_config(RmqConnection *conn, RmqCommand *req,
                                           gpointer user_data);
void rmq_broker_handle_offsets(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_query_message(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_view(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_update_topic(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_delete_topic(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_simple_get(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_broker_config(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_runtime_info(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_update_group(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_delete_group(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_topic_stats(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_consume_stats(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_connections(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_consume_by_who(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_unknown(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_send_back(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_end_transaction(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_reset_offset(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_clone_offset(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_forward(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_consumer_status(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_view_stats(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_broker_consume_stats(RmqConnection *conn, RmqCommand *req,
                                            gpointer user_data);
void rmq_broker_handle_producer_info(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_consume_time_span(RmqConnection *conn, RmqCommand *req,
                                         gpointer user_data);
void rmq_broker_handle_correction_offset(RmqConnection *conn, RmqCommand *req,
                                         gpointer user_data);
void rmq_broker_handle_query_cq(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_store_clean(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_resume_check(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_acl_update(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_acl_delete(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_acl_version(RmqConnection *conn, RmqCommand *req, gpointer user_data);
void rmq_broker_handle_acl_global_whites(RmqConnection *conn, RmqCommand *req,
                                         gpointer user_data);
void rmq_broker_handle_acl_config(RmqConnection *conn, RmqCommand *req, gpointer user_data);

G_END_DECLS
