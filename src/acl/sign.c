#include <config.h>

#include <string.h>

#include "acl/sign.h"

static gint
compare_keys(gconstpointer a, gconstpointer b)
{
    const RmqExtField *x = *(const RmqExtField *const *) a, *y = *(const RmqExtField *const *) b;
    return strcmp(x->key, y->key);
}

GBytes *
rmq_acl_sign_content(const RmqCommand *cmd, gboolean skip_unique_query)
{
    g_return_val_if_fail(cmd != NULL, NULL);
    guint n = rmq_command_get_n_ext(cmd);
    g_autoptr(GPtrArray) fields = g_ptr_array_sized_new(n);
    for (guint i = 0; i < n; i++) {
        const RmqExtField *f = rmq_command_get_ext_field(cmd, i);
        if (strcmp(f->key, RMQ_ACL_SIGNATURE) == 0 ||
            (skip_unique_query && strcmp(f->key, RMQ_ACL_UNIQUE_KEY_QUERY) == 0))
            continue;
        g_ptr_array_add(fields, (gpointer) f);
    }
    g_ptr_array_sort(fields, compare_keys);
    GByteArray *out = g_byte_array_new();
    for (guint i = 0; i < fields->len; i++) {
        const RmqExtField *f = g_ptr_array_index(fields, i);
        g_byte_array_append(out, (const guint8 *) f->value, (guint) strlen(f->value));
    }
    if (cmd->body != NULL) {
        gsize len;
        const guint8 *data = g_bytes_get_data(cmd->body, &len);
        g_byte_array_append(out, data, (guint) len);
    }
    return g_byte_array_free_to_bytes(out);
}

gchar *
rmq_acl_signature(const guint8 *data, gsize len, const gchar *secret)
{
    g_return_val_if_fail(secret != NULL, NULL);
    g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA1, (const guchar *) secret, strlen(secret));
    g_hmac_update(hmac, data, (gssize) len);
    guint8 digest[20];
    gsize digest_len = sizeof digest;
    g_hmac_get_digest(hmac, digest, &digest_len);
    return g_base64_encode(digest, digest_len);
}

void
rmq_acl_sign_request(RmqCommand *cmd, const gchar *access_key, const gchar *secret_key,
                     const gchar *token)
{
    g_return_if_fail(cmd != NULL && access_key != NULL && secret_key != NULL);
    rmq_command_set_ext(cmd, RMQ_ACL_ACCESS_KEY, access_key);
    if (token != NULL)
        rmq_command_set_ext(cmd, RMQ_ACL_SECURITY_TOKEN, token);
    g_autoptr(GBytes) content = rmq_acl_sign_content(cmd, FALSE);
    gsize len;
    const guint8 *data = g_bytes_get_data(content, &len);
    g_autofree gchar *sig = rmq_acl_signature(data, len, secret_key);
    rmq_command_set_ext(cmd, RMQ_ACL_SIGNATURE, sig);
}

/* Equal text, in time that depends only on the lengths. */
static gboolean
equal_constant_time(const gchar *a, const gchar *b)
{
    gsize la = strlen(a), lb = strlen(b);
    guint8 diff = la != lb;
    for (gsize i = 0; i < la && i < lb; i++)
        diff |= (guint8) (a[i] ^ b[i]);
    return diff == 0;
}

static gboolean
verify_form(const RmqCommand *cmd, const gchar *secret_key, const gchar *given,
            gboolean skip_unique_query)
{
    g_autoptr(GBytes) content = rmq_acl_sign_content(cmd, skip_unique_query);
    gsize len;
    const guint8 *data = g_bytes_get_data(content, &len);
    g_autofree gchar *want = rmq_acl_signature(data, len, secret_key);
    return equal_constant_time(want, given);
}

gboolean
rmq_acl_signature_verify(const RmqCommand *cmd, const gchar *secret_key)
{
    g_return_val_if_fail(cmd != NULL && secret_key != NULL, FALSE);
    const gchar *given = rmq_command_get_ext(cmd, RMQ_ACL_SIGNATURE);
    if (given == NULL)
        return FALSE;
    if (verify_form(cmd, secret_key, given, TRUE))
        return TRUE;
    return rmq_command_get_ext(cmd, RMQ_ACL_UNIQUE_KEY_QUERY) != NULL &&
           verify_form(cmd, secret_key, given, FALSE);
}
