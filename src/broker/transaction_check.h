/* The transaction check service (docs/protocol.md §11.1 step 5): every transactionCheckInterval
 * it looks at half messages without an op record that are older than
 * transactionTimeOut, sends CHECK_TRANSACTION_STATE (one-way) to a live
 * producer of their PGROUP, and re-appends the half message with
 * TRANSACTION_CHECK_TIMES+1; after transactionCheckMax checks the message is
 * moved to TRANS_CHECK_MAX_TIME_TOPIC. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RmqBroker RmqBroker;
typedef struct _RmqTransactionCheck RmqTransactionCheck;

RmqTransactionCheck *rmq_transaction_check_new(RmqBroker *b, guint interval_ms);
void rmq_transaction_check_free(RmqTransactionCheck *t);
/* One pass now (also used by tests through a short interval). */
void rmq_transaction_check_run(RmqTransactionCheck *t);
/* END_TRANSACTION (commit or rollback) for the half record at
 * @half_queue_offset: remember it as resolved so no check is sent. */
void rmq_transaction_check_resolved(RmqTransactionCheck *t, gint64 half_queue_offset);

G_END_DECLS
