/* The one key table (config-keys.c): for every configuration key its
 * RocketMQ name, type, default, bounds, daemons, reload rule and where its
 * value lands. Public so the subsystems that own keys (broker settings,
 * store, HA) are filled from it by offset rather than field by field. */
#pragma once

#include <stddef.h>
#include <glib.h>

#include "common/config.h"

typedef enum {
    RMQ_CONFIG_KEY_INT,    /* gint */
    RMQ_CONFIG_KEY_INT64,  /* gint64 */
    RMQ_CONFIG_KEY_BOOL,   /* gboolean */
    RMQ_CONFIG_KEY_STRING, /* gchar *, NULL allowed */
    RMQ_CONFIG_KEY_ENUM,   /* C enum stored as int, names in enum_names */
    RMQ_CONFIG_KEY_STRV,   /* gchar ** "host:port" list */
    RMQ_CONFIG_KEY_HOURS,  /* gchar * "04;16" */
    RMQ_CONFIG_KEY_JAVA,   /* Java-only tuning: accepted with a warning, no field */
} RmqConfigKeyType;

typedef enum {
    RMQ_CONFIG_KEY_RELOAD = 1 << 0,    /* SIGHUP and UPDATE_BROKER_CONFIG may change it */
    RMQ_CONFIG_KEY_CLAMP = 1 << 1,     /* out of range: clamp and warn (RocketMQ does) */
    RMQ_CONFIG_KEY_DERIVED = 1 << 2,   /* default computed at run time, not def_* */
    RMQ_CONFIG_KEY_NO_EFFECT = 1 << 3, /* read and reported, but nothing uses it yet */
    RMQ_CONFIG_KEY_RELOAD_CONSOLE = 1 << 4, /* SIGHUP may change it in rmq-console only */
} RmqConfigKeyFlags;

typedef struct {
    const gchar *name;        /* RocketMQ property name */
    RmqConfigKeyType type;
    gsize offset;             /* into RmqConfig */
    RmqConfigScope scope;
    guint flags;
    gint64 def_int;           /* INT, INT64, BOOL, ENUM */
    const gchar *def_str;     /* STRING, HOURS, STRV (';'-separated) */
    gint64 min, max;          /* INT, INT64 */
    const gchar *const *enum_names; /* ENUM: NULL-terminated, index = value */
    /* offset + 1 of the field the value lands in, per RmqConfigLanding;
     * 0 when that subsystem does not read the key. Same C type as in RmqConfig. */
    gsize land[RMQ_CONFIG_LAND_N];
} RmqConfigKey;

typedef struct {
    guint key;  /* index into rmq_config_keys */
    guint line; /* 0 when unknown */
} RmqConfigSetKey;

extern const RmqConfigKey rmq_config_keys[];
extern const guint rmq_config_n_keys;

/* (transfer none) NULL when @name is not a key of any daemon. */
const RmqConfigKey *rmq_config_key_find(const gchar *name);
/* The key that stands for Java's TLS system property @java_name
 * ("tls.server.mode" -> "tlsServerMode"), NULL if none; *@in_tls_file tells
 * whether Java also reads it from tls.config.file. (transfer none) */
const gchar *rmq_config_key_tls_alias(const gchar *java_name, gboolean *in_tls_file);
/* Whether SIGHUP (and, for the broker, UPDATE_BROKER_CONFIG) may change
 * @key in a daemon of @scope. */
gboolean rmq_config_key_reloads(const RmqConfigKey *key, RmqConfigScope scope);

/* The value of @key held in a struct at @base (RmqConfig or a landing
 * struct) at @offset, as GET_BROKER_CONFIG writes it: numbers in decimal,
 * booleans true/false, enums by name, lists ';'-joined. (transfer full) */
gchar *rmq_config_key_value_text(const RmqConfigKey *key, gconstpointer base, gsize offset);

#define RMQ_CONFIG_FIELD(cfg, key, type) ((type *) ((gchar *) (cfg) + (key)->offset))
