/* The one key table behind config.c (private to libconf.a): for every key
 * its RocketMQ name, type, default, bounds, daemons and reload rule. */
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
    RMQ_CONFIG_KEY_RELOAD = 1 << 0,  /* SIGHUP may change it */
    RMQ_CONFIG_KEY_CLAMP = 1 << 1,   /* out of range: clamp and warn (RocketMQ does) */
    RMQ_CONFIG_KEY_DERIVED = 1 << 2, /* default computed at run time, not def_* */
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
} RmqConfigKey;

typedef struct {
    guint key;  /* index into rmq_config_keys */
    guint line; /* 0 when unknown */
} RmqConfigSetKey;

extern const RmqConfigKey rmq_config_keys[];
extern const guint rmq_config_n_keys;

/* (transfer none) NULL when @name is not a key of any daemon. */
const RmqConfigKey *rmq_config_key_find(const gchar *name);

#define RMQ_CONFIG_FIELD(cfg, key, type) ((type *) ((gchar *) (cfg) + (key)->offset))
