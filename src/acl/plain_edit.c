/* Edits of plain_acl.yml by the ACL admin codes (see plain_edit.h). */
#include <config.h>

#include <string.h>
#include <yaml.h>

#include "acl/plain_edit.h"

/* One account as it is written out: borrowed strings, NULL = key left out. */
typedef struct {
    const gchar *access_key;
    const gchar *secret_key;
    const gchar *white;
    gboolean admin;
    const gchar *default_topic_perm;
    const gchar *default_group_perm;
    GPtrArray *topic_perms;
    GPtrArray *group_perms;
} View;

static void
view_of(View *v, const RmqAclAccount *a)
{
    v->access_key = a->access_key;
    v->secret_key = a->secret_key;
    v->white = a->white_remote_address != NULL && *a->white_remote_address != '\0'
                   ? a->white_remote_address
                   : NULL;
    v->admin = a->admin;
    v->default_topic_perm = a->default_topic_perm_text;
    v->default_group_perm = a->default_group_perm_text;
    v->topic_perms = a->topic_perms->len > 0 ? a->topic_perms : NULL;
    v->group_perms = a->group_perms->len > 0 ? a->group_perms : NULL;
}

const gchar *
rmq_acl_perm_name(guint8 perm)
{
    if (perm & RMQ_ACL_PERM_DENY)
        return "DENY";
    if ((perm & RMQ_ACL_PERM_PUB) && (perm & RMQ_ACL_PERM_SUB))
        return "PUB|SUB";
    if (perm & RMQ_ACL_PERM_PUB)
        return "PUB";
    if (perm & RMQ_ACL_PERM_SUB)
        return "SUB";
    return "DENY";
}

/* --- writing YAML ---------------------------------------------------------- */

static int
write_to_string(void *data, unsigned char *buffer, size_t size)
{
    g_string_append_len(data, (const gchar *) buffer, (gssize) size);
    return 1;
}

/* Would a YAML 1.1 reader (Java's snakeyaml) take this plain text for a
 * number, a boolean or null? Then it is quoted, so a secret of digits stays
 * a string. Errs on the side of quoting. */
static gboolean
looks_typed(const gchar *t)
{
    static const gchar *const words[] = { "true", "false", "yes", "no", "on", "off", "y", "n",
                                          "null", "~", ".inf", ".nan" };
    if (*t == '\0' || g_ascii_isdigit(*t) || *t == '+' || *t == '-' || *t == '.')
        return TRUE;
    for (gsize i = 0; i < G_N_ELEMENTS(words); i++)
        if (g_ascii_strcasecmp(t, words[i]) == 0)
            return TRUE;
    return FALSE;
}

static void
emit(yaml_emitter_t *e, yaml_event_t *ev)
{
    /* Emitting into memory fails only on bad event order, a bug here. */
    if (!yaml_emitter_emit(e, ev))
        g_error("plain ACL: YAML emitter: %s", e->problem != NULL ? e->problem : "failed");
}

static void
emit_text(yaml_emitter_t *e, const gchar *text, gboolean typed)
{
    yaml_event_t ev;
    gboolean quote = !typed && looks_typed(text);
    yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *) text, (int) strlen(text),
                                 !quote, 1,
                                 quote ? YAML_SINGLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
    emit(e, &ev);
}

static void
emit_string(yaml_emitter_t *e, const gchar *text)
{
    emit_text(e, text, FALSE);
}

static void
start_map(yaml_emitter_t *e)
{
    yaml_event_t ev;
    yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    emit(e, &ev);
}

static void
end_map(yaml_emitter_t *e)
{
    yaml_event_t ev;
    yaml_mapping_end_event_initialize(&ev);
    emit(e, &ev);
}

static void
start_seq(yaml_emitter_t *e)
{
    yaml_event_t ev;
    yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
    emit(e, &ev);
}

static void
end_seq(yaml_emitter_t *e)
{
    yaml_event_t ev;
    yaml_sequence_end_event_initialize(&ev);
    emit(e, &ev);
}

static void
emit_list(yaml_emitter_t *e, const gchar *key, GPtrArray *items)
{
    emit_string(e, key);
    if (items->len == 0) {
        yaml_event_t ev;
        yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_FLOW_SEQUENCE_STYLE);
        emit(e, &ev);
    } else {
        start_seq(e);
    }
    for (guint i = 0; i < items->len; i++)
        emit_string(e, g_ptr_array_index(items, i));
    end_seq(e);
}

static void
emit_account(yaml_emitter_t *e, const View *v)
{
    start_map(e);
    emit_string(e, "accessKey");
    emit_string(e, v->access_key);
    emit_string(e, "secretKey");
    emit_string(e, v->secret_key);
    if (v->white != NULL) {
        emit_string(e, "whiteRemoteAddress");
        emit_string(e, v->white);
    }
    emit_string(e, "admin");
    emit_text(e, v->admin ? "true" : "false", TRUE);
    if (v->default_topic_perm != NULL) {
        emit_string(e, "defaultTopicPerm");
        emit_string(e, v->default_topic_perm);
    }
    if (v->default_group_perm != NULL) {
        emit_string(e, "defaultGroupPerm");
        emit_string(e, v->default_group_perm);
    }
    if (v->topic_perms != NULL)
        emit_list(e, "topicPerms", v->topic_perms);
    if (v->group_perms != NULL)
        emit_list(e, "groupPerms", v->group_perms);
    end_map(e);
}

/* The whole file: @whites (of gchar*), @views (of View*), dataVersion. */
static gchar *
render(GPtrArray *whites, GPtrArray *views, gint64 timestamp, gint64 counter)
{
    GString *out = g_string_new(NULL);
    yaml_emitter_t e;
    yaml_event_t ev;
    yaml_emitter_initialize(&e);
    yaml_emitter_set_output(&e, write_to_string, out);
    yaml_emitter_set_unicode(&e, 1);
    yaml_emitter_set_width(&e, -1);
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    emit(&e, &ev);
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    emit(&e, &ev);
    start_map(&e);
    emit_list(&e, "globalWhiteRemoteAddresses", whites);
    emit_string(&e, "accounts");
    start_seq(&e);
    for (guint i = 0; i < views->len; i++)
        emit_account(&e, g_ptr_array_index(views, i));
    end_seq(&e);
    /* Java's order inside: counter, then timestamp */
    emit_string(&e, "dataVersion");
    start_seq(&e);
    start_map(&e);
    g_autofree gchar *c = g_strdup_printf("%" G_GINT64_FORMAT, counter);
    g_autofree gchar *t = g_strdup_printf("%" G_GINT64_FORMAT, timestamp);
    emit_string(&e, "counter");
    emit_text(&e, c, TRUE);
    emit_string(&e, "timestamp");
    emit_text(&e, t, TRUE);
    end_map(&e);
    end_seq(&e);
    end_map(&e);
    yaml_document_end_event_initialize(&ev, 1);
    emit(&e, &ev);
    yaml_stream_end_event_initialize(&ev);
    emit(&e, &ev);
    yaml_emitter_delete(&e);
    return g_string_free(out, FALSE);
}

static GPtrArray *
views_of(const RmqAclConfig *c, const gchar *skip_key)
{
    GPtrArray *views = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < c->accounts->len; i++) {
        const RmqAclAccount *a = g_ptr_array_index(c->accounts, i);
        if (skip_key != NULL && strcmp(a->access_key, skip_key) == 0)
            continue;
        View *v = g_new0(View, 1);
        view_of(v, a);
        g_ptr_array_add(views, v);
    }
    return views;
}

gchar *
rmq_acl_config_to_yaml(const RmqAclConfig *c)
{
    g_return_val_if_fail(c != NULL, NULL);
    g_autoptr(GPtrArray) views = views_of(c, NULL);
    return render(c->global_white_texts, views, c->version_timestamp, c->version_counter);
}

/* Render, then parse the result back: the caller gets the text only when rmq
 * itself would load it. */
static gchar *
finish(const RmqAclConfig *c, GPtrArray *whites, GPtrArray *views, gint64 now_ms,
       RmqAclConfig **out, GError **error)
{
    g_autofree gchar *text = render(whites, views, now_ms, c->version_counter + 1);
    gsize len = strlen(text);
    if (len > RMQ_ACL_MAX_FILE_SIZE) {
        /* the next load would refuse it */
        g_set_error(error, RMQ_ACL_ERROR, RMQ_ACL_ERROR_EDIT,
                    "the ACL file would be %" G_GSIZE_FORMAT " bytes, larger than the %d allowed",
                    len, RMQ_ACL_MAX_FILE_SIZE);
        return NULL;
    }
    g_autoptr(GError) local = NULL;
    RmqAclConfig *parsed = rmq_acl_config_parse(text, len, c->name, &local);
    if (parsed == NULL) {
        g_set_error(error, RMQ_ACL_ERROR, RMQ_ACL_ERROR_EDIT, "%s", local->message);
        return NULL;
    }
    if (out != NULL)
        *out = parsed;
    else
        rmq_acl_config_free(parsed);
    return g_steal_pointer(&text);
}

static gboolean
edit_error(GError **error, const gchar *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean
edit_error(GError **error, const gchar *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree gchar *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(error, RMQ_ACL_ERROR, RMQ_ACL_ERROR_EDIT, msg);
    return FALSE;
}

/* "a=PUB,b=SUB" -> lines, checked as Java's Permission.checkResourcePerms
 * (and one "=" only, as the file parser wants). */
static GPtrArray *
resource_list(const gchar *text, GError **error)
{
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) items = g_strsplit(text, ",", -1);
    for (gchar **it = items; *it != NULL; it++) {
        const gchar *eq = strchr(*it, '=');
        g_autofree gchar *res = eq != NULL ? g_strstrip(g_strndup(*it, (gsize) (eq - *it))) : NULL;
        g_autofree gchar *word = eq != NULL ? g_strstrip(g_strdup(eq + 1)) : NULL;
        if (eq == NULL || strchr(eq + 1, '=') != NULL || *res == '\0' || *word == '\0') {
            edit_error(error,
                       "Parse Resource format error for %s.\n"
                       "The expected resource format is 'Res=Perm'. For example: topicA=SUB",
                       *it);
            return NULL;
        }
        guint8 perm;
        if (!rmq_acl_perm_parse(word, &perm)) {
            edit_error(error,
                       "Parse resource permission error for %s.\n"
                       "The expected permissions are 'SUB' or 'PUB' or 'SUB|PUB' or 'PUB|SUB'.",
                       *it);
            return NULL;
        }
        g_ptr_array_add(lines, g_strdup(*it));
    }
    return g_steal_pointer(&lines);
}

static gboolean
key_ok(const gchar *k)
{
    return k != NULL && strlen(k) > RMQ_ACL_KEY_MIN_LENGTH;
}

gchar *
rmq_acl_edit_update_account(const RmqAclConfig *c, const RmqAclAccountUpdate *u, gint64 now_ms,
                            RmqAclConfig **out, GError **error)
{
    g_return_val_if_fail(c != NULL && u != NULL, NULL);
    /* Java's checkPlainAccessConfig (its remark prints null for a missing key) */
    if (!key_ok(u->access_key) || !key_ok(u->secret_key)) {
        edit_error(error,
                   "The accessKey=%s and secretKey=%s cannot be null and length should longer "
                   "than 6",
                   u->access_key != NULL ? u->access_key : "null",
                   u->secret_key != NULL ? u->secret_key : "null");
        return NULL;
    }
    g_autoptr(GPtrArray) topics = NULL, groups = NULL;
    if (u->topic_perms != NULL && (topics = resource_list(u->topic_perms, error)) == NULL)
        return NULL;
    if (u->group_perms != NULL && (groups = resource_list(u->group_perms, error)) == NULL)
        return NULL;
    const gchar *defaults[] = { u->default_topic_perm, u->default_group_perm };
    for (gsize i = 0; i < G_N_ELEMENTS(defaults); i++) {
        guint8 perm;
        if (defaults[i] != NULL && *defaults[i] != '\0' &&
            !rmq_acl_perm_parse(defaults[i], &perm)) {
            edit_error(error,
                       "%s=%s: expected one of the permissions PUB, SUB, PUB|SUB, DENY",
                       i == 0 ? "defaultTopicPerm" : "defaultGroupPerm", defaults[i]);
            return NULL;
        }
    }
    g_autoptr(GPtrArray) views = views_of(c, u->access_key);
    View *v = g_new0(View, 1);
    const RmqAclAccount *old = rmq_acl_config_account(c, u->access_key);
    if (old != NULL)
        view_of(v, old);
    /* Java's createAclAccessConfigMap: given fields overwrite, admin always */
    v->access_key = u->access_key;
    v->secret_key = u->secret_key;
    if (u->white_remote_address != NULL)
        v->white = *u->white_remote_address != '\0' ? u->white_remote_address : NULL;
    v->admin = u->admin;
    if (u->default_topic_perm != NULL && *u->default_topic_perm != '\0')
        v->default_topic_perm = u->default_topic_perm;
    if (u->default_group_perm != NULL && *u->default_group_perm != '\0')
        v->default_group_perm = u->default_group_perm;
    if (topics != NULL)
        v->topic_perms = topics;
    if (groups != NULL)
        v->group_perms = groups;
    g_ptr_array_add(views, v);
    return finish(c, c->global_white_texts, views, now_ms, out, error);
}

gchar *
rmq_acl_edit_delete_account(const RmqAclConfig *c, const gchar *access_key, gint64 now_ms,
                            RmqAclConfig **out, GError **error)
{
    g_return_val_if_fail(c != NULL, NULL);
    if (access_key == NULL || *access_key == '\0' ||
        rmq_acl_config_account(c, access_key) == NULL) {
        edit_error(error,
                   "The accesskey[%s] corresponding to accessConfig has been deleted failed.",
                   access_key != NULL ? access_key : "null");
        return NULL;
    }
    g_autoptr(GPtrArray) views = views_of(c, access_key);
    return finish(c, c->global_white_texts, views, now_ms, out, error);
}

gchar *
rmq_acl_edit_set_global_whites(const RmqAclConfig *c, const gchar *addresses, gint64 now_ms,
                               RmqAclConfig **out, GError **error)
{
    g_return_val_if_fail(c != NULL, NULL);
    if (addresses == NULL) {
        edit_error(error, "The globalWhiteAddresses[null] has been updated failed.");
        return NULL;
    }
    g_autoptr(GPtrArray) whites = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) items = g_strsplit(addresses, ",", -1);
    for (gchar **it = items; *it != NULL; it++) {
        g_autofree gchar *t = g_strstrip(g_strdup(*it));
        if (*t == '\0')
            continue;
        g_autoptr(GError) pe = NULL;
        g_autoptr(RmqAclAddress) a = rmq_acl_address_parse(t, &pe);
        if (a == NULL) {
            edit_error(error, "%s", pe->message);
            return NULL;
        }
        g_ptr_array_add(whites, g_steal_pointer(&t));
    }
    g_autoptr(GPtrArray) views = views_of(c, NULL);
    return finish(c, whites, views, now_ms, out, error);
}
