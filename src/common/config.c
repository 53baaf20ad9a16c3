/* Reads an instance configuration (libconfig or Java .properties) into a
 * plain RmqConfig through the key table in config-keys.c. Nothing outside
 * this file sees config_t. */
/* <config.h>: a quoted "config.h" would find common/config.h next to this file */
#include <config.h>

#include "common/config.h"
#include "common/config-keys.h"
#include "common/properties.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <libconfig.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

G_DEFINE_QUARK(rmq-config-error-quark, rmq_config_error)

/* ---- small parsers ---------------------------------------------------- */

/* Long.parseLong: optional sign, digits, nothing else (no blanks). */
static gboolean parse_java_long(const gchar *text, gint64 *out)
{
    const gchar *p = text;
    gboolean neg = FALSE;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (!g_ascii_isdigit(*p))
        return FALSE;
    guint64 limit = neg ? (guint64) G_MAXINT64 + 1 : (guint64) G_MAXINT64;
    guint64 acc = 0;
    for (; *p != '\0'; p++) {
        if (!g_ascii_isdigit(*p))
            return FALSE;
        guint d = (guint) (*p - '0');
        if (acc > (limit - d) / 10)
            return FALSE;
        acc = acc * 10 + d;
    }
    if (neg)
        *out = acc == (guint64) G_MAXINT64 + 1 ? G_MININT64 : -(gint64) acc;
    else
        *out = (gint64) acc;
    return TRUE;
}

gboolean rmq_config_parse_hours(const gchar *text, guint32 *hours_mask, GError **error)
{
    g_return_val_if_fail(text != NULL, FALSE);

    g_auto(GStrv) parts = g_strsplit(text, ";", -1);
    guint32 mask = 0;
    guint count = 0;
    for (guint i = 0; parts[i] != NULL; i++) {
        gint64 hour;
        if (parts[i][0] == '\0')
            continue; /* "04;" splits like Java's String.split */
        if (!parse_java_long(parts[i], &hour)) {
            g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_TYPE,
                        "\"%s\" is not an hour", parts[i]);
            return FALSE;
        }
        if (hour < 0 || hour > 23) {
            g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_RANGE,
                        "hour %" G_GINT64_FORMAT " is not in 0..23", hour);
            return FALSE;
        }
        mask |= 1u << hour;
        count++;
    }
    if (count == 0) {
        g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_TYPE, "no hour given");
        return FALSE;
    }
    if (hours_mask != NULL)
        *hours_mask = mask;
    return TRUE;
}

gboolean rmq_config_parse_delay_levels(const gchar *text, GArray **levels_ms, GError **error)
{
    g_return_val_if_fail(text != NULL, FALSE);

    g_auto(GStrv) tokens = g_strsplit_set(text, " \t", -1);
    g_autoptr(GArray) levels = g_array_new(FALSE, FALSE, sizeof(gint64));
    for (guint i = 0; tokens[i] != NULL; i++) {
        gsize len = strlen(tokens[i]);
        if (len == 0)
            continue;
        gint64 unit_ms;
        switch (tokens[i][len - 1]) {
        case 's': unit_ms = 1000; break;
        case 'm': unit_ms = 60 * 1000; break;
        case 'h': unit_ms = 3600 * 1000; break;
        case 'd': unit_ms = 24 * 3600 * 1000; break;
        default: unit_ms = 0; break;
        }
        g_autofree gchar *number = g_strndup(tokens[i], len - 1);
        gint64 n;
        if (unit_ms == 0 || !parse_java_long(number, &n) || n < 0 || n > G_MAXINT64 / unit_ms) {
            g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_TYPE,
                        "delay level %u \"%s\" is not <number><s|m|h|d>", levels->len + 1, tokens[i]);
            return FALSE;
        }
        gint64 ms = n * unit_ms;
        g_array_append_val(levels, ms);
    }
    if (levels->len == 0) {
        g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_TYPE, "no delay level given");
        return FALSE;
    }
    if (levels_ms != NULL)
        *levels_ms = g_steal_pointer(&levels);
    return TRUE;
}

/* ---- defaults ------------------------------------------------------- */

/* RocketMQ advertises the first non-loopback address; we take IPv4 only. */
static gchar *first_ipv4(void)
{
    struct ifaddrs *list = NULL;
    gchar *found = NULL;

    if (getifaddrs(&list) == 0) {
        for (struct ifaddrs *ifa = list; ifa != NULL && found == NULL; ifa = ifa->ifa_next) {
            gchar buf[INET_ADDRSTRLEN];
            if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != AF_INET ||
                !(ifa->ifa_flags & IFF_UP) || (ifa->ifa_flags & IFF_LOOPBACK))
                continue;
            const struct sockaddr_in *sin = (const struct sockaddr_in *) (const void *) ifa->ifa_addr;
            if (inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf) != NULL)
                found = g_strdup(buf);
        }
        freeifaddrs(list);
    }
    return found != NULL ? found : g_strdup("127.0.0.1");
}

/* systemd's StateDirectory= (first entry when several are listed). */
static gchar *state_directory(void)
{
    const gchar *env = g_getenv("STATE_DIRECTORY");
    if (env == NULL || *env == '\0')
        return NULL;
    const gchar *colon = strchr(env, ':');
    gchar *dir = colon != NULL ? g_strndup(env, (gsize) (colon - env)) : g_strdup(env);
    if (*dir == '\0')
        g_clear_pointer(&dir, g_free);
    return dir;
}

static gchar **split_addrs(const gchar *text)
{
    g_auto(GStrv) parts = g_strsplit(text != NULL ? text : "", ";", -1);
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    for (guint i = 0; parts[i] != NULL; i++)
        if (parts[i][0] != '\0')
            g_strv_builder_add(b, parts[i]);
    return g_strv_builder_end(b);
}

static void set_string(gchar **field, const gchar *value)
{
    gchar *old = *field;
    *field = g_strdup(value);
    g_free(old);
}

static void take_string(gchar **field, gchar *value)
{
    g_free(*field);
    *field = value;
}

RmqConfig *rmq_config_new_defaults(RmqConfigScope scope)
{
    RmqConfig *cfg = g_new0(RmqConfig, 1);
    cfg->scope = scope;
    cfg->set_keys = g_array_new(FALSE, FALSE, sizeof(RmqConfigSetKey));

    for (guint i = 0; i < rmq_config_n_keys; i++) {
        const RmqConfigKey *key = &rmq_config_keys[i];
        switch (key->type) {
        case RMQ_CONFIG_KEY_INT:
        case RMQ_CONFIG_KEY_BOOL:
        case RMQ_CONFIG_KEY_ENUM:
            *RMQ_CONFIG_FIELD(cfg, key, gint) = (gint) key->def_int;
            break;
        case RMQ_CONFIG_KEY_INT64:
            *RMQ_CONFIG_FIELD(cfg, key, gint64) = key->def_int;
            break;
        case RMQ_CONFIG_KEY_STRING:
        case RMQ_CONFIG_KEY_HOURS:
            *RMQ_CONFIG_FIELD(cfg, key, gchar *) = g_strdup(key->def_str);
            break;
        case RMQ_CONFIG_KEY_STRV:
            *RMQ_CONFIG_FIELD(cfg, key, gchar **) = split_addrs(key->def_str);
            break;
        case RMQ_CONFIG_KEY_JAVA:
            break;
        }
    }

    /* the run-time defaults (RMQ_CONFIG_KEY_DERIVED) */
    cfg->listen_port = (scope & RMQ_CONFIG_BROKER) ? 10911 : 9876;
    cfg->ha_listen_port = cfg->listen_port + 1;
    set_string(&cfg->rocketmq_home, g_getenv("ROCKETMQ_HOME"));
    g_strfreev(cfg->namesrv_addr);
    cfg->namesrv_addr = split_addrs(g_getenv("NAMESRV_ADDR"));

    g_autofree gchar *state = state_directory();
    const gchar *home = g_get_home_dir();
    if (state != NULL) {
        set_string(&cfg->store_path_root_dir, state);
        take_string(&cfg->kv_config_path, g_build_filename(state, "kvConfig.json", NULL));
        take_string(&cfg->config_store_path, g_build_filename(state, "namesrv.properties", NULL));
    } else {
        take_string(&cfg->store_path_root_dir, g_build_filename(home, "store", NULL));
        take_string(&cfg->kv_config_path, g_build_filename(home, "namesrv", "kvConfig.json", NULL));
        take_string(&cfg->config_store_path,
                    g_build_filename(home, "namesrv", "namesrv.properties", NULL));
    }
    take_string(&cfg->store_path_commit_log,
                g_build_filename(cfg->store_path_root_dir, "commitlog", NULL));
    set_string(&cfg->broker_name, g_get_host_name());
    take_string(&cfg->broker_ip1, first_ipv4());
    set_string(&cfg->broker_ip2, cfg->broker_ip1);
    return cfg;
}

/* ---- loading -------------------------------------------------------- */

typedef struct {
    RmqConfig *cfg;
    const gchar *path;
    GPtrArray *warnings;
    gchar **lines; /* the file's text, for libconfig's 32-bit check */
} Loader;

G_GNUC_PRINTF(2, 3)
static void warn(Loader *ld, const gchar *fmt, ...)
{
    va_list ap;
    if (ld->warnings == NULL)
        return;
    va_start(ap, fmt);
    g_ptr_array_add(ld->warnings, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

/* "value" with quotes and control characters escaped, UTF-8 kept. */
static gchar *quote(const gchar *text)
{
    GString *s = g_string_new("\"");
    for (const gchar *p = text; *p != '\0'; p++) {
        guchar c = (guchar) *p;
        if (c == '"' || c == '\\')
            g_string_append_printf(s, "\\%c", c);
        else if (c == '\n')
            g_string_append(s, "\\n");
        else if (c == '\t')
            g_string_append(s, "\\t");
        else if (c == '\r')
            g_string_append(s, "\\r");
        else if (c == '\f')
            g_string_append(s, "\\f");
        else if (c < 0x20 || c == 0x7f)
            g_string_append_printf(s, "\\x%02x", c);
        else
            g_string_append_c(s, (gchar) c);
    }
    g_string_append_c(s, '"');
    return g_string_free(s, FALSE);
}

static gchar *describe_expected(const RmqConfigKey *key)
{
    switch (key->type) {
    case RMQ_CONFIG_KEY_INT:
    case RMQ_CONFIG_KEY_INT64:
        if (key->max == G_MAXINT64)
            return g_strdup_printf("an integer >= %" G_GINT64_FORMAT, key->min);
        return g_strdup_printf("an integer from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                               key->min, key->max);
    case RMQ_CONFIG_KEY_BOOL:
        return g_strdup("true or false");
    case RMQ_CONFIG_KEY_STRING:
        return g_strdup("a string");
    case RMQ_CONFIG_KEY_ENUM: {
        g_autofree gchar *names = g_strjoinv(", ", (gchar **) key->enum_names);
        return g_strdup_printf("one of %s", names);
    }
    case RMQ_CONFIG_KEY_STRV:
        return g_strdup("\"host:port;host:port\" or a list of \"host:port\" strings");
    case RMQ_CONFIG_KEY_HOURS:
        return g_strdup("hours of the day 0..23 separated by ';'");
    case RMQ_CONFIG_KEY_JAVA:
        break;
    }
    return g_strdup("nothing");
}

static gboolean fail(Loader *ld, guint line, const RmqConfigKey *key, RmqConfigError code,
                     const gchar *got, GError **error)
{
    g_autofree gchar *what = describe_expected(key);
    g_set_error(error, RMQ_CONFIG_ERROR, code, "%s:%u: %s: expected %s, got %s",
                ld->path, line, key->name, what, got);
    return FALSE;
}

static gboolean fail_text(Loader *ld, guint line, const RmqConfigKey *key, RmqConfigError code,
                          const gchar *text, GError **error)
{
    g_autofree gchar *got = quote(text);
    return fail(ld, line, key, code, got, error);
}

static gboolean assign_int(Loader *ld, const RmqConfigKey *key, guint line, gint64 v,
                           GError **error)
{
    if (v < key->min || v > key->max) {
        g_autofree gchar *got = g_strdup_printf("%" G_GINT64_FORMAT, v);
        if (!(key->flags & RMQ_CONFIG_KEY_CLAMP))
            return fail(ld, line, key, RMQ_CONFIG_ERROR_RANGE, got, error);
        gint64 clamped = CLAMP(v, key->min, key->max);
        warn(ld, "%s:%u: %s %s is outside %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT
             ", using %" G_GINT64_FORMAT, ld->path, line, key->name, got, key->min, key->max, clamped);
        v = clamped;
    }
    if (key->type == RMQ_CONFIG_KEY_INT64)
        *RMQ_CONFIG_FIELD(ld->cfg, key, gint64) = v;
    else
        *RMQ_CONFIG_FIELD(ld->cfg, key, gint) = (gint) v;
    return TRUE;
}

/* A value given as text: every .properties value, and libconfig strings
 * (ported files quote numbers). @java: Boolean.parseBoolean semantics. */
static gboolean assign_text(Loader *ld, const RmqConfigKey *key, guint line, const gchar *text,
                            gboolean java, GError **error)
{
    switch (key->type) {
    case RMQ_CONFIG_KEY_INT:
    case RMQ_CONFIG_KEY_INT64: {
        gint64 v;
        if (!parse_java_long(text, &v)) {
            /* an integer too long for 64 bits is a range problem, not a type one */
            const gchar *p = text + (*text == '-' || *text == '+');
            gboolean digits = *p != '\0' && strspn(p, "0123456789") == strlen(p);
            return fail_text(ld, line, key, digits ? RMQ_CONFIG_ERROR_RANGE : RMQ_CONFIG_ERROR_TYPE,
                             text, error);
        }
        return assign_int(ld, key, line, v, error);
    }
    case RMQ_CONFIG_KEY_BOOL: {
        gboolean is_true = g_ascii_strcasecmp(text, "true") == 0;
        if (!is_true && g_ascii_strcasecmp(text, "false") != 0) {
            if (!java)
                return fail_text(ld, line, key, RMQ_CONFIG_ERROR_TYPE, text, error);
            g_autofree gchar *got = quote(text);
            warn(ld, "%s:%u: %s: %s is neither true nor false, read as false (as Java does)",
                 ld->path, line, key->name, got);
        }
        *RMQ_CONFIG_FIELD(ld->cfg, key, gboolean) = is_true;
        return TRUE;
    }
    case RMQ_CONFIG_KEY_STRING:
        if (java && *text != '\0' && strchr(" \t\f", text[strlen(text) - 1]) != NULL)
            warn(ld, "%s:%u: %s: trailing blanks kept in the value (as Java does)",
                 ld->path, line, key->name);
        set_string(RMQ_CONFIG_FIELD(ld->cfg, key, gchar *), text);
        return TRUE;
    case RMQ_CONFIG_KEY_ENUM:
        for (gint i = 0; key->enum_names[i] != NULL; i++) {
            if (strcmp(key->enum_names[i], text) == 0) {
                *RMQ_CONFIG_FIELD(ld->cfg, key, gint) = i;
                return TRUE;
            }
        }
        return fail_text(ld, line, key, RMQ_CONFIG_ERROR_RANGE, text, error);
    case RMQ_CONFIG_KEY_STRV: {
        gchar ***field = RMQ_CONFIG_FIELD(ld->cfg, key, gchar **);
        g_strfreev(*field);
        *field = split_addrs(text);
        return TRUE;
    }
    case RMQ_CONFIG_KEY_HOURS: {
        g_autoptr(GError) local = NULL;
        if (!rmq_config_parse_hours(text, NULL, &local))
            return fail_text(ld, line, key, (RmqConfigError) local->code, text, error);
        set_string(RMQ_CONFIG_FIELD(ld->cfg, key, gchar *), text);
        return TRUE;
    }
    case RMQ_CONFIG_KEY_JAVA:
        break;
    }
    return TRUE;
}

static gchar *describe_setting(const config_setting_t *s)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
        return g_strdup_printf("%d", config_setting_get_int(s));
    case CONFIG_TYPE_INT64:
        return g_strdup_printf("%lldL", config_setting_get_int64(s));
    case CONFIG_TYPE_FLOAT:
        return g_strdup_printf("%g", config_setting_get_float(s));
    case CONFIG_TYPE_BOOL:
        return g_strdup(config_setting_get_bool(s) ? "true" : "false");
    case CONFIG_TYPE_STRING:
        return quote(config_setting_get_string(s));
    case CONFIG_TYPE_ARRAY:
    case CONFIG_TYPE_LIST:
        return g_strdup("a list");
    case CONFIG_TYPE_GROUP:
        return g_strdup("a group");
    default:
        return g_strdup("nothing");
    }
}

/* libconfig 1.5 silently wraps integer literals beyond 32 bits that lack an
 * L suffix; compare with the literal on the setting's line to catch it.
 * Returns the literal when it differs from what libconfig read. */
static gchar *wrapped_literal(Loader *ld, guint line, const gchar *name, gint64 read)
{
    if (ld->lines == NULL || line == 0 || line > g_strv_length(ld->lines))
        return NULL;
    const gchar *text = ld->lines[line - 1];
    gsize name_len = strlen(name);
    for (const gchar *p = strstr(text, name); p != NULL; p = strstr(p + 1, name)) {
        if (p > text && (g_ascii_isalnum(p[-1]) || p[-1] == '_' || p[-1] == '-'))
            continue;
        const gchar *q = p + name_len;
        q += strspn(q, " \t");
        if (*q != '=' && *q != ':')
            continue;
        q++;
        q += strspn(q, " \t");
        gboolean hex = q[0] == '0' && (q[1] == 'x' || q[1] == 'X');
        gchar *end = NULL;
        errno = 0;
        gint64 lit = g_ascii_strtoll(q, &end, hex ? 16 : 10);
        if (end == q)
            return NULL;
        if (errno == ERANGE || lit != read)
            return g_strndup(q, (gsize) (end - q));
        return NULL;
    }
    return NULL;
}

static gboolean assign_setting(Loader *ld, const RmqConfigKey *key, const config_setting_t *s,
                               GError **error)
{
    guint line = config_setting_source_line(s);
    gint type = config_setting_type(s);
    gboolean is_int = type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64;
    gboolean is_list = type == CONFIG_TYPE_ARRAY || type == CONFIG_TYPE_LIST;

    if (type == CONFIG_TYPE_STRING)
        return assign_text(ld, key, line, config_setting_get_string(s), FALSE, error);

    if ((key->type == RMQ_CONFIG_KEY_INT || key->type == RMQ_CONFIG_KEY_INT64) && is_int) {
        gint64 v = config_setting_get_int64(s);
        if (type == CONFIG_TYPE_INT) {
            g_autofree gchar *lit = wrapped_literal(ld, line, key->name, v);
            if (lit != NULL) {
                g_autofree gchar *got =
                    g_strdup_printf("%s (libconfig needs an L suffix beyond 32 bits)", lit);
                return fail(ld, line, key, RMQ_CONFIG_ERROR_RANGE, got, error);
            }
        }
        return assign_int(ld, key, line, v, error);
    }
    if (key->type == RMQ_CONFIG_KEY_BOOL && type == CONFIG_TYPE_BOOL) {
        *RMQ_CONFIG_FIELD(ld->cfg, key, gboolean) = config_setting_get_bool(s) ? TRUE : FALSE;
        return TRUE;
    }
    if (key->type == RMQ_CONFIG_KEY_HOURS && (is_int || is_list)) {
        g_autoptr(GString) hours = g_string_new(NULL);
        gint n = is_list ? config_setting_length(s) : 1;
        for (gint i = 0; i < n; i++) {
            const config_setting_t *e = is_list ? config_setting_get_elem(s, (guint) i) : s;
            gint et = config_setting_type(e);
            if (hours->len > 0)
                g_string_append_c(hours, ';');
            if (et == CONFIG_TYPE_INT || et == CONFIG_TYPE_INT64) {
                gint64 h = config_setting_get_int64(e);
                if (h < 0 || h > 23) {
                    g_autofree gchar *got = describe_setting(e);
                    return fail(ld, line, key, RMQ_CONFIG_ERROR_RANGE, got, error);
                }
                g_string_append_printf(hours, "%02d", (gint) h);
            } else if (et == CONFIG_TYPE_STRING) {
                g_string_append(hours, config_setting_get_string(e));
            } else {
                g_autofree gchar *got = describe_setting(e);
                return fail(ld, line, key, RMQ_CONFIG_ERROR_TYPE, got, error);
            }
        }
        return assign_text(ld, key, line, hours->str, FALSE, error);
    }
    if (key->type == RMQ_CONFIG_KEY_STRV && is_list) {
        g_autoptr(GStrvBuilder) b = g_strv_builder_new();
        for (gint i = 0; i < config_setting_length(s); i++) {
            const config_setting_t *e = config_setting_get_elem(s, (guint) i);
            if (config_setting_type(e) != CONFIG_TYPE_STRING) {
                g_autofree gchar *got = describe_setting(e);
                return fail(ld, line, key, RMQ_CONFIG_ERROR_TYPE, got, error);
            }
            g_strv_builder_add(b, config_setting_get_string(e));
        }
        gchar ***field = RMQ_CONFIG_FIELD(ld->cfg, key, gchar **);
        g_strfreev(*field);
        *field = g_strv_builder_end(b);
        return TRUE;
    }
    g_autofree gchar *got = describe_setting(s);
    return fail(ld, line, key, RMQ_CONFIG_ERROR_TYPE, got, error);
}

/* The key to assign, or NULL after a warning saying why it is ignored. */
static const RmqConfigKey *lookup(Loader *ld, const gchar *name, guint line)
{
    const RmqConfigKey *key = rmq_config_key_find(name);
    if (key == NULL && rmq_config_key_tls_alias(name, NULL) != NULL) /* tls.server.mode, ... */
        key = rmq_config_key_find(rmq_config_key_tls_alias(name, NULL));
    if (key == NULL) {
        warn(ld, "%s:%u: unknown key '%s' ignored", ld->path, line, name);
        return NULL;
    }
    if (!(key->scope & ld->cfg->scope)) {
        warn(ld, "%s:%u: key '%s' is not used by the %s, ignored", ld->path, line, name,
             (ld->cfg->scope & RMQ_CONFIG_BROKER)    ? "broker"
             : (ld->cfg->scope & RMQ_CONFIG_CONSOLE) ? "console"
                                                     : "name server");
        return NULL;
    }
    if (key->type == RMQ_CONFIG_KEY_JAVA) {
        warn(ld, "%s:%u: key '%s' has no effect yet: it only applies to the Java implementation",
             ld->path, line, name);
        return NULL;
    }
    if (key->flags & RMQ_CONFIG_KEY_NO_EFFECT)
        warn(ld, "%s:%u: key '%s' has no effect yet: rmq reads it but does not act on it",
             ld->path, line, name);
    return key;
}

static gint find_set(const RmqConfig *cfg, guint key_index)
{
    for (guint i = 0; cfg->set_keys != NULL && i < cfg->set_keys->len; i++)
        if (g_array_index(cfg->set_keys, RmqConfigSetKey, i).key == key_index)
            return (gint) i;
    return -1;
}

/* Line where @name was set, 0 if it was not (or is unknown). */
static guint set_line(const RmqConfig *cfg, const gchar *name)
{
    const RmqConfigKey *key = rmq_config_key_find(name);
    if (key == NULL)
        return 0;
    gint i = find_set(cfg, (guint) (key - rmq_config_keys));
    return i < 0 ? 0 : g_array_index(cfg->set_keys, RmqConfigSetKey, i).line;
}

static void mark_set(Loader *ld, const RmqConfigKey *key, guint line)
{
    RmqConfigSetKey sk = { (guint) (key - rmq_config_keys), line };
    gint i = find_set(ld->cfg, sk.key);
    if (i >= 0) { /* .properties only: libconfig rejects duplicates itself */
        RmqConfigSetKey *old = &g_array_index(ld->cfg->set_keys, RmqConfigSetKey, i);
        warn(ld, "%s:%u: key '%s' set again, overriding line %u", ld->path, line, key->name,
             old->line);
        old->line = line;
        return;
    }
    g_array_append_val(ld->cfg->set_keys, sk);
}

/* The setting name a libconfig line starts with ("  brokerId = 0;" ->
 * "brokerId"), NULL when the line does not start with one. (transfer full) */
static gchar *setting_name_at(Loader *ld, gint line)
{
    if (ld->lines == NULL || line <= 0 || (guint) line > g_strv_length(ld->lines))
        return NULL;
    const gchar *p = ld->lines[line - 1];
    p += strspn(p, " \t");
    gsize n = 0;
    while (g_ascii_isalnum(p[n]) || p[n] == '_' || p[n] == '-' || p[n] == '*')
        n++;
    return n > 0 ? g_strndup(p, n) : NULL;
}

static gboolean load_libconfig(Loader *ld, GError **error)
{
    config_t lc;
    config_init(&lc);
    if (!config_read_file(&lc, ld->path)) {
        if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
            g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_IO, "%s: cannot read the file",
                        ld->path);
        else {
            gint line = config_error_line(&lc);
            g_autofree gchar *name = setting_name_at(ld, line);
            g_autofree gchar *what = NULL;
            if (name != NULL && strstr(config_error_text(&lc), "duplicate") != NULL) {
                gint first = 0;
                for (gint l = 1; l < line && first == 0; l++) {
                    g_autofree gchar *n = setting_name_at(ld, l);
                    if (g_strcmp0(n, name) == 0)
                        first = l;
                }
                what = first > 0 ? g_strdup_printf("%s: set a second time (first on line %d)",
                                                   name, first)
                                 : g_strdup_printf("%s: set a second time", name);
            } else {
                what = g_strdup(config_error_text(&lc));
            }
            g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_SYNTAX, "%s:%d: %s",
                        config_error_file(&lc) != NULL ? config_error_file(&lc) : ld->path,
                        config_error_line(&lc), what);
        }
        config_destroy(&lc);
        return FALSE;
    }

    const config_setting_t *root = config_root_setting(&lc);
    gboolean ok = TRUE;
    for (gint i = 0; ok && i < config_setting_length(root); i++) {
        const config_setting_t *s = config_setting_get_elem(root, (guint) i);
        guint line = config_setting_source_line(s);
        const RmqConfigKey *key = lookup(ld, config_setting_name(s), line);
        if (key == NULL)
            continue;
        ok = assign_setting(ld, key, s, error);
        if (ok)
            mark_set(ld, key, line);
    }
    config_destroy(&lc);
    return ok;
}

static gboolean load_properties(Loader *ld, const gchar *text, gsize len, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(GPtrArray) props = rmq_properties_parse(text, (gssize) len, ld->path, &local);
    if (props == NULL) {
        g_set_error_literal(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_SYNTAX, local->message);
        return FALSE;
    }
    for (guint i = 0; i < props->len; i++) {
        const RmqProperty *prop = g_ptr_array_index(props, i);
        const RmqConfigKey *key = lookup(ld, prop->key, prop->line);
        if (key == NULL)
            continue;
        if (!assign_text(ld, key, prop->line, prop->value, TRUE, error))
            return FALSE;
        mark_set(ld, key, prop->line);
    }
    return TRUE;
}

/* tlsConfigFile: a Java tls.properties. As in Java its values override the
 * same settings made elsewhere (here: in the daemon's own file, with a
 * warning); tls.server.mode, tls.enable and tls.config.file are not read from it. */
static gboolean load_tls_file(Loader *main, GError **error)
{
    RmqConfig *cfg = main->cfg;
    if (cfg->tls.config_file == NULL || *cfg->tls.config_file == '\0')
        return TRUE;
    g_autofree gchar *text = NULL;
    gsize len = 0;
    g_autoptr(GError) local = NULL;
    if (!g_file_get_contents(cfg->tls.config_file, &text, &len, &local)) {
        g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_IO, "tlsConfigFile %s",
                    local->message);
        return FALSE;
    }
    g_autoptr(GPtrArray) props =
        rmq_properties_parse(text, (gssize) len, cfg->tls.config_file, &local);
    if (props == NULL) {
        g_set_error_literal(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_SYNTAX, local->message);
        return FALSE;
    }
    Loader ld = { cfg, cfg->tls.config_file, main->warnings, NULL };
    for (guint i = 0; i < props->len; i++) {
        const RmqProperty *prop = g_ptr_array_index(props, i);
        gboolean in_file = FALSE;
        const gchar *name = rmq_config_key_tls_alias(prop->key, &in_file);
        if (name == NULL || !in_file) {
            warn(&ld, "%s:%u: '%s' is not read from a TLS config file, ignored", ld.path,
                 prop->line, prop->key);
            continue;
        }
        const RmqConfigKey *key = rmq_config_key_find(name);
        if (!(key->scope & cfg->scope))
            continue;
        if (set_line(cfg, name) != 0)
            warn(&ld, "%s:%u: %s overrides %s set at %s:%u", ld.path, prop->line, prop->key,
                 name, main->path, set_line(cfg, name));
        if (!assign_text(&ld, key, prop->line, prop->value, TRUE, error))
            return FALSE;
    }
    return TRUE;
}

/* Defaults that follow other keys unless the file set them. */
static void derive(RmqConfig *cfg)
{
    /* Java's broker: -Dtls.enable, by default true when tls.server.mode is enforcing */
    if (set_line(cfg, "tlsEnable") == 0)
        cfg->tls.enable = cfg->tls.server_mode == 2; /* RMQ_TLS_MODE_ENFORCING */
    if (set_line(cfg, "haListenPort") == 0)
        cfg->ha_listen_port = cfg->listen_port + 1;
    if (set_line(cfg, "storePathCommitLog") == 0)
        take_string(&cfg->store_path_commit_log,
                    g_build_filename(cfg->store_path_root_dir, "commitlog", NULL));
    /* A broker bound to one address is reached there: advertise it unless
     * brokerIP1 says otherwise (Java has no bindAddress to follow). */
    if (set_line(cfg, "brokerIP1") == 0 && cfg->bind_address != NULL &&
        g_strcmp0(cfg->bind_address, "0.0.0.0") != 0 && g_strcmp0(cfg->bind_address, "::") != 0 &&
        *cfg->bind_address != '\0')
        set_string(&cfg->broker_ip1, cfg->bind_address);
    if (set_line(cfg, "brokerIP2") == 0)
        set_string(&cfg->broker_ip2, cfg->broker_ip1);
    /* a consume queue file holds whole 20-byte units (MessageStoreConfig rounds up) */
    gint64 cq = cfg->mapped_file_size_consume_queue;
    if (cq % 20 != 0 && cq <= G_MAXINT - 20)
        cfg->mapped_file_size_consume_queue = cq + 20 - cq % 20;
}

RmqConfig *rmq_config_load(const gchar *path, RmqConfigScope scope, GPtrArray *warnings,
                           GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);

    g_autofree gchar *text = NULL;
    gsize len = 0;
    g_autoptr(GError) local = NULL;
    if (!g_file_get_contents(path, &text, &len, &local)) {
        g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_IO, "%s", local->message);
        return NULL;
    }

    g_autoptr(RmqConfig) cfg = rmq_config_new_defaults(scope);
    cfg->path = g_strdup(path);
    Loader ld = { cfg, path, warnings, NULL };
    gboolean ok;
    if (g_str_has_suffix(path, ".properties")) {
        ok = load_properties(&ld, text, len, error);
    } else {
        ld.lines = g_strsplit(text, "\n", -1);
        ok = load_libconfig(&ld, error);
        g_strfreev(ld.lines);
    }
    if (!ok || !load_tls_file(&ld, error))
        return NULL;
    derive(cfg);
    if (!rmq_config_validate(cfg, error))
        return NULL;
    return g_steal_pointer(&cfg);
}

/* ---- validation ------------------------------------------------------ */

/* "file:line: " for a key set in the file, "file: " or "" otherwise. */
static gchar *where(const RmqConfig *cfg, const gchar *name)
{
    guint line = set_line(cfg, name);
    if (cfg->path == NULL)
        return g_strdup("");
    if (line == 0)
        return g_strdup_printf("%s: ", cfg->path);
    return g_strdup_printf("%s:%u: ", cfg->path, line);
}

static gboolean valid_host_port(const gchar *addr)
{
    const gchar *colon = strrchr(addr, ':');
    gint64 port;
    /* blanks would reach the resolver: Java clients fail on " host:9876" too */
    return colon != NULL && colon != addr && strpbrk(addr, " \t\f\r\n") == NULL &&
           parse_java_long(colon + 1, &port) && port >= 1 && port <= 65535;
}

static gboolean validate_ranges(const RmqConfig *cfg, GError **error)
{
    for (guint i = 0; i < rmq_config_n_keys; i++) {
        const RmqConfigKey *key = &rmq_config_keys[i];
        gint64 v;
        if (!(key->scope & cfg->scope))
            continue;
        if (key->type == RMQ_CONFIG_KEY_INT)
            v = *RMQ_CONFIG_FIELD(cfg, key, const gint);
        else if (key->type == RMQ_CONFIG_KEY_INT64)
            v = *RMQ_CONFIG_FIELD(cfg, key, const gint64);
        else if (key->type == RMQ_CONFIG_KEY_ENUM)
            v = *RMQ_CONFIG_FIELD(cfg, key, const gint);
        else
            continue;
        gboolean bad = key->type == RMQ_CONFIG_KEY_ENUM
                           ? v < 0 || v >= (gint64) g_strv_length((gchar **) key->enum_names)
                           : v < key->min || v > key->max;
        if (bad) {
            g_autofree gchar *at = where(cfg, key->name);
            g_autofree gchar *what = describe_expected(key);
            g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_RANGE,
                        "%s%s: expected %s, got %" G_GINT64_FORMAT, at, key->name, what, v);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean validate_broker(const RmqConfig *cfg, GError **error)
{
    gboolean master = cfg->broker_role != RMQ_BROKER_ROLE_SLAVE;
    if (master ? cfg->broker_id != 0 : cfg->broker_id <= 0) {
        g_autofree gchar *at = where(cfg, "brokerId");
        g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID,
                    "%sbrokerId must be %s for brokerRole %s, got %" G_GINT64_FORMAT, at,
                    master ? "0" : "> 0", master ? (cfg->broker_role == RMQ_BROKER_ROLE_SYNC_MASTER
                                                        ? "SYNC_MASTER" : "ASYNC_MASTER")
                                                 : "SLAVE",
                    cfg->broker_id);
        return FALSE;
    }

    /* the broker listens on listenPort, the VIP channel listenPort - 2 and haListenPort */
    gint vip = cfg->listen_port - 2;
    const gchar *clash = NULL;
    if (cfg->ha_listen_port == cfg->listen_port)
        clash = "listenPort";
    else if (vip >= 1 && cfg->ha_listen_port == vip)
        clash = "the VIP port (listenPort - 2)";
    if (clash != NULL) {
        g_autofree gchar *at = where(cfg, set_line(cfg, "haListenPort") ? "haListenPort" : "listenPort");
        g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID,
                    "%shaListenPort %d collides with %s", at, cfg->ha_listen_port, clash);
        return FALSE;
    }

    for (guint i = 0; cfg->namesrv_addr != NULL && cfg->namesrv_addr[i] != NULL; i++) {
        if (!valid_host_port(cfg->namesrv_addr[i])) {
            g_autofree gchar *at = where(cfg, "namesrvAddr");
            g_autofree gchar *got = quote(cfg->namesrv_addr[i]);
            g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID,
                        "%snamesrvAddr: expected host:port with a port from 1 to 65535, got %s",
                        at, got);
            return FALSE;
        }
    }

    g_autoptr(GError) local = NULL;
    if (cfg->delete_when == NULL || !rmq_config_parse_hours(cfg->delete_when, NULL, &local)) {
        g_autofree gchar *at = where(cfg, "deleteWhen");
        g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID, "%sdeleteWhen: %s", at,
                    local != NULL ? local->message : "not set");
        return FALSE;
    }
    if (cfg->message_delay_level == NULL ||
        !rmq_config_parse_delay_levels(cfg->message_delay_level, NULL, &local)) {
        g_autofree gchar *at = where(cfg, "messageDelayLevel");
        g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID, "%smessageDelayLevel: %s",
                    at, local != NULL ? local->message : "not set");
        return FALSE;
    }
    if (cfg->store_path_root_dir == NULL || *cfg->store_path_root_dir == '\0' ||
        cfg->store_path_commit_log == NULL || *cfg->store_path_commit_log == '\0') {
        g_autofree gchar *at = where(cfg, "storePathRootDir");
        g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID,
                    "%sstorePathRootDir and storePathCommitLog must not be empty", at);
        return FALSE;
    }
    if (cfg->broker_name == NULL || *cfg->broker_name == '\0' ||
        cfg->broker_cluster_name == NULL || *cfg->broker_cluster_name == '\0') {
        g_autofree gchar *at = where(cfg, "brokerName");
        g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID,
                    "%sbrokerName and brokerClusterName must not be empty", at);
        return FALSE;
    }
    return TRUE;
}

static gboolean validate_console(const RmqConfig *cfg, GError **error)
{
    guchar addr[sizeof(struct in6_addr)];
    const gchar *la = cfg->console_listen_address;
    if (la == NULL || (inet_pton(AF_INET, la, addr) != 1 && inet_pton(AF_INET6, la, addr) != 1)) {
        g_autofree gchar *at = where(cfg, "consoleListenAddress");
        g_autofree gchar *got = quote(la != NULL ? la : "");
        g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID,
                    "%sconsoleListenAddress: expected an IPv4 or IPv6 address, got %s", at, got);
        return FALSE;
    }
    for (guint i = 0; cfg->namesrv_addr != NULL && cfg->namesrv_addr[i] != NULL; i++) {
        if (!valid_host_port(cfg->namesrv_addr[i])) {
            g_autofree gchar *at = where(cfg, "namesrvAddr");
            g_autofree gchar *got = quote(cfg->namesrv_addr[i]);
            g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID,
                        "%snamesrvAddr: expected host:port with a port from 1 to 65535, got %s",
                        at, got);
            return FALSE;
        }
    }
    /* authentication is all or nothing: a user without a hash would lock everyone out */
    gboolean user = cfg->console_auth_user != NULL && *cfg->console_auth_user != '\0';
    gboolean hash = cfg->console_auth_password_hash != NULL &&
                    *cfg->console_auth_password_hash != '\0';
    if (user != hash || (user && strchr(cfg->console_auth_user, ':') != NULL)) {
        g_autofree gchar *at = where(cfg, user ? "consoleAuthUser" : "consoleAuthPasswordHash");
        g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID,
                    "%s%s", at,
                    user && hash ? "consoleAuthUser must not contain ':'"
                                 : "consoleAuthUser and consoleAuthPasswordHash go together");
        return FALSE;
    }
    /* consoleAccounts: "name:role:hash", role admin or viewer, names unique */
    for (guint i = 0; cfg->console_accounts != NULL && cfg->console_accounts[i] != NULL; i++) {
        g_auto(GStrv) f = g_strsplit(cfg->console_accounts[i], ":", 3);
        gboolean ok = g_strv_length(f) == 3 && *f[0] != '\0' &&
                      (strcmp(f[1], "admin") == 0 || strcmp(f[1], "viewer") == 0) &&
                      f[2][0] == '$' && g_strcmp0(f[0], cfg->console_auth_user) != 0;
        for (guint k = 0; ok && k < i; k++)
            ok = !g_str_has_prefix(cfg->console_accounts[k], f[0]) ||
                 cfg->console_accounts[k][strlen(f[0])] != ':';
        if (!ok) {
            g_autofree gchar *at = where(cfg, "consoleAccounts");
            /* the hash is a secret: name the entry by its account name only */
            g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID,
                        "%sconsoleAccounts entry %u (%s): expected a unique \"name:admin:$...\" "
                        "or \"name:viewer:$...\" with a crypt(3) hash",
                        at, i + 1, f[0] != NULL ? f[0] : "");
            return FALSE;
        }
    }
    if (hash && cfg->console_auth_password_hash[0] != '$') {
        g_autofree gchar *at = where(cfg, "consoleAuthPasswordHash");
        /* the value itself is a secret: never echo it */
        g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID,
                    "%sconsoleAuthPasswordHash: expected a crypt(3) hash such as "
                    "`openssl passwd -6` prints ($6$...), got something else", at);
        return FALSE;
    }
    return TRUE;
}

gboolean rmq_config_validate(const RmqConfig *cfg, GError **error)
{
    g_return_val_if_fail(cfg != NULL, FALSE);

    if (!validate_ranges(cfg, error))
        return FALSE;

    guchar addr[sizeof(struct in6_addr)];
    if (cfg->bind_address == NULL || (inet_pton(AF_INET, cfg->bind_address, addr) != 1 &&
                                      inet_pton(AF_INET6, cfg->bind_address, addr) != 1)) {
        g_autofree gchar *at = where(cfg, "bindAddress");
        g_autofree gchar *got = quote(cfg->bind_address != NULL ? cfg->bind_address : "");
        g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID,
                    "%sbindAddress: expected an IPv4 or IPv6 address, got %s", at, got);
        return FALSE;
    }
    if ((cfg->scope & RMQ_CONFIG_BROKER) && !validate_broker(cfg, error))
        return FALSE;
    if ((cfg->scope & RMQ_CONFIG_CONSOLE) && !validate_console(cfg, error))
        return FALSE;
    /* the signing account: both or neither (the file is read at start) */
    gboolean ak = cfg->access_key != NULL && *cfg->access_key != '\0';
    gboolean skf = cfg->secret_key_file != NULL && *cfg->secret_key_file != '\0';
    if ((cfg->scope & (RMQ_CONFIG_BROKER | RMQ_CONFIG_CONSOLE)) && ak != skf) {
        g_autofree gchar *at = where(cfg, ak ? "accessKey" : "secretKeyFile");
        g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID,
                    "%saccessKey and secretKeyFile go together", at);
        return FALSE;
    }
    return TRUE;
}

/* ---- copies, reload, output ----------------------------------------- */

static gboolean value_equal(const RmqConfig *a, const RmqConfig *b, const RmqConfigKey *key)
{
    switch (key->type) {
    case RMQ_CONFIG_KEY_INT:
    case RMQ_CONFIG_KEY_BOOL:
    case RMQ_CONFIG_KEY_ENUM:
        return *RMQ_CONFIG_FIELD(a, key, const gint) == *RMQ_CONFIG_FIELD(b, key, const gint);
    case RMQ_CONFIG_KEY_INT64:
        return *RMQ_CONFIG_FIELD(a, key, const gint64) == *RMQ_CONFIG_FIELD(b, key, const gint64);
    case RMQ_CONFIG_KEY_STRING:
    case RMQ_CONFIG_KEY_HOURS:
        return g_strcmp0(*RMQ_CONFIG_FIELD(a, key, gchar *const),
                         *RMQ_CONFIG_FIELD(b, key, gchar *const)) == 0;
    case RMQ_CONFIG_KEY_STRV: {
        const gchar *const *x = (const gchar *const *) *RMQ_CONFIG_FIELD(a, key, gchar **const);
        const gchar *const *y = (const gchar *const *) *RMQ_CONFIG_FIELD(b, key, gchar **const);
        static const gchar *const none[] = { NULL };
        return g_strv_equal(x != NULL ? x : none, y != NULL ? y : none);
    }
    case RMQ_CONFIG_KEY_JAVA:
        break;
    }
    return TRUE;
}

/* The value of @key's type at @to becomes a copy of the one at @from (a
 * field of an RmqConfig or of a landing struct). */
static void copy_typed(void *to, const void *from, const RmqConfigKey *key)
{
    switch (key->type) {
    case RMQ_CONFIG_KEY_INT:
    case RMQ_CONFIG_KEY_BOOL:
    case RMQ_CONFIG_KEY_ENUM:
        *(gint *) to = *(const gint *) from;
        break;
    case RMQ_CONFIG_KEY_INT64:
        *(gint64 *) to = *(const gint64 *) from;
        break;
    case RMQ_CONFIG_KEY_STRING:
    case RMQ_CONFIG_KEY_HOURS:
        set_string((gchar **) to, *(gchar *const *) from);
        break;
    case RMQ_CONFIG_KEY_STRV: {
        gchar **v = g_strdupv(*(gchar **const *) from);
        g_strfreev(*(gchar ***) to);
        *(gchar ***) to = v;
        break;
    }
    case RMQ_CONFIG_KEY_JAVA:
        break;
    }
}

/* dst's value of @key becomes a copy of src's. */
static void copy_value(RmqConfig *dst, const RmqConfig *src, const RmqConfigKey *key)
{
    copy_typed(RMQ_CONFIG_FIELD(dst, key, void), RMQ_CONFIG_FIELD(src, key, const void), key);
}

RmqConfig *rmq_config_copy(const RmqConfig *cfg)
{
    g_return_val_if_fail(cfg != NULL, NULL);

    RmqConfig *out = g_memdup2(cfg, sizeof *cfg);
    /* the shallow copy shares every pointer: give the copy its own */
    for (guint i = 0; i < rmq_config_n_keys; i++) {
        const RmqConfigKey *key = &rmq_config_keys[i];
        if (key->type == RMQ_CONFIG_KEY_STRING || key->type == RMQ_CONFIG_KEY_HOURS)
            *RMQ_CONFIG_FIELD(out, key, gchar *) = g_strdup(*RMQ_CONFIG_FIELD(cfg, key, gchar *const));
        else if (key->type == RMQ_CONFIG_KEY_STRV)
            *RMQ_CONFIG_FIELD(out, key, gchar **) = g_strdupv(*RMQ_CONFIG_FIELD(cfg, key, gchar **const));
    }
    out->path = g_strdup(cfg->path);
    out->set_keys = cfg->set_keys != NULL ? g_array_copy(cfg->set_keys)
                                          : g_array_new(FALSE, FALSE, sizeof(RmqConfigSetKey));
    return out;
}

void rmq_config_free(RmqConfig *cfg)
{
    if (cfg == NULL)
        return;
    for (guint i = 0; i < rmq_config_n_keys; i++) {
        const RmqConfigKey *key = &rmq_config_keys[i];
        if (key->type == RMQ_CONFIG_KEY_STRING || key->type == RMQ_CONFIG_KEY_HOURS)
            g_free(*RMQ_CONFIG_FIELD(cfg, key, gchar *));
        else if (key->type == RMQ_CONFIG_KEY_STRV)
            g_strfreev(*RMQ_CONFIG_FIELD(cfg, key, gchar **));
    }
    g_free(cfg->path);
    if (cfg->set_keys != NULL)
        g_array_unref(cfg->set_keys);
    g_free(cfg);
}

RmqConfig *rmq_config_merge_reloadable(const RmqConfig *current, const RmqConfig *fresh,
                                       GPtrArray *restart_needed)
{
    g_return_val_if_fail(current != NULL && fresh != NULL, NULL);

    RmqConfig *out = rmq_config_copy(current);
    for (guint i = 0; i < rmq_config_n_keys; i++) {
        const RmqConfigKey *key = &rmq_config_keys[i];
        if (key->type == RMQ_CONFIG_KEY_JAVA || !(key->scope & current->scope) ||
            value_equal(current, fresh, key))
            continue;
        if (rmq_config_key_reloads(key, current->scope))
            copy_value(out, fresh, key);
        else if (restart_needed != NULL)
            g_ptr_array_add(restart_needed, g_strdup(key->name));
    }
    /* the file now on disk is the one the lines refer to */
    g_free(out->path);
    out->path = g_strdup(fresh->path);
    g_array_unref(out->set_keys);
    out->set_keys = fresh->set_keys != NULL ? g_array_copy(fresh->set_keys)
                                            : g_array_new(FALSE, FALSE, sizeof(RmqConfigSetKey));
    return out;
}

gchar *rmq_config_describe_changes(const RmqConfig *before, const RmqConfig *after)
{
    g_return_val_if_fail(before != NULL && after != NULL, NULL);

    GString *out = g_string_new(NULL);
    for (guint i = 0; i < rmq_config_n_keys; i++) {
        const RmqConfigKey *key = &rmq_config_keys[i];
        if (key->type == RMQ_CONFIG_KEY_JAVA || !(key->scope & before->scope) ||
            value_equal(before, after, key))
            continue;
        if (out->len > 0)
            g_string_append(out, ", ");
        if (key->offset == offsetof(RmqConfig, console_auth_password_hash) ||
            key->offset == offsetof(RmqConfig, console_accounts)) {
            g_string_append_printf(out, "%s changed", key->name); /* a secret */
            continue;
        }
        g_autofree gchar *a = rmq_config_key_value_text(key, before, key->offset);
        g_autofree gchar *b = rmq_config_key_value_text(key, after, key->offset);
        g_string_append_printf(out, "%s %s -> %s", key->name, a, b);
    }
    if (out->len == 0) {
        g_string_free(out, TRUE);
        return NULL;
    }
    return g_string_free(out, FALSE);
}

gboolean rmq_config_key_is_reloadable(const gchar *key)
{
    const RmqConfigKey *k = rmq_config_key_find(key);
    return k != NULL && rmq_config_key_reloads(k, k->scope);
}

gchar *rmq_config_to_libconfig(const RmqConfig *cfg)
{
    g_return_val_if_fail(cfg != NULL, NULL);

    GString *out = g_string_new(NULL);
    if (cfg->path != NULL) {
        g_autofree gchar *name = g_path_get_basename(cfg->path);
        g_string_append_printf(out, "# converted from %s by rmq\n", name);
    }
    for (guint i = 0; cfg->set_keys != NULL && i < cfg->set_keys->len; i++) {
        const RmqConfigKey *key =
            &rmq_config_keys[g_array_index(cfg->set_keys, RmqConfigSetKey, i).key];
        g_string_append_printf(out, "%s = ", key->name);
        switch (key->type) {
        case RMQ_CONFIG_KEY_INT:
            g_string_append_printf(out, "%d", *RMQ_CONFIG_FIELD(cfg, key, const gint));
            break;
        case RMQ_CONFIG_KEY_INT64: {
            /* libconfig needs the L suffix only beyond 32 bits */
            gint64 v = *RMQ_CONFIG_FIELD(cfg, key, const gint64);
            g_string_append_printf(out, "%" G_GINT64_FORMAT "%s", v,
                                   v < G_MININT32 || v > G_MAXINT32 ? "L" : "");
            break;
        }
        case RMQ_CONFIG_KEY_BOOL:
            g_string_append(out, *RMQ_CONFIG_FIELD(cfg, key, const gboolean) ? "true" : "false");
            break;
        case RMQ_CONFIG_KEY_ENUM:
            g_string_append_printf(out, "\"%s\"",
                                   key->enum_names[*RMQ_CONFIG_FIELD(cfg, key, const gint)]);
            break;
        case RMQ_CONFIG_KEY_STRING:
        case RMQ_CONFIG_KEY_HOURS: {
            const gchar *v = *RMQ_CONFIG_FIELD(cfg, key, gchar *const);
            g_autofree gchar *q = quote(v != NULL ? v : "");
            g_string_append(out, q);
            break;
        }
        case RMQ_CONFIG_KEY_STRV: {
            gchar **v = *RMQ_CONFIG_FIELD(cfg, key, gchar **const);
            g_string_append_c(out, '[');
            for (guint j = 0; v != NULL && v[j] != NULL; j++) {
                g_autofree gchar *q = quote(v[j]);
                g_string_append_printf(out, "%s%s", j > 0 ? ", " : "", q);
            }
            g_string_append_c(out, ']');
            break;
        }
        case RMQ_CONFIG_KEY_JAVA:
            break;
        }
        g_string_append(out, ";\n");
    }
    return g_string_free(out, FALSE);
}

gchar *rmq_config_namesrv_addr_string(const RmqConfig *cfg)
{
    g_return_val_if_fail(cfg != NULL, NULL);
    return cfg->namesrv_addr != NULL ? g_strjoinv(";", cfg->namesrv_addr) : g_strdup("");
}

/* ---- landings: the subsystem structs filled from the table ------------- */

static gsize landing_offset(const RmqConfigKey *key, RmqConfigLanding landing)
{
    return key->land[landing] - 1;
}

void rmq_config_fill(const RmqConfig *cfg, RmqConfigLanding landing, gpointer target,
                     gboolean reloadable_only)
{
    g_return_if_fail(cfg != NULL && target != NULL && landing < RMQ_CONFIG_LAND_N);

    for (guint i = 0; i < rmq_config_n_keys; i++) {
        const RmqConfigKey *key = &rmq_config_keys[i];
        if (key->land[landing] == 0 || !(key->scope & cfg->scope))
            continue;
        if (reloadable_only && !rmq_config_key_reloads(key, cfg->scope))
            continue;
        void *to = (guint8 *) target + landing_offset(key, landing);
        copy_typed(to, RMQ_CONFIG_FIELD(cfg, key, const void), key);
    }
}

void rmq_config_landing_clear(RmqConfigLanding landing, gpointer target)
{
    g_return_if_fail(target != NULL && landing < RMQ_CONFIG_LAND_N);

    for (guint i = 0; i < rmq_config_n_keys; i++) {
        const RmqConfigKey *key = &rmq_config_keys[i];
        if (key->land[landing] == 0)
            continue;
        void *at = (guint8 *) target + landing_offset(key, landing);
        if (key->type == RMQ_CONFIG_KEY_STRING || key->type == RMQ_CONFIG_KEY_HOURS)
            g_clear_pointer((gchar **) at, g_free);
        else if (key->type == RMQ_CONFIG_KEY_STRV)
            g_clear_pointer((gchar ***) at, g_strfreev);
    }
}

void rmq_config_landing_dup(RmqConfigLanding landing, gpointer target)
{
    g_return_if_fail(target != NULL && landing < RMQ_CONFIG_LAND_N);

    for (guint i = 0; i < rmq_config_n_keys; i++) {
        const RmqConfigKey *key = &rmq_config_keys[i];
        if (key->land[landing] == 0)
            continue;
        void *at = (guint8 *) target + landing_offset(key, landing);
        if (key->type == RMQ_CONFIG_KEY_STRING || key->type == RMQ_CONFIG_KEY_HOURS)
            *(gchar **) at = g_strdup(*(gchar **) at);
        else if (key->type == RMQ_CONFIG_KEY_STRV)
            *(gchar ***) at = g_strdupv(*(gchar ***) at);
    }
}

RmqConfig *rmq_config_update_runtime(const RmqConfig *cfg, const gchar *text, GError **error)
{
    g_return_val_if_fail(cfg != NULL, NULL);

    const gchar *source = "UPDATE_BROKER_CONFIG";
    g_autoptr(GError) local = NULL;
    g_autoptr(GPtrArray) props =
        rmq_properties_parse(text != NULL ? text : "", -1, source, &local);
    if (props == NULL) {
        g_set_error_literal(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_SYNTAX, local->message);
        return NULL;
    }
    g_autoptr(RmqConfig) out = rmq_config_copy(cfg);
    Loader ld = { out, source, NULL, NULL };
    for (guint i = 0; i < props->len; i++) {
        const RmqProperty *prop = g_ptr_array_index(props, i);
        const RmqConfigKey *key = rmq_config_key_find(prop->key);
        if (key == NULL || key->type == RMQ_CONFIG_KEY_JAVA || !(key->scope & cfg->scope)) {
            g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID,
                        "%s: unknown key; nothing was changed", prop->key);
            return NULL;
        }
        if (!rmq_config_key_reloads(key, cfg->scope)) {
            g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID,
                        "%s cannot change at run time: set it in the configuration file "
                        "and restart; nothing was changed", prop->key);
            return NULL;
        }
        if (!assign_text(&ld, key, prop->line, prop->value, TRUE, error)) {
            g_prefix_error(error, "nothing was changed: ");
            return NULL;
        }
    }
    if (!rmq_config_validate(out, error))
        return NULL;
    return g_steal_pointer(&out);
}
