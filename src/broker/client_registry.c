#include <config.h>

#include "broker/client_registry.h"

#include <string.h>

#include "broker/meta_table.h"
#include "remoting/command.h"
#include "remoting/json_body.h"
#include "store/message_format.h"

struct _RmqClientRegistry {
    GHashTable *consumers; /* group -> RmqConsumerGroup */
    GHashTable *producers; /* group -> (RmqConnection* -> RmqClientChannel) */
    GHashTable *producer_ids; /* client id -> RmqConnection* (weak): the channel of its
                               * latest producer heartbeat (ProducerManager.clientChannelTable) */
    RmqConsumerGroupChanged changed;
    gpointer data;
};

static gint64
now_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

void
rmq_subscription_free(RmqSubscription *s)
{
    if (s == NULL)
        return;
    g_free(s->topic);
    g_free(s->sub_string);
    g_free(s->expression_type);
    g_ptr_array_unref(s->tags);
    g_array_unref(s->codes);
    if (s->filter != NULL)
        rmq_filter_unref(s->filter);
    g_free(s);
}

gboolean
rmq_expression_type_is_tag(const gchar *type)
{
    return type == NULL || *type == '\0' || g_ascii_strcasecmp(type, "TAG") == 0;
}

/* An SQL92 subscription is compiled once per (group, topic, expression):
 * a heartbeat repeating what @old has keeps @old's tree. */
static void
subscription_compile(RmqSubscription *s, const RmqSubscription *old, const gchar *group)
{
    if (rmq_expression_type_is_tag(s->expression_type))
        return;
    if (old != NULL && old->filter != NULL &&
        strcmp(old->expression_type, s->expression_type) == 0 &&
        strcmp(old->sub_string, s->sub_string) == 0) {
        s->filter = rmq_filter_ref(old->filter);
        return;
    }
    g_autoptr(GError) error = NULL;
    if (strcmp(s->expression_type, "SQL92") != 0)
        g_set_error(&error, RMQ_FILTER_ERROR, RMQ_FILTER_ERROR_ILLEGAL,
                    "unknown expression type %s", s->expression_type);
    else
        s->filter = rmq_filter_compile(s->sub_string, NULL, NULL, &error);
    if (s->filter == NULL && (old == NULL || strcmp(old->sub_string, s->sub_string) != 0))
        g_message("consumer group %s: the %s subscription to %s does not compile: %s", group,
                  s->expression_type, s->topic, error->message);
}

static RmqSubscription *
subscription_new(const gchar *topic)
{
    RmqSubscription *s = g_new0(RmqSubscription, 1);
    s->topic = g_strdup(topic);
    s->expression_type = g_strdup("TAG");
    s->tags = g_ptr_array_new_with_free_func(g_free);
    s->codes = g_array_new(FALSE, FALSE, sizeof(gint64));
    return s;
}

static void
add_tag(RmqSubscription *s, const gchar *tag)
{
    g_autofree gchar *t = g_strstrip(g_strdup(tag));
    if (*t == '\0')
        return;
    gint64 code = rmq_message_tag_code(t, strlen(t));
    g_array_append_val(s->codes, code);
    g_ptr_array_add(s->tags, g_steal_pointer(&t));
}

RmqSubscription *
rmq_subscription_parse(const gchar *topic, const gchar *sub_string)
{
    RmqSubscription *s = subscription_new(topic);
    const gchar *str = sub_string != NULL ? sub_string : "*";
    s->sub_string = g_strdup(str);
    g_autofree gchar *trimmed = g_strstrip(g_strdup(str));
    if (*trimmed == '\0' || strcmp(trimmed, "*") == 0) {
        g_free(s->sub_string);
        s->sub_string = g_strdup("*");
        return s;
    }
    g_auto(GStrv) parts = g_strsplit(trimmed, "||", -1);
    for (guint i = 0; parts[i] != NULL; i++)
        add_tag(s, parts[i]);
    return s;
}

JsonNode *
rmq_subscription_to_node(const RmqSubscription *s)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "classFilterMode");
    json_builder_add_boolean_value(b, FALSE);
    json_builder_set_member_name(b, "codeSet");
    json_builder_begin_array(b);
    for (guint i = 0; i < s->codes->len; i++)
        json_builder_add_int_value(b, g_array_index(s->codes, gint64, i));
    json_builder_end_array(b);
    json_builder_set_member_name(b, "expressionType");
    json_builder_add_string_value(b, s->expression_type);
    json_builder_set_member_name(b, "subString");
    json_builder_add_string_value(b, s->sub_string);
    json_builder_set_member_name(b, "subVersion");
    json_builder_add_int_value(b, s->sub_version);
    json_builder_set_member_name(b, "tagsSet");
    json_builder_begin_array(b);
    for (guint i = 0; i < s->tags->len; i++)
        json_builder_add_string_value(b, g_ptr_array_index(s->tags, i));
    json_builder_end_array(b);
    json_builder_set_member_name(b, "topic");
    json_builder_add_string_value(b, s->topic);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

static void
channel_free(gpointer p)
{
    RmqClientChannel *ch = p;
    g_free(ch->client_id);
    g_free(ch);
}

static GHashTable *
channel_table_new(void)
{
    return g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, channel_free);
}

static void
consumer_group_free(gpointer p)
{
    RmqConsumerGroup *g = p;
    g_free(g->group);
    g_free(g->consume_type);
    g_free(g->message_model);
    g_free(g->consume_from_where);
    g_hash_table_destroy(g->channels);
    g_hash_table_destroy(g->subscriptions);
    g_free(g);
}

RmqClientRegistry *
rmq_client_registry_new(RmqConsumerGroupChanged changed, gpointer data)
{
    RmqClientRegistry *r = g_new0(RmqClientRegistry, 1);
    r->consumers = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, consumer_group_free);
    r->producers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_hash_table_destroy);
    r->producer_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    r->changed = changed;
    r->data = data;
    return r;
}

void
rmq_client_registry_free(RmqClientRegistry *r)
{
    if (r == NULL)
        return;
    g_hash_table_destroy(r->consumers);
    g_hash_table_destroy(r->producers);
    g_hash_table_destroy(r->producer_ids);
    g_free(r);
}

/* Enum members arrive as names (Java, ali-ons) or ordinals (C++). */
static gchar *
enum_text(JsonObject *o, const gchar *member, const gchar *const *names, guint n,
          const gchar *dflt)
{
    JsonNode *node = o != NULL ? json_object_get_member(o, member) : NULL;
    if (node == NULL || JSON_NODE_TYPE(node) != JSON_NODE_VALUE)
        return g_strdup(dflt);
    if (json_node_get_value_type(node) == G_TYPE_STRING)
        return g_strdup(json_node_get_string(node));
    gint64 i = json_node_get_int(node);
    if (i >= 0 && (guint64) i < n)
        return g_strdup(names[i]);
    return g_strdup(dflt);
}

static const gchar *const consume_types[] = { "CONSUME_ACTIVELY", "CONSUME_PASSIVELY" };
static const gchar *const message_models[] = { "BROADCASTING", "CLUSTERING" };
static const gchar *const from_wheres[] = {
    "CONSUME_FROM_LAST_OFFSET", "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
    "CONSUME_FROM_MIN_OFFSET",  "CONSUME_FROM_MAX_OFFSET",
    "CONSUME_FROM_FIRST_OFFSET", "CONSUME_FROM_TIMESTAMP",
};

static RmqSubscription *
subscription_from_node(JsonNode *node)
{
    if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
        return NULL;
    JsonObject *o = json_node_get_object(node);
    const gchar *topic = rmq_json_object_get_string_or(o, "topic", NULL);
    if (topic == NULL)
        return NULL;
    RmqSubscription *s = subscription_new(topic);
    s->sub_string = g_strdup(rmq_json_object_get_string_or(o, "subString", "*"));
    const gchar *et = rmq_json_object_get_string_or(o, "expressionType", "TAG");
    g_free(s->expression_type);
    s->expression_type = g_strdup(et);
    s->sub_version = rmq_json_object_get_int64_or(o, "subVersion", 0);
    /* Codes are recomputed from the tags: C++ sends atoi(tag) (docs/protocol.md §5.5). */
    JsonArray *tags = rmq_json_object_get_array_or_null(o, "tagsSet");
    if (!rmq_expression_type_is_tag(s->expression_type)) {
        /* SQL92: no tags; the expression is compiled by the caller */
    } else if (tags != NULL) {
        for (guint i = 0; i < json_array_get_length(tags); i++) {
            JsonNode *t = json_array_get_element(tags, i);
            if (JSON_NODE_HOLDS_VALUE(t) && json_node_get_value_type(t) == G_TYPE_STRING)
                add_tag(s, json_node_get_string(t));
        }
    } else if (strcmp(s->sub_string, "*") != 0) {
        g_autoptr(RmqSubscription) p = rmq_subscription_parse(topic, s->sub_string);
        for (guint i = 0; i < p->tags->len; i++)
            add_tag(s, g_ptr_array_index(p->tags, i));
    }
    return s;
}

static RmqClientChannel *
touch_channel(GHashTable *channels, RmqConnection *conn, const gchar *client_id, gint language,
              gint version, gboolean *is_new)
{
    RmqClientChannel *ch = g_hash_table_lookup(channels, conn);
    *is_new = ch == NULL;
    if (ch == NULL) {
        ch = g_new0(RmqClientChannel, 1);
        ch->conn = conn;
        g_hash_table_insert(channels, conn, ch);
    }
    if (g_strcmp0(ch->client_id, client_id) != 0) {
        g_free(ch->client_id);
        ch->client_id = g_strdup(client_id);
    }
    ch->language = language;
    ch->version = version;
    ch->last_update_ms = now_ms();
    return ch;
}

/* @client_id no longer has a producer channel on @conn: its index entry, if
 * it names @conn, moves to another producer channel of that client id (a
 * walk, but only when a channel goes away, never per reply) or goes. */
static void
producer_id_forget(RmqClientRegistry *r, const gchar *client_id, RmqConnection *conn)
{
    if (client_id == NULL || g_hash_table_lookup(r->producer_ids, client_id) != conn)
        return;
    GHashTableIter git;
    gpointer chs;
    g_hash_table_iter_init(&git, r->producers);
    while (g_hash_table_iter_next(&git, NULL, &chs)) {
        GHashTableIter it;
        gpointer v;
        g_hash_table_iter_init(&it, chs);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
            RmqClientChannel *ch = v;
            if (g_strcmp0(ch->client_id, client_id) == 0) {
                g_hash_table_insert(r->producer_ids, g_strdup(client_id), ch->conn);
                return;
            }
        }
    }
    g_hash_table_remove(r->producer_ids, client_id);
}

static gboolean
register_consumer(RmqClientRegistry *r, RmqConnection *conn, const gchar *client_id, gint language,
                  gint version, JsonObject *cd, GPtrArray *seen)
{
    const gchar *name = rmq_json_object_get_string_or(cd, "groupName", NULL);
    if (name == NULL || *name == '\0')
        return FALSE;
    RmqConsumerGroup *g = g_hash_table_lookup(r->consumers, name);
    if (g == NULL) {
        g = g_new0(RmqConsumerGroup, 1);
        g->group = g_strdup(name);
        g->channels = channel_table_new();
        g->subscriptions = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                                 (GDestroyNotify) rmq_subscription_free);
        g_hash_table_insert(r->consumers, g->group, g);
    }
    g_free(g->consume_type);
    g->consume_type = enum_text(cd, "consumeType", consume_types, 2, "CONSUME_PASSIVELY");
    g_free(g->message_model);
    g->message_model = enum_text(cd, "messageModel", message_models, 2, "CLUSTERING");
    g_free(g->consume_from_where);
    g->consume_from_where = enum_text(cd, "consumeFromWhere", from_wheres,
                                      G_N_ELEMENTS(from_wheres), "CONSUME_FROM_LAST_OFFSET");
    gboolean is_new;
    touch_channel(g->channels, conn, client_id, language, version, &is_new);
    gboolean changed = is_new;

    /* Subscriptions: new topics or dropped topics are a change (Java
     * ConsumerGroupInfo.updateSubscription); a newer version replaces. */
    g_autoptr(GHashTable) fresh = g_hash_table_new(g_str_hash, g_str_equal);
    JsonArray *subs = rmq_json_object_get_array_or_null(cd, "subscriptionDataSet");
    for (guint i = 0; subs != NULL && i < json_array_get_length(subs); i++) {
        RmqSubscription *s = subscription_from_node(json_array_get_element(subs, i));
        if (s == NULL)
            continue;
        const RmqSubscription *old = g_hash_table_lookup(g->subscriptions, s->topic);
        if (old == NULL)
            changed = TRUE;
        subscription_compile(s, old, name);
        g_hash_table_replace(g->subscriptions, s->topic, s);
        g_hash_table_add(fresh, s->topic);
    }
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, g->subscriptions);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        if (!g_hash_table_contains(fresh, key)) {
            g_hash_table_iter_remove(&it);
            changed = TRUE;
        }
    }
    if (seen != NULL)
        g_ptr_array_add(seen, g_strdup(name));
    return changed;
}

gboolean
rmq_client_registry_heartbeat(RmqClientRegistry *r, RmqConnection *conn, gint language,
                              gint version, const gchar *body, gsize len,
                              GPtrArray *consumer_groups, GPtrArray *producer_groups,
                              GError **error)
{
    g_autoptr(JsonNode) root = rmq_json_parse_lenient(body, (gssize) len, error);
    if (root == NULL)
        return FALSE;
    if (!JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, RMQ_JSON_BODY_ERROR, RMQ_JSON_BODY_ERROR_PARSE,
                    "heartbeat body is not an object");
        return FALSE;
    }
    JsonObject *o = json_node_get_object(root);
    const gchar *client_id = rmq_json_object_get_string_or(o, "clientID", "");
    JsonArray *cons = rmq_json_object_get_array_or_null(o, "consumerDataSet");
    g_autoptr(GPtrArray) changed = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; cons != NULL && i < json_array_get_length(cons); i++) {
        JsonNode *n = json_array_get_element(cons, i);
        if (!JSON_NODE_HOLDS_OBJECT(n))
            continue;
        JsonObject *cd = json_node_get_object(n);
        if (register_consumer(r, conn, client_id, language, version, cd, consumer_groups))
            g_ptr_array_add(changed, g_strdup(rmq_json_object_get_string_or(cd, "groupName", "")));
    }
    JsonArray *prods = rmq_json_object_get_array_or_null(o, "producerDataSet");
    for (guint i = 0; prods != NULL && i < json_array_get_length(prods); i++) {
        JsonNode *n = json_array_get_element(prods, i);
        if (!JSON_NODE_HOLDS_OBJECT(n))
            continue;
        const gchar *name = rmq_json_object_get_string_or(json_node_get_object(n), "groupName", NULL);
        if (name == NULL || *name == '\0')
            continue;
        GHashTable *chs = g_hash_table_lookup(r->producers, name);
        if (chs == NULL) {
            chs = channel_table_new();
            g_hash_table_insert(r->producers, g_strdup(name), chs);
        }
        RmqClientChannel *ch = g_hash_table_lookup(chs, conn);
        g_autofree gchar *old_id = ch != NULL && g_strcmp0(ch->client_id, client_id) != 0
                                       ? g_strdup(ch->client_id)
                                       : NULL;
        gboolean is_new;
        touch_channel(chs, conn, client_id, language, version, &is_new);
        producer_id_forget(r, old_id, conn);
        g_hash_table_insert(r->producer_ids, g_strdup(client_id), conn);
        if (producer_groups != NULL)
            g_ptr_array_add(producer_groups, g_strdup(name));
    }
    for (guint i = 0; i < changed->len; i++)
        if (r->changed != NULL)
            r->changed(g_ptr_array_index(changed, i), r->data);
    return TRUE;
}

static gboolean
drop_consumer(RmqClientRegistry *r, const gchar *group, RmqConnection *conn)
{
    RmqConsumerGroup *g = g_hash_table_lookup(r->consumers, group);
    if (g == NULL || !g_hash_table_remove(g->channels, conn))
        return FALSE;
    if (g_hash_table_size(g->channels) == 0) {
        g_hash_table_remove(r->consumers, group);
        return FALSE; /* nobody left to tell */
    }
    return TRUE;
}

static void
drop_producer(RmqClientRegistry *r, const gchar *group, RmqConnection *conn)
{
    GHashTable *chs = g_hash_table_lookup(r->producers, group);
    RmqClientChannel *ch = chs != NULL ? g_hash_table_lookup(chs, conn) : NULL;
    if (ch == NULL)
        return;
    g_autofree gchar *client_id = g_steal_pointer(&ch->client_id);
    g_hash_table_remove(chs, conn);
    if (g_hash_table_size(chs) == 0)
        g_hash_table_remove(r->producers, group);
    producer_id_forget(r, client_id, conn);
}

void
rmq_client_registry_unregister(RmqClientRegistry *r, RmqConnection *conn,
                               const gchar *producer_group, const gchar *consumer_group)
{
    if (producer_group != NULL)
        drop_producer(r, producer_group, conn);
    if (consumer_group != NULL) {
        g_autofree gchar *g = g_strdup(consumer_group);
        if (drop_consumer(r, g, conn) && r->changed != NULL)
            r->changed(g, r->data);
    }
}

void
rmq_client_registry_channel_closed(RmqClientRegistry *r, RmqConnection *conn)
{
    g_autoptr(GPtrArray) pnames = rmq_meta_table_key_copies(r->producers);
    for (guint i = 0; i < pnames->len; i++)
        drop_producer(r, g_ptr_array_index(pnames, i), conn);

    g_autoptr(GPtrArray) cnames = rmq_meta_table_key_copies(r->consumers);
    for (guint i = 0; i < cnames->len; i++) {
        const gchar *g = g_ptr_array_index(cnames, i);
        if (drop_consumer(r, g, conn) && r->changed != NULL)
            r->changed(g, r->data);
    }
}

static void
collect_expired(GHashTable *channels, gint64 limit, GHashTable *out)
{
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, channels);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        RmqClientChannel *ch = v;
        if (ch->last_update_ms < limit)
            g_hash_table_add(out, ch->conn);
    }
}

guint
rmq_client_registry_scan_expired(RmqClientRegistry *r, gint64 now, gint64 expire_ms)
{
    (void) now;
    gint64 limit = now_ms() - expire_ms;
    g_autoptr(GHashTable) dead = g_hash_table_new(g_direct_hash, g_direct_equal);
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, r->consumers);
    while (g_hash_table_iter_next(&it, NULL, &v))
        collect_expired(((RmqConsumerGroup *) v)->channels, limit, dead);
    g_hash_table_iter_init(&it, r->producers);
    while (g_hash_table_iter_next(&it, NULL, &v))
        collect_expired(v, limit, dead);
    g_autoptr(GPtrArray) conns = g_ptr_array_new();
    g_hash_table_iter_init(&it, dead);
    while (g_hash_table_iter_next(&it, &v, NULL))
        g_ptr_array_add(conns, v);
    for (guint i = 0; i < conns->len; i++) {
        RmqConnection *c = g_ptr_array_index(conns, i);
        rmq_client_registry_channel_closed(r, c);
        rmq_connection_close(c, "no heartbeat for 120 s");
    }
    return conns->len;
}

RmqConsumerGroup *
rmq_client_registry_consumer_group(RmqClientRegistry *r, const gchar *group)
{
    return g_hash_table_lookup(r->consumers, group);
}

const RmqSubscription *
rmq_client_registry_subscription(RmqClientRegistry *r, const gchar *group, const gchar *topic)
{
    RmqConsumerGroup *g = g_hash_table_lookup(r->consumers, group);
    return g != NULL ? g_hash_table_lookup(g->subscriptions, topic) : NULL;
}

GHashTable *
rmq_client_registry_producer_group(RmqClientRegistry *r, const gchar *group)
{
    return g_hash_table_lookup(r->producers, group);
}

GHashTable *
rmq_client_registry_producer_groups(RmqClientRegistry *r)
{
    return r->producers;
}

GPtrArray *
rmq_client_registry_consumer_ids(RmqClientRegistry *r, const gchar *group)
{
    RmqConsumerGroup *g = g_hash_table_lookup(r->consumers, group);
    if (g == NULL || g_hash_table_size(g->channels) == 0)
        return NULL;
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, g->channels);
    while (g_hash_table_iter_next(&it, NULL, &v))
        g_ptr_array_add(ids, g_strdup(((RmqClientChannel *) v)->client_id));
    g_ptr_array_sort(ids, rmq_meta_str_cmp);
    return ids;
}

GPtrArray *
rmq_client_registry_groups_of_topic(RmqClientRegistry *r, const gchar *topic)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, r->consumers);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        RmqConsumerGroup *g = v;
        if (g_hash_table_contains(g->subscriptions, topic))
            g_ptr_array_add(out, g_strdup(g->group));
    }
    g_ptr_array_sort(out, rmq_meta_str_cmp);
    return out;
}

RmqConnection *
rmq_client_registry_any_producer(RmqClientRegistry *r, const gchar *group)
{
    GHashTable *chs = g_hash_table_lookup(r->producers, group);
    if (chs == NULL)
        return NULL;
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, chs);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        RmqClientChannel *ch = v;
        if (!rmq_connection_is_closed(ch->conn))
            return ch->conn;
    }
    return NULL;
}

RmqConnection *
rmq_client_registry_find_producer_channel(RmqClientRegistry *r, const gchar *client_id)
{
    g_return_val_if_fail(client_id != NULL, NULL);
    RmqConnection *conn = g_hash_table_lookup(r->producer_ids, client_id);
    return conn != NULL && !rmq_connection_is_closed(conn) ? conn : NULL;
}

guint
rmq_client_registry_producer_count(RmqClientRegistry *r)
{
    return g_hash_table_size(r->producers);
}

guint
rmq_client_registry_consumer_count(RmqClientRegistry *r)
{
    return g_hash_table_size(r->consumers);
}

JsonNode *
rmq_client_channel_to_node(const RmqClientChannel *ch)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "clientAddr");
    json_builder_add_string_value(b, rmq_connection_get_peer(ch->conn));
    json_builder_set_member_name(b, "clientId");
    json_builder_add_string_value(b, ch->client_id != NULL ? ch->client_id : "");
    json_builder_set_member_name(b, "language");
    json_builder_add_string_value(b, rmq_language_name((RmqLanguage) ch->language));
    json_builder_set_member_name(b, "version");
    json_builder_add_int_value(b, ch->version);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}
