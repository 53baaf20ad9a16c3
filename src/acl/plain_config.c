#include <config.h>

#include <string.h>
#include <yaml.h>
#include <glib/gstdio.h>

#include "acl/plain_config.h"

/* --- a small YAML tree (the file is a few keys deep) ---------------------- */

typedef enum { NODE_SCALAR, NODE_SEQ, NODE_MAP } NodeType;

typedef struct _Node Node;
struct _Node {
    NodeType type;
    guint line;        /* 1-based */
    gchar *text;       /* scalar */
    gboolean plain_null; /* an empty or "~"/"null" plain scalar */
    GPtrArray *items;  /* seq: of Node; map: key, value, key, value ... */
};

static void
node_free(Node *n)
{
    if (n == NULL)
        return;
    g_free(n->text);
    if (n->items != NULL)
        g_ptr_array_unref(n->items);
    g_free(n);
}

static Node *
node_new(NodeType type, const yaml_event_t *ev)
{
    Node *n = g_new0(Node, 1);
    n->type = type;
    n->line = (guint) ev->start_mark.line + 1;
    if (type != NODE_SCALAR)
        n->items = g_ptr_array_new_with_free_func((GDestroyNotify) node_free);
    return n;
}

static gboolean
fail(GError **error, const gchar *name, guint line, const gchar *key, const gchar *fmt, ...)
    G_GNUC_PRINTF(5, 6);

static gboolean
fail(GError **error, const gchar *name, guint line, const gchar *key, const gchar *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree gchar *why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (key != NULL)
        g_set_error(error, RMQ_ACL_ERROR, RMQ_ACL_ERROR_CONFIG, "%s:%u: %s: %s", name, line, key,
                    why);
    else
        g_set_error(error, RMQ_ACL_ERROR, RMQ_ACL_ERROR_CONFIG, "%s:%u: %s", name, line, why);
    return FALSE;
}

/* Build the node that starts with @ev (already taken from @parser). */
static Node *
build(yaml_parser_t *parser, yaml_event_t *ev, const gchar *name, guint depth, GError **error)
{
    if (depth > 16) {
        fail(error, name, (guint) ev->start_mark.line + 1, NULL, "nested too deeply");
        return NULL;
    }
    if (ev->type == YAML_SCALAR_EVENT) {
        Node *n = node_new(NODE_SCALAR, ev);
        n->text = g_strndup((const gchar *) ev->data.scalar.value, ev->data.scalar.length);
        n->plain_null = ev->data.scalar.plain_implicit &&
                        (*n->text == '\0' || strcmp(n->text, "~") == 0 ||
                         strcmp(n->text, "null") == 0);
        return n;
    }
    if (ev->type == YAML_ALIAS_EVENT) {
        fail(error, name, (guint) ev->start_mark.line + 1, NULL, "aliases are not supported");
        return NULL;
    }
    if (ev->type != YAML_SEQUENCE_START_EVENT && ev->type != YAML_MAPPING_START_EVENT) {
        fail(error, name, (guint) ev->start_mark.line + 1, NULL, "unexpected YAML event");
        return NULL;
    }
    gboolean seq = ev->type == YAML_SEQUENCE_START_EVENT;
    yaml_event_type_t end = seq ? YAML_SEQUENCE_END_EVENT : YAML_MAPPING_END_EVENT;
    Node *n = node_new(seq ? NODE_SEQ : NODE_MAP, ev);
    for (;;) {
        yaml_event_t child;
        if (!yaml_parser_parse(parser, &child)) {
            fail(error, name, (guint) parser->problem_mark.line + 1, NULL, "%s",
                 parser->problem != NULL ? parser->problem : "YAML syntax error");
            node_free(n);
            return NULL;
        }
        if (child.type == end) {
            yaml_event_delete(&child);
            return n;
        }
        Node *c = build(parser, &child, name, depth + 1, error);
        yaml_event_delete(&child);
        if (c == NULL) {
            node_free(n);
            return NULL;
        }
        g_ptr_array_add(n->items, c);
    }
}

/* The document's root node, or NULL (an empty file is an empty map). */
static gboolean
parse_yaml(const gchar *text, gsize len, const gchar *name, Node **root, GError **error)
{
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *) text, len);
    *root = NULL;
    gboolean ok = TRUE;
    for (gboolean done = FALSE; !done && ok;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            ok = fail(error, name, (guint) parser.problem_mark.line + 1, NULL, "%s",
                      parser.problem != NULL ? parser.problem : "YAML syntax error");
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = TRUE;
            break;
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_START_EVENT:
        case YAML_DOCUMENT_END_EVENT:
            break;
        default:
            if (*root != NULL) {
                ok = fail(error, name, (guint) ev.start_mark.line + 1, NULL,
                          "only one YAML document is allowed");
                break;
            }
            *root = build(&parser, &ev, name, 0, error);
            ok = *root != NULL;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    if (!ok)
        g_clear_pointer(root, node_free);
    return ok;
}

/* --- permissions ---------------------------------------------------------- */

gboolean
rmq_acl_perm_parse(const gchar *text, guint8 *perm)
{
    g_autofree gchar *t = g_strstrip(g_strdup(text != NULL ? text : ""));
    if (strcmp(t, "PUB") == 0)
        *perm = RMQ_ACL_PERM_PUB;
    else if (strcmp(t, "SUB") == 0)
        *perm = RMQ_ACL_PERM_SUB;
    else if (strcmp(t, "PUB|SUB") == 0 || strcmp(t, "SUB|PUB") == 0)
        *perm = RMQ_ACL_PERM_PUB | RMQ_ACL_PERM_SUB;
    else if (strcmp(t, "DENY") == 0)
        *perm = RMQ_ACL_PERM_DENY;
    else
        return FALSE;
    return TRUE;
}

gboolean
rmq_acl_perm_allows(guint8 needed, guint8 owned)
{
    if (owned & RMQ_ACL_PERM_DENY)
        return FALSE;
    if (needed & RMQ_ACL_PERM_ANY)
        return (owned & (RMQ_ACL_PERM_PUB | RMQ_ACL_PERM_SUB)) != 0;
    return (needed & owned) != 0;
}

/* --- the file ------------------------------------------------------------- */

static void
account_free(RmqAclAccount *a)
{
    if (a == NULL)
        return;
    g_free(a->access_key);
    if (a->secret_key != NULL)
        memset(a->secret_key, 0, strlen(a->secret_key));
    g_free(a->secret_key);
    g_free(a->white_remote_address);
    g_free(a->default_topic_perm_text);
    g_free(a->default_group_perm_text);
    rmq_acl_address_free(a->white);
    g_hash_table_unref(a->perms);
    g_ptr_array_unref(a->topic_perms);
    g_ptr_array_unref(a->group_perms);
    g_free(a);
}

void
rmq_acl_config_free(RmqAclConfig *c)
{
    if (c == NULL)
        return;
    g_free(c->name);
    g_ptr_array_unref(c->global_white_texts);
    g_ptr_array_unref(c->global_whites);
    g_hash_table_unref(c->by_key);
    g_ptr_array_unref(c->accounts);
    g_free(c);
}

const RmqAclAccount *
rmq_acl_config_account(const RmqAclConfig *c, const gchar *access_key)
{
    g_return_val_if_fail(c != NULL, NULL);
    return access_key != NULL ? g_hash_table_lookup(c->by_key, access_key) : NULL;
}

/* A scalar value (NULL for an empty one), or an error naming @key. */
static gboolean
scalar(const Node *v, const gchar *name, const gchar *key, const gchar **out, GError **error)
{
    if (v->type != NODE_SCALAR)
        return fail(error, name, v->line, key, "expected a single value");
    *out = v->plain_null ? NULL : v->text;
    return TRUE;
}

/* A list of scalars (an empty value is an empty list). */
static gboolean
scalar_list(const Node *v, const gchar *name, const gchar *key, GPtrArray *out, GError **error)
{
    if (v->type == NODE_SCALAR && v->plain_null)
        return TRUE;
    if (v->type != NODE_SEQ)
        return fail(error, name, v->line, key, "expected a list (lines starting with \"- \")");
    for (guint i = 0; i < v->items->len; i++) {
        const Node *item = g_ptr_array_index(v->items, i);
        const gchar *text = NULL;
        if (!scalar(item, name, key, &text, error))
            return FALSE;
        if (text != NULL)
            g_ptr_array_add(out, g_strdup(text));
    }
    return TRUE;
}

static gboolean
perm_value(const Node *v, const gchar *name, const gchar *key, guint8 *perm, gchar **written,
           GError **error)
{
    const gchar *text = NULL;
    if (!scalar(v, name, key, &text, error))
        return FALSE;
    g_free(*written);
    *written = g_strdup(text);
    if (text == NULL) {
        *perm = RMQ_ACL_PERM_DENY; /* Java: absent means DENY */
        return TRUE;
    }
    if (!rmq_acl_perm_parse(text, perm))
        return fail(error, name, v->line, key,
                    "\"%s\" is not a permission (PUB, SUB, PUB|SUB or DENY)", text);
    return TRUE;
}

/* "resource=PERM" lines of topicPerms or groupPerms; errors name the line. */
static gboolean
resource_perms(const Node *v, const gchar *name, const gchar *key, gboolean groups,
               RmqAclAccount *a, GError **error)
{
    if (v->type == NODE_SCALAR && v->plain_null)
        return TRUE;
    if (v->type != NODE_SEQ)
        return fail(error, name, v->line, key, "expected a list (lines starting with \"- \")");
    GPtrArray *lines = groups ? a->group_perms : a->topic_perms;
    for (guint i = 0; i < v->items->len; i++) {
        const Node *item = g_ptr_array_index(v->items, i);
        const gchar *line = NULL;
        if (!scalar(item, name, key, &line, error))
            return FALSE;
        if (line == NULL)
            continue;
        const gchar *eq = strchr(line, '=');
        guint8 perm;
        if (eq == NULL || strchr(eq + 1, '=') != NULL)
            return fail(error, name, item->line, key, "\"%s\": expected %s=PERM, e.g. %s", line,
                        groups ? "group" : "topic", groups ? "groupA=SUB" : "topicA=PUB|SUB");
        g_autofree gchar *res = g_strstrip(g_strndup(line, (gsize) (eq - line)));
        if (*res == '\0' || !rmq_acl_perm_parse(eq + 1, &perm))
            return fail(error, name, item->line, key,
                        "\"%s\": expected %s=PERM with PERM one of PUB, SUB, PUB|SUB, DENY", line,
                        groups ? "group" : "topic");
        g_ptr_array_add(lines, g_strdup(line));
        g_hash_table_insert(a->perms,
                            groups ? g_strconcat(RMQ_ACL_RETRY_PREFIX, res, NULL) : g_strdup(res),
                            GUINT_TO_POINTER(perm));
    }
    return TRUE;
}

static gboolean
key_length_ok(const gchar *text)
{
    return text != NULL && strlen(text) > RMQ_ACL_KEY_MIN_LENGTH;
}

/* Fill @a from the account map @m. */
static gboolean
account_fill(RmqAclAccount *a, const Node *m, const gchar *name, GError **error)
{
    for (guint i = 0; i + 1 < m->items->len; i += 2) {
        const Node *k = g_ptr_array_index(m->items, i), *v = g_ptr_array_index(m->items, i + 1);
        if (k->type != NODE_SCALAR)
            return fail(error, name, k->line, NULL, "a key must be a plain word");
        const gchar *key = k->text, *text = NULL;
        gboolean ok = TRUE;
        if (strcmp(key, "accessKey") == 0 || strcmp(key, "secretKey") == 0 ||
            strcmp(key, "whiteRemoteAddress") == 0 || strcmp(key, "admin") == 0) {
            ok = scalar(v, name, key, &text, error);
            if (ok && strcmp(key, "accessKey") == 0) {
                g_free(a->access_key);
                a->access_key = g_strdup(text);
            } else if (ok && strcmp(key, "secretKey") == 0) {
                g_free(a->secret_key);
                a->secret_key = g_strdup(text);
            } else if (ok && strcmp(key, "whiteRemoteAddress") == 0) {
                g_free(a->white_remote_address);
                a->white_remote_address = g_strdup(text != NULL ? text : "");
            } else if (ok) {
                if (text == NULL || g_ascii_strcasecmp(text, "false") == 0)
                    a->admin = FALSE;
                else if (g_ascii_strcasecmp(text, "true") == 0)
                    a->admin = TRUE;
                else
                    ok = fail(error, name, v->line, key, "expected true or false, not \"%s\"",
                              text);
            }
        } else if (strcmp(key, "defaultTopicPerm") == 0) {
            ok = perm_value(v, name, key, &a->default_topic_perm, &a->default_topic_perm_text,
                            error);
        } else if (strcmp(key, "defaultGroupPerm") == 0) {
            ok = perm_value(v, name, key, &a->default_group_perm, &a->default_group_perm_text,
                            error);
        } else if (strcmp(key, "topicPerms") == 0) {
            ok = resource_perms(v, name, key, FALSE, a, error);
        } else if (strcmp(key, "groupPerms") == 0) {
            ok = resource_perms(v, name, key, TRUE, a, error);
        } else {
            ok = fail(error, name, k->line, key,
                      "unknown account key (expected accessKey, secretKey, whiteRemoteAddress, "
                      "admin, defaultTopicPerm, defaultGroupPerm, topicPerms, groupPerms)");
        }
        if (!ok)
            return FALSE;
    }
    if (!key_length_ok(a->access_key) || !key_length_ok(a->secret_key))
        return fail(error, name, m->line, key_length_ok(a->access_key) ? "secretKey" : "accessKey",
                    "missing or not longer than %d characters", RMQ_ACL_KEY_MIN_LENGTH);
    if (a->white_remote_address == NULL)
        a->white_remote_address = g_strdup("");
    g_autoptr(GError) pattern_error = NULL;
    a->white = rmq_acl_address_parse(a->white_remote_address, &pattern_error);
    if (a->white == NULL)
        return fail(error, name, m->line, "whiteRemoteAddress", "%s", pattern_error->message);
    return TRUE;
}

static RmqAclAccount *
account_parse(const Node *m, const gchar *name, GError **error)
{
    if (m->type != NODE_MAP) {
        fail(error, name, m->line, "accounts", "each account is a map (accessKey: ...)");
        return NULL;
    }
    RmqAclAccount *a = g_new0(RmqAclAccount, 1);
    a->line = m->line;
    a->default_topic_perm = a->default_group_perm = RMQ_ACL_PERM_DENY;
    a->perms = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    a->topic_perms = g_ptr_array_new_with_free_func(g_free);
    a->group_perms = g_ptr_array_new_with_free_func(g_free);
    if (!account_fill(a, m, name, error)) {
        account_free(a);
        return NULL;
    }
    return a;
}

static gboolean
data_version(const Node *v, const gchar *name, RmqAclConfig *c, GError **error)
{
    /* dataVersion: [ { timestamp: N, counter: N } ] as Java writes it. */
    if (v->type != NODE_SEQ || v->items->len == 0)
        return TRUE;
    const Node *m = g_ptr_array_index(v->items, 0);
    if (m->type != NODE_MAP)
        return fail(error, name, m->line, "dataVersion", "expected timestamp and counter");
    for (guint i = 0; i + 1 < m->items->len; i += 2) {
        const Node *k = g_ptr_array_index(m->items, i), *val = g_ptr_array_index(m->items, i + 1);
        gint64 *field = NULL;
        if (k->type == NODE_SCALAR && strcmp(k->text, "timestamp") == 0)
            field = &c->version_timestamp;
        else if (k->type == NODE_SCALAR && strcmp(k->text, "counter") == 0)
            field = &c->version_counter;
        if (field == NULL)
            continue;
        if (val->type != NODE_SCALAR ||
            !g_ascii_string_to_signed(val->text, 10, 0, G_MAXINT64, field, NULL))
            return fail(error, name, val->line, "dataVersion", "expected a whole number");
    }
    return TRUE;
}

RmqAclConfig *
rmq_acl_config_parse(const gchar *text, gsize len, const gchar *name, GError **error)
{
    g_return_val_if_fail(text != NULL && name != NULL, NULL);
    Node *root = NULL;
    if (!parse_yaml(text, len, name, &root, error))
        return NULL;
    g_autoptr(RmqAclConfig) c = g_new0(RmqAclConfig, 1);
    c->name = g_strdup(name);
    c->global_white_texts = g_ptr_array_new_with_free_func(g_free);
    c->global_whites = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_acl_address_free);
    c->accounts = g_ptr_array_new_with_free_func((GDestroyNotify) account_free);
    c->by_key = g_hash_table_new(g_str_hash, g_str_equal);
    gboolean ok = TRUE;
    if (root != NULL && root->type == NODE_SCALAR && root->plain_null) {
        /* an empty document: no rules */
    } else if (root != NULL && root->type != NODE_MAP) {
        ok = fail(error, name, root->line, NULL,
                  "expected keys globalWhiteRemoteAddresses and accounts at the top");
    }
    for (guint i = 0; ok && root != NULL && root->type == NODE_MAP && i + 1 < root->items->len;
         i += 2) {
        const Node *k = g_ptr_array_index(root->items, i), *v = g_ptr_array_index(root->items, i + 1);
        if (k->type != NODE_SCALAR) {
            ok = fail(error, name, k->line, NULL, "a key must be a plain word");
        } else if (strcmp(k->text, "globalWhiteRemoteAddresses") == 0) {
            ok = scalar_list(v, name, k->text, c->global_white_texts, error);
            for (guint j = 0; ok && j < c->global_white_texts->len; j++) {
                g_autoptr(GError) pe = NULL;
                RmqAclAddress *a = rmq_acl_address_parse(g_ptr_array_index(c->global_white_texts, j), &pe);
                if (a == NULL)
                    ok = fail(error, name, v->line, k->text, "%s", pe->message);
                else
                    g_ptr_array_add(c->global_whites, a);
            }
        } else if (strcmp(k->text, "accounts") == 0) {
            if (v->type == NODE_SCALAR && v->plain_null)
                continue;
            if (v->type != NODE_SEQ) {
                ok = fail(error, name, v->line, k->text, "expected a list of accounts");
                continue;
            }
            for (guint j = 0; ok && j < v->items->len; j++) {
                RmqAclAccount *a = account_parse(g_ptr_array_index(v->items, j), name, error);
                if (a == NULL) {
                    ok = FALSE;
                } else if (g_hash_table_contains(c->by_key, a->access_key)) {
                    const RmqAclAccount *first = g_hash_table_lookup(c->by_key, a->access_key);
                    ok = fail(error, name, a->line, "accessKey", "%s is already defined at line %u",
                              a->access_key, first->line);
                    account_free(a);
                } else {
                    g_ptr_array_add(c->accounts, a);
                    g_hash_table_insert(c->by_key, a->access_key, a);
                }
            }
        } else if (strcmp(k->text, "dataVersion") == 0) {
            ok = data_version(v, name, c, error);
        } else {
            ok = fail(error, name, k->line, k->text,
                      "unknown key (expected globalWhiteRemoteAddresses, accounts or dataVersion)");
        }
    }
    node_free(root);
    return ok ? g_steal_pointer(&c) : NULL;
}

RmqAclConfig *
rmq_acl_config_load(const gchar *path, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    GStatBuf st;
    if (g_stat(path, &st) == 0 && st.st_size > RMQ_ACL_MAX_FILE_SIZE) {
        g_set_error(error, RMQ_ACL_ERROR, RMQ_ACL_ERROR_CONFIG,
                    "%s: %" G_GINT64_FORMAT " bytes, larger than the %d allowed", path,
                    (gint64) st.st_size, RMQ_ACL_MAX_FILE_SIZE);
        return NULL;
    }
    g_autofree gchar *text = NULL;
    gsize len;
    g_autoptr(GError) read_error = NULL;
    if (!g_file_get_contents(path, &text, &len, &read_error)) {
        g_set_error(error, RMQ_ACL_ERROR, RMQ_ACL_ERROR_CONFIG, "%s", read_error->message);
        return NULL;
    }
    if (len > RMQ_ACL_MAX_FILE_SIZE) {
        g_set_error(error, RMQ_ACL_ERROR, RMQ_ACL_ERROR_CONFIG,
                    "%s: %" G_GSIZE_FORMAT " bytes, larger than the %d allowed", path, len,
                    RMQ_ACL_MAX_FILE_SIZE);
        return NULL;
    }
    return rmq_acl_config_parse(text, len, path, error);
}
