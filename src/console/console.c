/* rmq-console's daemon: the libsoup-3.0 server on the main loop, basic
 * authentication, the CSRF token that every POST must carry, static pages
 * from the GResource, the TPS sampler, and the hand-off of every cluster
 * call to a worker thread (GTask) with its own RmqAdmin. */
#include <config.h>

#include "console/console.h"
#include "console/listener.h"
#include "common/log.h"
#include "client/rmq-client.h"
#include "common/secret_file.h"
#include "remoting/json_body.h"

#include <crypt.h>
#include <libsoup/soup.h>
#include <string.h>
#include <sys/random.h>

#define RES_PREFIX "/org/rmq/console"
#define HISTORY_POINTS 120          /* /api/tps: the last 120 samples */
#define HOUR_MS (3600 * 1000)
#define DAY_MS (24 * HOUR_MS)
#define DAY_STEP_MS (2 * 60 * 1000)  /* the 24-hour chart: one point per 2 minutes */
#define PERSIST_US (60 * G_USEC_PER_SEC)
#define SAMPLES_FILE "console-samples.json"
#define STATE_FILE "console-state.json"
#define MAX_BODY (64 * 1024)

typedef struct {
    RmqDaemon *daemon;
    SoupServer *server;
    RmqConsoleListener *listener;
    gchar *listen;           /* "http://127.0.0.1:8080/" */
    gchar *namesrv;
    GBytes *csrf_secret;     /* random per process: each account's token is its HMAC */
    GPtrArray *accounts;     /* of RmqConsoleAccount; empty = no authentication */
    gchar *dummy_hash;       /* checked for unknown names (rmq_console_authenticate) */
    gchar *config_namesrv;   /* namesrvAddr as the config file gave it */
    gchar *state_dir;        /* $STATE_DIRECTORY (first entry), NULL = nothing kept on disk */
    gchar *access_key;       /* accessKey: every request is signed (plain ACL) */
    gchar *secret_key;       /* read from secretKeyFile at start */
    guint sample_source;
    guint sample_ms;
    gboolean sampling;
    gint64 last_sample_us;
    GHashTable *last_offsets; /* topic -> gint64* sum of max offsets */
    GHashTable *topic_tps;    /* topic -> gdouble* */
    GHashTable *last_consumed; /* "group\ntopic" -> gint64* sum of consumer offsets */
    GQueue history;           /* JsonNode* points of the last hour, oldest first */
    GQueue day;               /* JsonNode* points of the last 24 h, one per DAY_STEP_MS */
    gint64 last_persist_us;
    guint64 requests;
} Console;

/* ------------------------------------------------------------- passwords */

static gint password_checks;

guint
rmq_console_password_checks(void)
{
    return (guint) g_atomic_int_get(&password_checks);
}

gboolean
rmq_console_password_ok(const gchar *password, const gchar *hash)
{
    if (password == NULL || hash == NULL || hash[0] != '$')
        return FALSE;
    g_atomic_int_inc(&password_checks);
    struct crypt_data *cd = g_new0(struct crypt_data, 1);
    const gchar *out = crypt_r(password, hash, cd);
    gboolean ok = FALSE;
    if (out != NULL && out[0] == '$') {
        gsize n = strlen(hash);
        /* compare every byte: the time does not tell how much matched */
        guchar diff = strlen(out) != n;
        for (gsize i = 0; i < n && out[i] != '\0'; i++)
            diff |= (guchar) (out[i] ^ hash[i]);
        ok = diff == 0;
    }
    explicit_bzero(cd, sizeof *cd);
    g_free(cd);
    return ok;
}

void
rmq_console_account_free(RmqConsoleAccount *a)
{
    if (a == NULL)
        return;
    g_free(a->name);
    if (a->hash != NULL)
        explicit_bzero(a->hash, strlen(a->hash));
    g_free(a->hash);
    g_free(a);
}

GPtrArray *
rmq_console_accounts_new(const gchar *user, const gchar *hash, const gchar *const *entries)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_console_account_free);
    if (user != NULL && *user != '\0' && hash != NULL && *hash != '\0') {
        RmqConsoleAccount *a = g_new0(RmqConsoleAccount, 1);
        a->name = g_strdup(user);
        a->hash = g_strdup(hash);
        a->admin = TRUE; /* the single user of before accounts: may change things */
        g_ptr_array_add(out, a);
    }
    for (guint i = 0; entries != NULL && entries[i] != NULL; i++) {
        g_auto(GStrv) f = g_strsplit(entries[i], ":", 3);
        if (g_strv_length(f) != 3 || *f[0] == '\0' || f[2][0] != '$' ||
            rmq_console_account_find(out, f[0]) != NULL)
            continue; /* the config's validation refuses these; never half an account */
        gboolean admin = strcmp(f[1], "admin") == 0;
        if (!admin && strcmp(f[1], "viewer") != 0)
            continue;
        RmqConsoleAccount *a = g_new0(RmqConsoleAccount, 1);
        a->name = g_strdup(f[0]);
        a->hash = g_strdup(f[2]);
        a->admin = admin;
        g_ptr_array_add(out, a);
        explicit_bzero(f[2], strlen(f[2]));
    }
    return out;
}

const RmqConsoleAccount *
rmq_console_account_find(GPtrArray *accounts, const gchar *name)
{
    for (guint i = 0; name != NULL && accounts != NULL && i < accounts->len; i++) {
        const RmqConsoleAccount *a = accounts->pdata[i];
        if (strcmp(a->name, name) == 0)
            return a;
    }
    return NULL;
}

gchar *
rmq_console_dummy_hash(GPtrArray *accounts)
{
    if (accounts == NULL || accounts->len == 0)
        return NULL;
    const RmqConsoleAccount *first = accounts->pdata[0];
    guchar pw[16];
    if (getrandom(pw, sizeof pw, 0) != (gssize) sizeof pw)
        for (guint i = 0; i < sizeof pw; i++)
            pw[i] = (guchar) g_random_int();
    g_autofree gchar *text = g_base64_encode(pw, sizeof pw);
    explicit_bzero(pw, sizeof pw);
    struct crypt_data *cd = g_new0(struct crypt_data, 1);
    /* the first account's hash as the setting: same method, cost and salt length */
    const gchar *out = crypt_r(text, first->hash, cd);
    gchar *hash = out != NULL && out[0] == '$' ? g_strdup(out) : NULL;
    explicit_bzero(cd, sizeof *cd);
    g_free(cd);
    explicit_bzero(text, strlen(text));
    return hash;
}

const RmqConsoleAccount *
rmq_console_authenticate(GPtrArray *accounts, const gchar *dummy_hash, const gchar *user,
                         const gchar *password)
{
    const RmqConsoleAccount *a = rmq_console_account_find(accounts, user);
    /* an unknown name costs one crypt(3) too: the time does not tell which names exist */
    gboolean ok = rmq_console_password_ok(password, a != NULL ? a->hash : dummy_hash);
    return ok && a != NULL ? a : NULL;
}

guint
rmq_console_access(GPtrArray *accounts, const RmqConsoleAccount *account, gboolean change)
{
    if (accounts == NULL || accounts->len == 0)
        return 0; /* no authentication: whoever reaches the console may change things */
    if (account == NULL)
        return 401; /* e.g. removed by a reload after the auth domain let the request in */
    return change && !account->admin ? 403 : 0;
}

gchar *
rmq_console_csrf_token(GBytes *secret, const gchar *account)
{
    gsize len;
    const guchar *key = g_bytes_get_data(secret, &len);
    return g_compute_hmac_for_string(G_CHECKSUM_SHA256, key, len, account ? account : "", -1);
}

static gint
default_port(const gchar *scheme)
{
    return g_ascii_strcasecmp(scheme, "https") == 0 ? 443 : 80;
}

/* scheme, host and port of @uri against @self's. */
static gboolean
origin_matches(const gchar *text, GUri *self)
{
    g_autoptr(GUri) u = g_uri_parse(text, G_URI_FLAGS_NONE, NULL);
    if (u == NULL || g_uri_get_scheme(u) == NULL || g_uri_get_host(u) == NULL)
        return FALSE; /* "null" (sandboxed or opaque origins) included */
    const gchar *scheme = g_uri_get_scheme(self);
    gint port = g_uri_get_port(u) > 0 ? g_uri_get_port(u) : default_port(g_uri_get_scheme(u));
    gint own = g_uri_get_port(self) > 0 ? g_uri_get_port(self) : default_port(scheme);
    return g_ascii_strcasecmp(g_uri_get_scheme(u), scheme) == 0 &&
           g_ascii_strcasecmp(g_uri_get_host(u), g_uri_get_host(self)) == 0 && port == own;
}

gboolean
rmq_console_origin_ok(const gchar *origin, const gchar *referer, GUri *self)
{
    if (origin != NULL)
        return self != NULL && origin_matches(origin, self);
    if (referer != NULL)
        return self != NULL && origin_matches(referer, self);
    return TRUE; /* not a browser, or one that sends neither: the token decides */
}

static gboolean
token_equal(const gchar *a, const gchar *b)
{
    if (a == NULL || b == NULL || strlen(a) != strlen(b))
        return FALSE;
    guchar diff = 0;
    for (gsize i = 0; a[i]; i++)
        diff |= (guchar) (a[i] ^ b[i]);
    return diff == 0;
}

/* The client's address, for log lines. (transfer full) */
static gchar *
peer(SoupServerMessage *msg)
{
    GSocketAddress *a = soup_server_message_get_remote_address(msg);
    if (a == NULL || !G_IS_INET_SOCKET_ADDRESS(a))
        return g_strdup("?");
    return g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(a)));
}

/* The user name of the request's basic authentication (already checked by
 * the auth domain when the handler runs). (transfer full) NULL when none. */
static gchar *
request_user(SoupServerMessage *msg)
{
    const gchar *h = soup_message_headers_get_one(soup_server_message_get_request_headers(msg),
                                                  "Authorization");
    if (h == NULL || g_ascii_strncasecmp(h, "Basic ", 6) != 0)
        return NULL;
    gsize len = 0;
    g_autofree guchar *raw = g_base64_decode(h + 6, &len);
    g_autofree gchar *text = g_strndup((const gchar *) raw, len);
    if (raw != NULL)
        explicit_bzero(raw, len);
    gchar *colon = strchr(text, ':');
    gchar *user = colon ? g_strndup(text, (gsize) (colon - text)) : NULL;
    explicit_bzero(text, len);
    return user;
}

/* -------------------------------------------------------------- responses */

static void
common_headers(SoupServerMessage *msg)
{
    SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
    soup_message_headers_replace(h, "X-Content-Type-Options", "nosniff");
    soup_message_headers_replace(h, "X-Frame-Options", "DENY");
    soup_message_headers_replace(h, "Referrer-Policy", "no-referrer");
    soup_message_headers_replace(h, "Content-Security-Policy",
                                 "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
}

static void
reply_json(SoupServerMessage *msg, guint status, JsonNode *node)
{
    g_autofree gchar *text = json_to_string(node, FALSE);
    common_headers(msg);
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Cache-Control",
                                 "no-store");
    soup_server_message_set_status(msg, status, NULL);
    soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_COPY, text,
                                     strlen(text));
}

static void
reply_error(SoupServerMessage *msg, guint status, const gchar *reason)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "error");
    json_builder_add_string_value(b, reason);
    json_builder_set_member_name(b, "status");
    json_builder_add_int_value(b, status);
    /* a 400 names the parameter it refuses: the page puts the message next to that field */
    g_autofree gchar *field = status == 400 ? rmq_console_error_field(reason) : NULL;
    if (field != NULL) {
        json_builder_set_member_name(b, "field");
        json_builder_add_string_value(b, field);
    }
    json_builder_end_object(b);
    g_autoptr(JsonNode) n = json_builder_get_root(b);
    reply_json(msg, status, n);
}

/* ---------------------------------------------------------------- workers */

static void
call_free(RmqConsoleCall *call)
{
    if (call == NULL)
        return;
    g_clear_pointer(&call->params, g_hash_table_unref);
    g_clear_pointer(&call->topic_tps, g_hash_table_unref);
    g_clear_pointer(&call->admin, rmq_admin_free);
    g_free(call->namesrv);
    g_free(call->access_key);
    if (call->secret_key != NULL)
        explicit_bzero(call->secret_key, strlen(call->secret_key));
    g_free(call->secret_key);
    g_free(call);
}

static GHashTable *
copy_tps(GHashTable *src)
{
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, src);
    while (g_hash_table_iter_next(&it, &k, &v))
        g_hash_table_insert(t, g_strdup(k), g_memdup2(v, sizeof(gdouble)));
    return t;
}

static RmqConsoleCall *
call_new(Console *c, GHashTable *params)
{
    RmqConsoleCall *call = g_new0(RmqConsoleCall, 1);
    call->params = params;
    call->namesrv = g_strdup(c->namesrv);
    call->topic_tps = copy_tps(c->topic_tps);
    call->access_key = g_strdup(c->access_key);
    call->secret_key = g_strdup(c->secret_key);
    return call;
}

typedef struct {
    const RmqConsoleRoute *route; /* NULL: /metrics */
    SoupServerMessage *msg;
} Pending;

static void
secret_free(gchar *secret)
{
    if (secret != NULL)
        explicit_bzero(secret, strlen(secret));
    g_free(secret);
}

/* An admin for one worker, signing as accessKey when one is configured. */
static RmqAdmin *
admin_new(const gchar *namesrv, const gchar *access_key, const gchar *secret_key)
{
    RmqAdmin *a = rmq_admin_new(namesrv, NULL);
    if (access_key != NULL)
        rmq_instance_set_credentials(rmq_admin_get_instance(a), access_key, secret_key, NULL);
    return a;
}

static void
run_call(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    (void) source;
    (void) cancellable;
    RmqConsoleCall *call = task_data;
    Pending *p = g_object_get_data(G_OBJECT(task), "pending");
    /* the client library is single-threaded per object: one admin per call,
     * on a private context of this thread */
    call->admin = admin_new(call->namesrv, call->access_key, call->secret_key);
    GError *error = NULL;
    if (p->route != NULL) {
        JsonNode *n = p->route->fn(call, &error);
        if (n != NULL)
            g_task_return_pointer(task, n, (GDestroyNotify) json_node_unref);
        else
            g_task_return_error(task, error);
    } else {
        gchar *text = rmq_console_metrics_collect(call, &error);
        if (text != NULL)
            g_task_return_pointer(task, text, g_free);
        else
            g_task_return_error(task, error);
    }
}

static void
call_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
    (void) source;
    (void) user_data;
    GTask *task = G_TASK(res);
    Pending *p = g_object_get_data(G_OBJECT(task), "pending");
    g_autoptr(GError) error = NULL;
    gpointer out = g_task_propagate_pointer(task, &error);
    if (out == NULL) {
        guint status = rmq_console_http_status(error);
        if (status >= 500)
            g_warning("%s: %s", p->route ? p->route->path : "/metrics", error->message);
        reply_error(p->msg, status, error->message);
    } else if (p->route != NULL) {
        reply_json(p->msg, 200, out);
        json_node_unref(out);
    } else {
        common_headers(p->msg);
        soup_server_message_set_status(p->msg, 200, NULL);
        soup_server_message_set_response(p->msg, "text/plain; version=0.0.4; charset=utf-8",
                                         SOUP_MEMORY_TAKE, out, strlen(out));
    }
    soup_server_message_unpause(p->msg);
}

static void
pending_free(gpointer data)
{
    Pending *p = data;
    g_object_unref(p->msg);
    g_free(p);
}

static void
dispatch(Console *c, SoupServerMessage *msg, const RmqConsoleRoute *route, GHashTable *params)
{
    Pending *p = g_new0(Pending, 1);
    p->route = route;
    p->msg = g_object_ref(msg);
    soup_server_message_pause(msg);
    g_autoptr(GTask) task = g_task_new(NULL, NULL, call_done, NULL);
    g_object_set_data_full(G_OBJECT(task), "pending", p, pending_free);
    g_task_set_task_data(task, call_new(c, params), (GDestroyNotify) call_free);
    g_task_run_in_thread(task, run_call);
}

/* ------------------------------------------------------------- parameters */

static void
add_json_scalar(JsonObject *o, const gchar *name, JsonNode *n, gpointer user_data)
{
    (void) o;
    GHashTable *params = user_data;
    if (!JSON_NODE_HOLDS_VALUE(n))
        return;
    GType t = json_node_get_value_type(n);
    gchar *v;
    if (t == G_TYPE_STRING)
        v = g_strdup(json_node_get_string(n));
    else if (t == G_TYPE_BOOLEAN)
        v = g_strdup(json_node_get_boolean(n) ? "true" : "false");
    else if (t == G_TYPE_INT64)
        v = g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(n));
    else
        v = g_strdup_printf("%.0f", json_node_get_double(n));
    g_hash_table_replace(params, g_strdup(name), v);
}

/* Query string and (POST) body merged into one table; FALSE + reason on a
 * body that cannot be read. */
static GHashTable *
read_params(SoupServerMessage *msg, GHashTable *query, gchar **reason)
{
    GHashTable *params = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    if (query != NULL) {
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, query);
        while (g_hash_table_iter_next(&it, &k, &v))
            g_hash_table_replace(params, g_strdup(k), g_strdup(v));
        /* the token never comes from the URL: URLs end up in logs and histories */
        g_hash_table_remove(params, "_csrf");
    }
    if (strcmp(soup_server_message_get_method(msg), "POST") != 0)
        return params;
    SoupMessageBody *body = soup_server_message_get_request_body(msg);
    if (body == NULL || body->length == 0)
        return params;
    if (body->length > MAX_BODY) {
        *reason = g_strdup("request body too large");
        g_hash_table_unref(params);
        return NULL;
    }
    const gchar *ctype = soup_message_headers_get_content_type(
        soup_server_message_get_request_headers(msg), NULL);
    if (ctype != NULL && strcmp(ctype, "application/json") == 0) {
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GError) error = NULL;
        if (!json_parser_load_from_data(parser, body->data, (gssize) body->length, &error) ||
            !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
            *reason = g_strdup_printf("body: expected a JSON object%s%s", error ? ": " : "",
                                      error ? error->message : "");
            g_hash_table_unref(params);
            return NULL;
        }
        json_object_foreach_member(json_node_get_object(json_parser_get_root(parser)),
                                   add_json_scalar, params);
    } else if (ctype != NULL && strcmp(ctype, "application/x-www-form-urlencoded") == 0) {
        g_autofree gchar *text = g_strndup(body->data, body->length);
        g_autoptr(GHashTable) form = soup_form_decode(text);
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, form);
        while (g_hash_table_iter_next(&it, &k, &v))
            g_hash_table_replace(params, g_strdup(k), g_strdup(v));
    } else {
        *reason = g_strdup("body: send application/json or application/x-www-form-urlencoded");
        g_hash_table_unref(params);
        return NULL;
    }
    return params;
}

/* -------------------------------------------------------------- handlers */

static JsonNode *
tps_history(Console *c)
{
    JsonArray *a = json_array_new();
    guint skip = c->history.length > HISTORY_POINTS ? c->history.length - HISTORY_POINTS : 0;
    for (GList *l = c->history.head; l; l = l->next)
        if (skip > 0)
            skip--;
        else
            json_array_add_element(a, json_node_copy(l->data));
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "intervalMs", c->sample_ms);
    json_object_set_array_member(o, "points", a);
    return rmq_json_node_take_object(o);
}

/* /api/charts: the samples of the last hour (every sample) or of the last
 * 24 hours (one per DAY_STEP_MS), as the sampler keeps them. */
static JsonNode *
charts(Console *c, const gchar *range, gchar **reason)
{
    gboolean day = g_strcmp0(range, "day") == 0;
    if (range != NULL && !day && strcmp(range, "hour") != 0) {
        *reason = g_strdup("range must be hour or day");
        return NULL;
    }
    JsonArray *a = json_array_new();
    for (GList *l = (day ? c->day : c->history).head; l; l = l->next)
        json_array_add_element(a, json_node_copy(l->data));
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "range", day ? "day" : "hour");
    json_object_set_int_member(o, "intervalMs", day ? DAY_STEP_MS : c->sample_ms);
    json_object_set_array_member(o, "points", a);
    return rmq_json_node_take_object(o);
}

static void save_state(Console *c);

/* POST /api/namesrv: the console's name-server list, switched at once and
 * kept in the state file (the config file is not touched). */
static void
switch_namesrv(Console *c, SoupServerMessage *msg, GHashTable *params)
{
    const gchar *list = g_hash_table_lookup(params, "namesrvAddr");
    g_autofree gchar *clean = NULL;
    if (list != NULL) {
        /* commas and blanks as the client library accepts them; one ';' each */
        g_auto(GStrv) parts = g_strsplit_set(list, ";, ", -1);
        g_autoptr(GStrvBuilder) b = g_strv_builder_new();
        for (guint i = 0; parts[i]; i++)
            if (*parts[i] != '\0')
                g_strv_builder_add(b, parts[i]);
        g_auto(GStrv) v = g_strv_builder_end(b);
        clean = g_strjoinv(";", v);
    }
    if (clean == NULL || !rmq_console_valid_namesrv_list(clean)) {
        reply_error(msg, 400, "namesrvAddr: host:port;host:port with ports from 1 to 65535");
        return;
    }
    g_autofree gchar *from = peer(msg);
    g_message("name servers switched from %s to %s (from %s)", c->namesrv, clean, from);
    g_free(c->namesrv);
    c->namesrv = g_steal_pointer(&clean);
    save_state(c);
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "namesrvAddr", c->namesrv);
    json_object_set_boolean_member(o, "saved", c->state_dir != NULL);
    g_autoptr(JsonNode) n = rmq_json_node_take_object(o);
    reply_json(msg, 200, n);
}

static void
api_handler(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
            gpointer user_data)
{
    (void) server;
    Console *c = user_data;
    c->requests++;
    const gchar *method = soup_server_message_get_method(msg);

    g_autofree gchar *user = c->accounts->len > 0 ? request_user(msg) : NULL;
    const RmqConsoleAccount *account = rmq_console_account_find(c->accounts, user);
    if (rmq_console_access(c->accounts, account, FALSE) != 0) {
        /* the auth domain let the name in, but a reload has removed it since */
        reply_error(msg, 401, "this account no longer exists");
        return;
    }
    if (strcmp(path, "/api/session") == 0 || strcmp(path, "/api/tps") == 0 ||
        (strcmp(path, "/api/charts") == 0 && strcmp(method, "GET") == 0)) {
        if (strcmp(method, "GET") != 0) {
            reply_error(msg, 405, "use GET");
            return;
        }
        g_autoptr(JsonNode) n = NULL;
        if (strcmp(path, "/api/tps") == 0) {
            n = tps_history(c);
        } else if (strcmp(path, "/api/charts") == 0) {
            g_autofree gchar *reason = NULL;
            n = charts(c, query ? g_hash_table_lookup(query, "range") : NULL, &reason);
            if (n == NULL) {
                reply_error(msg, 400, reason);
                return;
            }
        } else {
            JsonObject *o = json_object_new();
            g_autofree gchar *token =
                rmq_console_csrf_token(c->csrf_secret, account ? account->name : NULL);
            json_object_set_string_member(o, "csrfToken", token);
            if (account != NULL)
                json_object_set_string_member(o, "user", account->name);
            else
                json_object_set_null_member(o, "user");
            /* without authentication whoever reaches the console may change things */
            json_object_set_string_member(o, "role",
                                          account == NULL || account->admin ? "admin" : "viewer");
            json_object_set_string_member(o, "version", PACKAGE_VERSION);
            json_object_set_string_member(o, "namesrvAddr", c->namesrv);
            json_object_set_string_member(
                o, "lang", rmq_console_pick_lang(soup_message_headers_get_one(
                               soup_server_message_get_request_headers(msg), "Accept-Language")));
            n = rmq_json_node_take_object(o);
        }
        reply_json(msg, 200, n);
        return;
    }

    gboolean known;
    const RmqConsoleRoute *route = rmq_console_api_find(method, path, &known);
    if (route == NULL) {
        if (known) {
            gboolean k2, can_get = rmq_console_api_find("GET", path, &k2) != NULL;
            gboolean can_post = rmq_console_api_find("POST", path, &k2) != NULL;
            SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
            soup_message_headers_replace(h, "Allow", can_get && can_post ? "GET, POST"
                                                     : can_get           ? "GET"
                                                                         : "POST");
            reply_error(msg, 405, can_post ? "this action changes the cluster: use POST with the CSRF token"
                                           : "this resource is read with GET");
        } else {
            reply_error(msg, 404, "no such API");
        }
        return;
    }
    if (strcmp(route->method, "POST") == 0) {
        SoupMessageHeaders *rh = soup_server_message_get_request_headers(msg);
        g_autofree gchar *from = peer(msg);
        /* a browser says where the page that sent it came from: only the console's own */
        if (!rmq_console_origin_ok(soup_message_headers_get_one(rh, "Origin"),
                                   soup_message_headers_get_one(rh, "Referer"),
                                   soup_server_message_get_uri(msg))) {
            g_message("refused %s %s from %s: sent by a page of another origin", method, path,
                      from);
            reply_error(msg, 403, "cross-origin request refused (Origin is not this console)");
            return;
        }
        const gchar *token = soup_message_headers_get_one(rh, "X-CSRF-Token");
        g_autofree gchar *reason = NULL;
        g_autoptr(GHashTable) params = read_params(msg, query, &reason);
        if (params == NULL) {
            reply_error(msg, 400, reason);
            return;
        }
        if (token == NULL)
            token = g_hash_table_lookup(params, "_csrf"); /* a form body's, never the URL's */
        /* each account has its own token: a viewer's is no admin's */
        g_autofree gchar *expected =
            rmq_console_csrf_token(c->csrf_secret, account ? account->name : NULL);
        if (!token_equal(token, expected)) {
            reply_error(msg, 403, "missing or wrong CSRF token (GET /api/session gives it)");
            return;
        }
        g_hash_table_remove(params, "_csrf");
        if (rmq_console_access(c->accounts, account, TRUE) != 0) {
            g_autofree gchar *who = g_strescape(account->name, NULL);
            g_message("refused %s %s to viewer account '%s' from %s: viewers only read", method,
                      path, who, from);
            reply_error(msg, 403, "this account is a viewer: it may only read");
            return;
        }
        if (account != NULL) {
            g_autofree gchar *who = g_strescape(account->name, NULL);
            g_message("%s %s by account '%s' from %s", method, path, who, from);
        } else {
            g_message("%s %s from %s", method, path, from);
        }
        if (route->fn == NULL) {
            switch_namesrv(c, msg, params);
            return;
        }
        dispatch(c, msg, route, g_steal_pointer(&params));
        return;
    }
    g_autofree gchar *reason = NULL;
    GHashTable *params = read_params(msg, query, &reason);
    dispatch(c, msg, route, params);
}

static void
metrics_handler(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
                gpointer user_data)
{
    (void) server;
    (void) path;
    (void) query;
    Console *c = user_data;
    c->requests++;
    if (strcmp(soup_server_message_get_method(msg), "GET") != 0) {
        reply_error(msg, 405, "use GET");
        return;
    }
    dispatch(c, msg, NULL, g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free));
}

static const gchar *
content_type(const gchar *name)
{
    if (g_str_has_suffix(name, ".html"))
        return "text/html; charset=utf-8";
    if (g_str_has_suffix(name, ".css"))
        return "text/css; charset=utf-8";
    if (g_str_has_suffix(name, ".js"))
        return "text/javascript; charset=utf-8";
    if (g_str_has_suffix(name, ".json"))
        return "application/json";
    if (g_str_has_suffix(name, ".svg"))
        return "image/svg+xml";
    return "application/octet-stream";
}

/* Every page shares one header (skip link, brand, navigation, language
 * switch): the page holds PAGE_HEADER_MARK where partials/header.html goes.
 * (transfer full) */
#define PAGE_HEADER_MARK "<!--#include header-->\n"
static GBytes *
page_with_header(GBytes *page)
{
    gsize len;
    const gchar *text = g_bytes_get_data(page, &len);
    const gchar *mark = g_strstr_len(text, (gssize) len, PAGE_HEADER_MARK);
    g_autoptr(GBytes) header =
        mark != NULL ? g_resources_lookup_data(RES_PREFIX "/partials/header.html",
                                               G_RESOURCE_LOOKUP_FLAGS_NONE, NULL)
                     : NULL;
    if (header == NULL)
        return g_bytes_ref(page);
    GString *out = g_string_sized_new(len + g_bytes_get_size(header));
    g_string_append_len(out, text, mark - text);
    g_string_append_len(out, g_bytes_get_data(header, NULL), (gssize) g_bytes_get_size(header));
    const gchar *rest = mark + strlen(PAGE_HEADER_MARK);
    g_string_append_len(out, rest, (gssize) (text + len - rest));
    return g_string_free_to_bytes(out);
}

static void
page_handler(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
             gpointer user_data)
{
    (void) server;
    (void) query;
    Console *c = user_data;
    c->requests++;
    const gchar *method = soup_server_message_get_method(msg);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        reply_error(msg, 405, "pages are read with GET");
        return;
    }
    const gchar *name = strcmp(path, "/") == 0 ? "/index.html" : path;
    /* resource names are fixed: anything with .. or odd characters is simply not found */
    g_autofree gchar *res = g_strconcat(RES_PREFIX, name, NULL);
    g_autoptr(GBytes) data = strstr(name, "..") == NULL && !g_str_has_prefix(name, "/partials/")
                                 ? g_resources_lookup_data(res, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL)
                                 : NULL;
    if (data == NULL) {
        common_headers(msg);
        soup_server_message_set_status(msg, 404, NULL);
        const gchar *t = "not found\n";
        soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_STATIC, t, strlen(t));
        return;
    }
    common_headers(msg);
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Cache-Control",
                                 "no-cache");
    soup_server_message_set_status(msg, 200, NULL);
    g_autoptr(GBytes) body = g_str_has_suffix(name, ".html") ? page_with_header(data)
                                                             : g_bytes_ref(data);
    gsize len;
    const gchar *bytes = g_bytes_get_data(body, &len);
    soup_server_message_set_response(msg, content_type(name), SOUP_MEMORY_COPY, bytes, len);
}

static gboolean
auth_check(SoupAuthDomain *domain, SoupServerMessage *msg, const char *username,
           const char *password, gpointer user_data)
{
    (void) domain;
    Console *c = user_data;
    gboolean ok = rmq_console_authenticate(c->accounts, c->dummy_hash, username, password) != NULL;
    if (!ok) {
        /* the user name, never the password */
        g_autofree gchar *from = peer(msg);
        g_autofree gchar *who = g_strescape(username ? username : "", NULL);
        g_message("authentication failed for user '%s' from %s", who, from);
    }
    return ok;
}

/* libsoup 3.2 (Debian 12) never closes a kept-alive connection that the
 * client closes while idle: the descriptor stays open for good. Every
 * answer, the 401s of the auth domain included, closes the connection
 * instead; the console has little traffic. */
static void
on_request_started(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
    (void) server;
    (void) user_data;
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Connection",
                                 "close");
}

/* ---------------------------------------------------------------- sampler */

typedef struct {
    JsonNode *brokers;        /* array from rmq_console_cluster_brokers */
    GHashTable *topic_offsets; /* topic -> gint64* */
    JsonObject *groups;       /* group -> lag (diffTotal) */
    GHashTable *consumed;     /* "group\ntopic" -> gint64* sum of its queues' consumer offsets */
} Sample;

static void
sample_free(Sample *s)
{
    if (s->brokers)
        json_node_unref(s->brokers);
    if (s->topic_offsets)
        g_hash_table_unref(s->topic_offsets);
    if (s->groups)
        json_object_unref(s->groups);
    if (s->consumed)
        g_hash_table_unref(s->consumed);
    g_free(s);
}

/* Every cluster and broker name is a topic too; not one anybody sends to. */
static gboolean
named_after_broker(JsonNode *brokers, const gchar *topic)
{
    JsonArray *a = brokers ? json_node_get_array(brokers) : NULL;
    for (guint i = 0; a && i < json_array_get_length(a); i++) {
        JsonObject *b = json_array_get_object_element(a, i);
        if (g_strcmp0(json_object_get_string_member(b, "brokerName"), topic) == 0 ||
            g_strcmp0(json_object_get_string_member(b, "cluster"), topic) == 0)
            return TRUE;
    }
    return FALSE;
}

typedef struct {
    gchar *namesrv, *access_key, *secret_key;
} SampleJob;

static void
sample_job_free(gpointer data)
{
    SampleJob *j = data;
    g_free(j->namesrv);
    g_free(j->access_key);
    secret_free(j->secret_key);
    g_free(j);
}

static void
run_sample(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    (void) source;
    (void) cancellable;
    const SampleJob *job = task_data;
    g_autoptr(RmqAdmin) a = admin_new(job->namesrv, job->access_key, job->secret_key);
    Sample *s = g_new0(Sample, 1);
    s->brokers = rmq_console_cluster_brokers(a, NULL);
    s->topic_offsets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(JsonNode) list = rmq_admin_topic_list(a, NULL);
    JsonArray *topics = list ? json_node_get_array(list) : NULL;
    for (guint i = 0; topics && i < json_array_get_length(topics); i++) {
        const gchar *t = json_array_get_string_element(topics, i);
        if (rmq_console_topic_is_system(t) || g_str_has_suffix(t, "_REPLY_TOPIC") ||
            named_after_broker(s->brokers, t))
            continue;
        g_autoptr(JsonNode) st = rmq_admin_topic_status(a, t, NULL);
        if (st == NULL)
            continue;
        gint64 sum = 0;
        JsonArray *qs = json_node_get_array(st);
        for (guint k = 0; k < json_array_get_length(qs); k++)
            sum += json_object_get_int_member(json_array_get_object_element(qs, k), "maxOffset");
        g_hash_table_insert(s->topic_offsets, g_strdup(t), g_memdup2(&sum, sizeof sum));
    }
    /* each consumer group's lag (CONSUMER_PROGRESS: GET_CONSUME_STATS) */
    s->groups = json_object_new();
    s->consumed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GPtrArray) groups = rmq_console_group_names(a, NULL);
    for (guint i = 0; groups && i < groups->len; i++) {
        const gchar *g = groups->pdata[i];
        if (g_str_has_prefix(g, "CID_RMQ_SYS_") || strcmp(g, "TOOLS_CONSUMER") == 0 ||
            strcmp(g, "FILTERSRV_CONSUMER") == 0 || strcmp(g, "SELF_TEST_C_GROUP") == 0 ||
            g_str_has_prefix(g, "CID_ONS"))
            continue;
        g_autoptr(JsonNode) p = rmq_admin_consumer_progress(a, g, NULL, NULL);
        if (p == NULL)
            continue;
        json_object_set_int_member(s->groups, g,
                                   json_object_get_int_member(json_node_get_object(p), "diffTotal"));
        /* what the group has consumed of each topic: the sum of its offsets */
        JsonArray *qs = rmq_json_object_get_array_or_null(json_node_get_object(p), "queues");
        for (guint k = 0; qs && k < json_array_get_length(qs); k++) {
            JsonObject *q = json_array_get_object_element(qs, k);
            const gchar *t = rmq_json_object_get_string_or(q, "topic", NULL);
            if (t == NULL || g_str_has_prefix(t, "%RETRY%") || g_str_has_prefix(t, "%DLQ%"))
                continue;
            gchar *key = g_strconcat(g, "\n", t, NULL);
            gint64 *sum = g_hash_table_lookup(s->consumed, key);
            if (sum == NULL) {
                sum = g_new0(gint64, 1);
                g_hash_table_insert(s->consumed, key, sum);
            } else {
                g_free(key);
            }
            *sum += MAX(0, rmq_json_object_get_int64_or(q, "consumerOffset", 0));
        }
    }
    g_task_return_pointer(task, s, (GDestroyNotify) sample_free);
}

/* ------------------------------------------------------------------ state */

/* Drop the points older than @keep_ms before the newest. */
static void
trim(GQueue *q, gint64 keep_ms)
{
    JsonNode *last = g_queue_peek_tail(q);
    if (last == NULL)
        return;
    gint64 newest = json_object_get_int_member(json_node_get_object(last), "time");
    while (q->length > 0) {
        JsonNode *n = g_queue_peek_head(q);
        if (json_object_get_int_member(json_node_get_object(n), "time") >= newest - keep_ms)
            break;
        json_node_unref(g_queue_pop_head(q));
    }
}

static JsonArray *
queue_array(GQueue *q)
{
    JsonArray *a = json_array_new();
    for (GList *l = q->head; l; l = l->next)
        json_array_add_element(a, json_node_copy(l->data));
    return a;
}

static void
write_file(Console *c, const gchar *name, JsonObject *o)
{
    g_autoptr(JsonNode) n = rmq_json_node_take_object(json_object_ref(o));
    g_autofree gchar *text = json_to_string(n, FALSE);
    g_autofree gchar *path = g_build_filename(c->state_dir, name, NULL);
    g_autoptr(GError) error = NULL;
    /* written to a temporary file and renamed: a crash leaves the old one */
    if (!g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0640, &error))
        g_warning("%s", error->message);
}

/* The samples, for the charts after a restart. */
static void
save_samples(Console *c)
{
    if (c->state_dir == NULL)
        return;
    g_autoptr(JsonObject) o = json_object_new();
    json_object_set_int_member(o, "version", 1);
    json_object_set_array_member(o, "hour", queue_array(&c->history));
    json_object_set_array_member(o, "day", queue_array(&c->day));
    write_file(c, SAMPLES_FILE, o);
    c->last_persist_us = g_get_monotonic_time();
}

/* The name-server list switched from the page, and the config's at the time. */
static void
save_state(Console *c)
{
    if (c->state_dir == NULL)
        return;
    g_autoptr(JsonObject) o = json_object_new();
    json_object_set_string_member(o, "namesrvAddr", c->namesrv);
    json_object_set_string_member(o, "configNamesrvAddr", c->config_namesrv);
    write_file(c, STATE_FILE, o);
}

static JsonObject *
read_file(Console *c, const gchar *name)
{
    g_autofree gchar *path = g_build_filename(c->state_dir, name, NULL);
    g_autofree gchar *text = NULL;
    gsize len;
    if (!g_file_get_contents(path, &text, &len, NULL))
        return NULL;
    g_autoptr(JsonParser) p = json_parser_new();
    if (!json_parser_load_from_data(p, text, (gssize) len, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
        g_warning("%s: not a JSON object, ignored", path);
        return NULL;
    }
    return json_object_ref(json_node_get_object(json_parser_get_root(p)));
}

static void
load_points(GQueue *q, JsonObject *o, const gchar *name, gint64 keep_ms)
{
    JsonArray *a = json_object_has_member(o, name) &&
                           JSON_NODE_HOLDS_ARRAY(json_object_get_member(o, name))
                       ? json_object_get_array_member(o, name)
                       : NULL;
    gint64 now = g_get_real_time() / 1000;
    for (guint i = 0; a && i < json_array_get_length(a); i++) {
        JsonNode *n = json_array_get_element(a, i);
        if (!JSON_NODE_HOLDS_OBJECT(n))
            continue;
        gint64 t = json_object_get_int_member_with_default(json_node_get_object(n), "time", 0);
        if (t >= now - keep_ms && t <= now + 60000)
            g_queue_push_tail(q, json_node_copy(n));
    }
}

static void
load_state(Console *c)
{
    if (c->state_dir == NULL)
        return;
    g_autoptr(JsonObject) samples = read_file(c, SAMPLES_FILE);
    if (samples != NULL) {
        load_points(&c->history, samples, "hour", HOUR_MS);
        load_points(&c->day, samples, "day", DAY_MS);
    }
    g_autoptr(JsonObject) st = read_file(c, STATE_FILE);
    const gchar *ns = st ? json_object_get_string_member_with_default(st, "namesrvAddr", NULL) : NULL;
    const gchar *was = st ? json_object_get_string_member_with_default(st, "configNamesrvAddr", NULL)
                          : NULL;
    /* the list switched from the page holds until the config file's changes */
    if (ns != NULL && rmq_console_valid_namesrv_list(ns) && g_strcmp0(was, c->config_namesrv) == 0 &&
        strcmp(ns, c->namesrv) != 0) {
        g_message("name servers %s, as switched from the page (the config file says %s)", ns,
                  c->config_namesrv);
        g_free(c->namesrv);
        c->namesrv = g_strdup(ns);
    }
}

static void
keep_point(Console *c, JsonObject *point)
{
    g_queue_push_tail(&c->history, json_node_init_object(json_node_alloc(), point));
    trim(&c->history, HOUR_MS);
    JsonNode *last = g_queue_peek_tail(&c->day);
    gint64 t = json_object_get_int_member(point, "time");
    if (last == NULL ||
        t - json_object_get_int_member(json_node_get_object(last), "time") >= DAY_STEP_MS) {
        g_queue_push_tail(&c->day, json_node_init_object(json_node_alloc(), point));
        trim(&c->day, DAY_MS);
    }
    if (g_get_monotonic_time() - c->last_persist_us >= PERSIST_US)
        save_samples(c);
}

static void
sample_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
    (void) source;
    Console *c = user_data;
    c->sampling = FALSE;
    Sample *s = g_task_propagate_pointer(G_TASK(res), NULL);
    if (s == NULL)
        return;
    gint64 now = g_get_monotonic_time();
    gdouble dt = c->last_sample_us > 0 ? (now - c->last_sample_us) / 1e6 : 0;
    JsonObject *point = json_object_new();
    json_object_set_int_member(point, "time", g_get_real_time() / 1000);
    JsonObject *brokers = json_object_new();
    JsonArray *ba = s->brokers ? json_node_get_array(s->brokers) : NULL;
    for (guint i = 0; ba && i < json_array_get_length(ba); i++) {
        JsonObject *b = json_array_get_object_element(ba, i);
        if (!json_object_get_boolean_member(b, "up"))
            continue;
        JsonObject *v = json_object_new();
        json_object_set_double_member(v, "put", json_object_get_double_member(b, "putTps"));
        json_object_set_double_member(v, "get", json_object_get_double_member(b, "getTps"));
        g_autofree gchar *key = g_strdup_printf(
            "%s/%" G_GINT64_FORMAT, json_object_get_string_member(b, "brokerName"),
            json_object_get_int_member(b, "brokerId"));
        json_object_set_object_member(brokers, key, v);
    }
    json_object_set_object_member(point, "brokers", brokers);
    JsonObject *topics = json_object_new();
    g_hash_table_remove_all(c->topic_tps);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, s->topic_offsets);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        gint64 *prev = g_hash_table_lookup(c->last_offsets, k);
        if (prev != NULL && dt > 0) {
            gdouble tps = MAX(0, (*(gint64 *) v - *prev) / dt);
            g_hash_table_insert(c->topic_tps, g_strdup(k), g_memdup2(&tps, sizeof tps));
            json_object_set_double_member(topics, k, tps);
        }
    }
    json_object_set_object_member(point, "topics", topics);
    /* each topic's get TPS: what its groups consumed (committed offsets)
     * since the last sample, a group counted once it was seen twice */
    JsonObject *topics_get = json_object_new();
    g_hash_table_iter_init(&it, s->consumed);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        gint64 *prev = g_hash_table_lookup(c->last_consumed, k);
        const gchar *topic = strchr(k, '\n') + 1;
        if (prev == NULL || dt <= 0)
            continue;
        gdouble tps = MAX(0, (*(gint64 *) v - *prev) / dt);
        gdouble before = json_object_has_member(topics_get, topic)
                             ? json_object_get_double_member(topics_get, topic)
                             : 0;
        json_object_set_double_member(topics_get, topic, before + tps);
    }
    json_object_set_object_member(point, "topicsGet", topics_get);
    json_object_set_object_member(point, "groups", json_object_ref(s->groups));
    /* the first sample only sets the baseline for topic rates */
    if (dt > 0)
        keep_point(c, point);
    json_object_unref(point);
    g_hash_table_unref(c->last_offsets);
    c->last_offsets = g_steal_pointer(&s->topic_offsets);
    g_hash_table_unref(c->last_consumed);
    c->last_consumed = g_steal_pointer(&s->consumed);
    c->last_sample_us = now;
    sample_free(s);
}

static gboolean
on_sample(gpointer user_data)
{
    Console *c = user_data;
    if (c->sampling)
        return G_SOURCE_CONTINUE;
    c->sampling = TRUE;
    g_autoptr(GTask) task = g_task_new(NULL, NULL, sample_done, c);
    SampleJob *job = g_new0(SampleJob, 1);
    job->namesrv = g_strdup(c->namesrv);
    job->access_key = g_strdup(c->access_key);
    job->secret_key = g_strdup(c->secret_key);
    g_task_set_task_data(task, job, sample_job_free);
    g_task_run_in_thread(task, run_sample);
    return G_SOURCE_CONTINUE;
}

/* ----------------------------------------------------------------- daemon */

static void
console_free(Console *c)
{
    if (c == NULL)
        return;
    if (c->sample_source)
        g_source_remove(c->sample_source);
    g_clear_pointer(&c->listener, rmq_console_listener_free);
    g_clear_object(&c->server);
    g_free(c->listen);
    g_free(c->namesrv);
    g_clear_pointer(&c->csrf_secret, g_bytes_unref);
    g_clear_pointer(&c->accounts, g_ptr_array_unref);
    g_free(c->dummy_hash);
    g_free(c->config_namesrv);
    g_free(c->state_dir);
    g_free(c->access_key);
    secret_free(c->secret_key);
    /* NULL when the start failed early */
    g_clear_pointer(&c->last_offsets, g_hash_table_unref);
    g_clear_pointer(&c->topic_tps, g_hash_table_unref);
    g_clear_pointer(&c->last_consumed, g_hash_table_unref);
    g_queue_clear_full(&c->history, (GDestroyNotify) json_node_unref);
    g_queue_clear_full(&c->day, (GDestroyNotify) json_node_unref);
    g_free(c);
}

static GBytes *
random_secret(void)
{
    guchar *key = g_malloc(32);
    if (getrandom(key, 32, 0) != 32)
        for (guint i = 0; i < 32; i++)
            key[i] = (guchar) g_random_int();
    return g_bytes_new_take(key, 32);
}

static gboolean
console_start(RmqDaemon *daemon, GError **error)
{
    const RmqConfig *cfg = rmq_daemon_get_config(daemon);
    Console *c = g_new0(Console, 1);
    c->daemon = daemon;
    c->namesrv = rmq_config_namesrv_addr_string(cfg);
    if (c->namesrv == NULL || *c->namesrv == '\0') {
        g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID,
                    "namesrvAddr is not set (config file or NAMESRV_ADDR)");
        console_free(c);
        return FALSE;
    }
    static gsize registered = 0;
    if (g_once_init_enter(&registered)) {
        rmq_console_register_resource();
        g_once_init_leave(&registered, 1);
    }
    c->csrf_secret = random_secret();
    c->accounts = rmq_console_accounts_new(cfg->console_auth_user, cfg->console_auth_password_hash,
                                           (const gchar *const *) cfg->console_accounts);
    c->dummy_hash = rmq_console_dummy_hash(c->accounts);
    c->config_namesrv = g_strdup(c->namesrv);
    const gchar *sd = g_getenv("STATE_DIRECTORY");
    if (sd != NULL && *sd != '\0') {
        g_auto(GStrv) dirs = g_strsplit(sd, ":", 2);
        c->state_dir = g_strdup(dirs[0]);
    }
    if (cfg->access_key != NULL && *cfg->access_key != '\0') {
        g_autoptr(GError) local = NULL;
        c->secret_key = rmq_secret_file_read(cfg->secret_key_file, &local);
        if (c->secret_key == NULL) {
            g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID, "secretKeyFile %s",
                        local->message);
            console_free(c);
            return FALSE;
        }
        c->access_key = g_strdup(cfg->access_key);
    }
    c->last_offsets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    c->topic_tps = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    c->last_consumed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_queue_init(&c->history);
    g_queue_init(&c->day);
    load_state(c);
    c->last_persist_us = g_get_monotonic_time();

    c->server = soup_server_new("server-header", "rmq-console", NULL);
    g_signal_connect(c->server, "request-started", G_CALLBACK(on_request_started), NULL);
    if (c->accounts->len > 0) {
        SoupAuthDomain *d = soup_auth_domain_basic_new("realm", "rmq-console", NULL);
        soup_auth_domain_basic_set_auth_callback(d, auth_check, c, NULL);
        soup_auth_domain_add_path(d, "/");
        soup_server_add_auth_domain(c->server, d);
        g_object_unref(d);
    }
    soup_server_add_handler(c->server, "/api", api_handler, c, NULL);
    soup_server_add_handler(c->server, "/metrics", metrics_handler, c, NULL);
    soup_server_add_handler(c->server, "/", page_handler, c, NULL);

    g_autoptr(GSocketAddress) addr =
        g_inet_socket_address_new_from_string(cfg->console_listen_address,
                                              (guint) cfg->console_listen_port);
    /* tests shorten the request deadline; operators keep 10 s */
    const gchar *rt = g_getenv("RMQ_CONSOLE_REQUEST_TIMEOUT_MS");
    guint request_ms = rt ? (guint) CLAMP(g_ascii_strtoull(rt, NULL, 10), 100, 600000)
                          : RMQ_CONSOLE_REQUEST_TIMEOUT_MS;
    if (addr != NULL)
        c->listener = rmq_console_listener_new(c->server, addr, 0, request_ms, error);
    if (addr == NULL || c->listener == NULL) {
        if (addr == NULL)
            g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID,
                        "consoleListenAddress %s is not an address", cfg->console_listen_address);
        else
            g_prefix_error(error, "listening on %s port %d: ", cfg->console_listen_address,
                           cfg->console_listen_port);
        console_free(c);
        return FALSE;
    }
    /* tlsEnable: every call to the cluster over TLS (the client library's
     * process-wide default, as Java's -Dtls.enable) */
    if (cfg->tls.enable) {
        g_autoptr(GError) local = NULL;
        if (!rmq_instance_set_default_tls(!cfg->tls.test_mode_enable && cfg->tls.client_auth_server,
                                          cfg->tls.client_trust_cert_path,
                                          cfg->tls.client_cert_path, cfg->tls.client_key_path,
                                          cfg->tls.client_key_password, &local)) {
            g_propagate_error(error, g_steal_pointer(&local));
            console_free(c);
            return FALSE;
        }
    }
    gboolean https = cfg->console_tls_cert_path != NULL && *cfg->console_tls_cert_path != '\0';
    if (https || (cfg->console_tls_key_path != NULL && *cfg->console_tls_key_path != '\0')) {
        g_autoptr(GTlsCertificate) cert = NULL;
        g_autoptr(GError) local = NULL;
        if (!https || cfg->console_tls_key_path == NULL || *cfg->console_tls_key_path == '\0')
            g_set_error(&local, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID,
                        "consoleTlsCertPath and consoleTlsKeyPath go together");
        else
            cert = g_tls_certificate_new_from_files(cfg->console_tls_cert_path,
                                                    cfg->console_tls_key_path, &local);
        if (cert == NULL) {
            g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID,
                        "consoleTlsCertPath %s, consoleTlsKeyPath %s: %s",
                        cfg->console_tls_cert_path ? cfg->console_tls_cert_path : "(unset)",
                        cfg->console_tls_key_path ? cfg->console_tls_key_path : "(unset)",
                        local->message);
            console_free(c);
            return FALSE;
        }
        rmq_console_listener_set_tls(c->listener, cert);
    }
    gboolean v6 = strchr(cfg->console_listen_address, ':') != NULL;
    c->listen = g_strdup_printf(v6 ? "%s://[%s]:%d/" : "%s://%s:%d/", https ? "https" : "http",
                                cfg->console_listen_address, cfg->console_listen_port);

    /* tests shorten the sampling period; operators keep 5 s */
    const gchar *ms = g_getenv("RMQ_CONSOLE_SAMPLE_MS");
    c->sample_ms = ms ? (guint) CLAMP(g_ascii_strtoull(ms, NULL, 10), 100, 60000) : 5000;
    c->sample_source = g_timeout_add(c->sample_ms, on_sample, c);
    on_sample(c);

    rmq_daemon_set_data(daemon, c);
    rmq_log_event(G_LOG_LEVEL_INFO, RMQ_MSGID_STARTED, "RMQ_LISTEN", c->listen, "MESSAGE",
                  "console on %s for name servers %s%s, at most %u connections", c->listen,
                  c->namesrv, c->accounts->len > 0 ? " (basic authentication)" : "",
                  rmq_console_listener_get_cap(c->listener));
    return TRUE;
}

static gboolean
console_reload(RmqDaemon *daemon, const RmqConfig *fresh, GError **error)
{
    (void) error;
    Console *c = rmq_daemon_get_data(daemon);
    g_autofree gchar *ns = rmq_config_namesrv_addr_string(fresh);
    /* a change in the file wins over a list switched from the page */
    if (ns != NULL && *ns != '\0' && g_strcmp0(ns, c->config_namesrv) != 0) {
        g_free(c->config_namesrv);
        c->config_namesrv = g_strdup(ns);
        g_free(c->namesrv);
        c->namesrv = g_steal_pointer(&ns);
        g_message("name servers now %s", c->namesrv);
        save_state(c);
    }
    /* accounts and roles change at once; turning authentication on or off needs a restart */
    if (c->accounts->len > 0) {
        GPtrArray *fresh_accounts = rmq_console_accounts_new(
            fresh->console_auth_user, fresh->console_auth_password_hash,
            (const gchar *const *) fresh->console_accounts);
        if (fresh_accounts->len > 0) {
            g_ptr_array_unref(c->accounts);
            c->accounts = fresh_accounts;
            g_free(c->dummy_hash);
            c->dummy_hash = rmq_console_dummy_hash(c->accounts);
        } else {
            g_ptr_array_unref(fresh_accounts);
            g_warning("no account left in the new configuration: the old accounts stay until a restart");
        }
    }
    return TRUE;
}

static void
console_stop(RmqDaemon *daemon)
{
    Console *c = rmq_daemon_get_data(daemon);
    if (c != NULL) {
        rmq_console_listener_stop(c->listener);
        soup_server_disconnect(c->server);
        if (c->sample_source) {
            g_source_remove(c->sample_source);
            c->sample_source = 0;
        }
        save_samples(c);
    }
    rmq_daemon_stopped(daemon);
}

static gchar *
console_status(RmqDaemon *daemon)
{
    Console *c = rmq_daemon_get_data(daemon);
    if (c == NULL)
        return NULL;
    return g_strdup_printf("serving %s, %" G_GUINT64_FORMAT " requests, %u of %u connections",
                           c->listen, c->requests, rmq_console_listener_get_connections(c->listener),
                           rmq_console_listener_get_cap(c->listener));
}

const RmqDaemonOps rmq_console_daemon_ops = {
    .program = "rmq-console",
    .summary = "RocketMQ-compatible web console (pages, JSON API, Prometheus metrics)",
    .scope = RMQ_CONFIG_CONSOLE,
    .start = console_start,
    .reload = console_reload,
    .stop = console_stop,
    .status = console_status,
};
