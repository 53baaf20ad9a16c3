/* RmqBrokerSettings filled from, and reported through, the one key table
 * (common/config-keys.c). */
#include <config.h>

#include "broker/settings.h"
#include "common/config-keys.h"

#include <string.h>

void
rmq_broker_settings_from_config(RmqBrokerSettings *s, const RmqConfig *cfg)
{
    memset(s, 0, sizeof *s);
    rmq_config_fill(cfg, RMQ_CONFIG_LAND_BROKER, s, FALSE);
    s->slave = cfg->broker_role == RMQ_BROKER_ROLE_SLAVE;
    s->sync_flush = cfg->flush_disk_type == RMQ_FLUSH_SYNC;
}

void
rmq_broker_settings_clear(RmqBrokerSettings *s)
{
    rmq_config_landing_clear(RMQ_CONFIG_LAND_BROKER, s);
}

void
rmq_broker_settings_copy(RmqBrokerSettings *dst, const RmqBrokerSettings *src)
{
    *dst = *src;
    rmq_config_landing_dup(RMQ_CONFIG_LAND_BROKER, dst);
}

gchar *
rmq_broker_settings_to_properties(const RmqConfig *cfg, gconstpointer landings[RMQ_CONFIG_LAND_N])
{
    /* the subsystem that acts on a key is where its value is true: the
     * store and HA first, then the broker, then the parsed config */
    static const RmqConfigLanding order[] = { RMQ_CONFIG_LAND_STORE, RMQ_CONFIG_LAND_HA,
                                              RMQ_CONFIG_LAND_BROKER };
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < rmq_config_n_keys; i++) {
        const RmqConfigKey *key = &rmq_config_keys[i];
        if (key->type == RMQ_CONFIG_KEY_JAVA || !(key->scope & RMQ_CONFIG_BROKER))
            continue;
        gconstpointer base = cfg;
        gsize offset = key->offset;
        for (gsize j = 0; j < G_N_ELEMENTS(order); j++) {
            if (key->land[order[j]] != 0 && landings != NULL && landings[order[j]] != NULL) {
                base = landings[order[j]];
                offset = key->land[order[j]] - 1;
                break;
            }
        }
        g_autofree gchar *v = rmq_config_key_value_text(key, base, offset);
        g_string_append_printf(out, "%s=%s\n", key->name, v);
    }
    return g_string_free(out, FALSE);
}
