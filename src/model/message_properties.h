/* Message properties (this project's docs/protocol.md, sections 6.1 and 6.2): the string a message
 * carries on the wire and in the commit log, NAME 0x01 VALUE pairs joined
 * by 0x02, and the names RocketMQ gives its own properties (MessageConst).
 *
 * Reading follows Java's MessageDecoder.string2messageProperties: a segment
 * shorter than three bytes, or whose first 0x01 is its first or last byte,
 * is skipped; the value runs from the first 0x01 to the segment's end (so
 * it may itself hold 0x01); a name seen twice keeps its last value. Writing
 * never emits a trailing 0x02. Pure: memory in, memory out. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RMQ_PROPERTY_NAME_VALUE_SEPARATOR '\001'
#define RMQ_PROPERTY_SEPARATOR '\002'

/* MessageConst property names (4.9.7). */
#define RMQ_PROPERTY_KEYS "KEYS"
#define RMQ_PROPERTY_TAGS "TAGS"
#define RMQ_PROPERTY_WAIT "WAIT" /* WAIT_STORE_MSG_OK */
#define RMQ_PROPERTY_DELAY "DELAY" /* DELAY_TIME_LEVEL */
#define RMQ_PROPERTY_RETRY_TOPIC "RETRY_TOPIC"
#define RMQ_PROPERTY_REAL_TOPIC "REAL_TOPIC"
#define RMQ_PROPERTY_REAL_QID "REAL_QID"
#define RMQ_PROPERTY_TRAN_MSG "TRAN_MSG" /* TRANSACTION_PREPARED */
#define RMQ_PROPERTY_PGROUP "PGROUP"     /* PRODUCER_GROUP */
#define RMQ_PROPERTY_MIN_OFFSET "MIN_OFFSET"
#define RMQ_PROPERTY_MAX_OFFSET "MAX_OFFSET"
#define RMQ_PROPERTY_BUYER_ID "BUYER_ID"
#define RMQ_PROPERTY_ORIGIN_MESSAGE_ID "ORIGIN_MESSAGE_ID"
#define RMQ_PROPERTY_TRANSFER_FLAG "TRANSFER_FLAG"
#define RMQ_PROPERTY_CORRECTION_FLAG "CORRECTION_FLAG"
#define RMQ_PROPERTY_MQ2_FLAG "MQ2_FLAG"
#define RMQ_PROPERTY_RECONSUME_TIME "RECONSUME_TIME"
#define RMQ_PROPERTY_MSG_REGION "MSG_REGION"
#define RMQ_PROPERTY_TRACE_SWITCH "TRACE_ON"
#define RMQ_PROPERTY_UNIQ_KEY "UNIQ_KEY" /* UNIQ_CLIENT_MESSAGE_ID_KEYIDX */
#define RMQ_PROPERTY_MAX_RECONSUME_TIMES "MAX_RECONSUME_TIMES"
#define RMQ_PROPERTY_CONSUME_START_TIME "CONSUME_START_TIME"
#define RMQ_PROPERTY_TRAN_PREPARED_QUEUE_OFFSET "TRAN_PREPARED_QUEUE_OFFSET"
#define RMQ_PROPERTY_TRANSACTION_CHECK_TIMES "TRANSACTION_CHECK_TIMES"
#define RMQ_PROPERTY_TRANSACTION_ID "__transactionId__"
#define RMQ_PROPERTY_CHECK_IMMUNITY_TIME_IN_SECONDS "CHECK_IMMUNITY_TIME_IN_SECONDS"
#define RMQ_PROPERTY_INSTANCE_ID "INSTANCE_ID"
#define RMQ_PROPERTY_CORRELATION_ID "CORRELATION_ID"
#define RMQ_PROPERTY_REPLY_TO_CLIENT "REPLY_TO_CLIENT"
#define RMQ_PROPERTY_TTL "TTL"
#define RMQ_PROPERTY_ARRIVE_TIME "ARRIVE_TIME"
#define RMQ_PROPERTY_PUSH_REPLY_TIME "PUSH_REPLY_TIME"
#define RMQ_PROPERTY_CLUSTER "CLUSTER"
#define RMQ_PROPERTY_MSG_TYPE "MSG_TYPE"

/* One pair; return FALSE to stop the walk. @name and @value point into the
 * properties and are not NUL-terminated. */
typedef gboolean (*RmqPropertyFunc)(const char *name, gsize name_len, const char *value,
                                    gsize value_len, gpointer user_data);
/* Calls @fn for every pair the Java parser accepts, in string order. */
void rmq_message_properties_foreach(const char *props, gsize len, RmqPropertyFunc fn,
                                    gpointer user_data);

/* Looks @name up without allocating. (transfer none) *value (may be NULL)
 * points into @props. */
gboolean rmq_message_property_get(const char *props, gsize props_len, const char *name,
                                  const char **value, gsize *value_len);
/* @name's value as a new string, NULL when absent. (transfer full) */
gchar *rmq_message_property_dup(const char *props, gsize len, const char *name);

typedef struct {
    const char *value; /* NULL if absent; points into the properties */
    gsize len;
} RmqPropertyValue;

/* Looks several names up in one pass; out[i] answers names[i]. */
void rmq_message_properties_find(const char *props, gsize props_len, const char *const *names,
                                 guint n, RmqPropertyValue *out);

/* The properties the send path and the store's dispatch look at, found in
 * one pass instead of one walk per name (same rules as the walk: the last
 * of duplicates wins). @props/@len name the string the view describes: a
 * user of a view checks them against the string it holds and reads the
 * string itself when they differ. Values may point into another string with
 * the same bytes (an edit that kept those pairs): it must outlive the view. */
typedef enum {
    RMQ_PROP_VIEW_TAGS,
    RMQ_PROP_VIEW_KEYS,
    RMQ_PROP_VIEW_UNIQ_KEY,
    RMQ_PROP_VIEW_DELAY,
    RMQ_PROP_VIEW_WAIT,
    RMQ_PROP_VIEW_TRAN_MSG,
    RMQ_PROP_VIEW_CLUSTER,
    RMQ_PROP_VIEW_N
} RmqPropertyViewField;

typedef struct {
    const char *props;
    gsize len;
    RmqPropertyValue v[RMQ_PROP_VIEW_N];
    guint8 count[RMQ_PROP_VIEW_N]; /* pairs with each name (at most 255 counted) */
    /* @props is nothing but well-formed pairs joined by single separators:
     * no pair the Java parser drops, no empty segment, no separator at the
     * end (what every client sends). */
    gboolean pairs_only;
} RmqPropertyView;

void rmq_message_properties_view(const char *props, gsize len, RmqPropertyView *out);

/* What rmq_message_properties_edit_to(@out, @view->props, @view->len,
 * {name of @drop}, {name of @add, @add_value}) writes, copied around the
 * @drop pair the view located instead of walking the pairs again: when the
 * view is pairs_only, holds @drop at most once and @add not at all (else -1,
 * nothing written: do the general edit). @out has room for
 * rmq_message_properties_edit_bound() of that edit. */
gssize rmq_message_properties_edit_view(char *out, const RmqPropertyView *view,
                                        RmqPropertyViewField drop, RmqPropertyViewField add,
                                        const char *add_value);

/* @view (may be NULL) describes exactly @props/@len. */
static inline gboolean
rmq_property_view_matches(const RmqPropertyView *view, const char *props, gsize len)
{
    return view != NULL && view->props == props && view->len == len;
}

/* (transfer full) name -> value, both g_strdup'd. */
GHashTable *rmq_message_properties_parse(const char *props, gsize len);
/* (transfer full) names sorted by strcmp; NULL values skipped. */
char *rmq_message_properties_build(GHashTable *props);
/* The same text appended to @out; returns its length. */
gsize rmq_message_properties_build_append(GString *out, GHashTable *props);

/* Copy @props (may be NULL) without the pairs the Java parser would drop,
 * without the names in @drop (NULL-terminated, may be NULL), and with the
 * pairs of @add appended (name, value, ..., NULL; may be NULL; a name in
 * @add replaces any earlier value). One allocation, sized up front: it runs
 * on every send. (transfer full) */
GString *rmq_message_properties_edit(const char *props, gsize len, const char *const *drop,
                                     const char *const *add);
/* The same edit into caller memory (no allocation when it fits the stack):
 * @out has room for rmq_message_properties_edit_bound(@len, @add) bytes;
 * the result is NUL-terminated, its length returned. */
gsize rmq_message_properties_edit_bound(gsize len, const char *const *add);
gsize rmq_message_properties_edit_to(char *out, const char *props, gsize len,
                                     const char *const *drop, const char *const *add);
/* rmq_message_properties_edit_to() without @add, and @view of the result
 * (view->props = @out) found in the same pass. @out has room for @len + 1. */
gsize rmq_message_properties_edit_view_to(char *out, const char *props, gsize len,
                                          const char *const *drop, RmqPropertyView *view);
/* The edit of one pair: @name set to @value, or removed. (transfer full) */
GString *rmq_message_property_set(const char *props, gsize len, const char *name,
                                  const char *value);
GString *rmq_message_property_remove(const char *props, gsize len, const char *name);

G_END_DECLS
