/* The tools' plain-ACL key pair (see credentials.h). */
#include <config.h>

#include "tools/credentials.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A credentials file is a few lines; anything larger is not one. */
#define MAX_FILE 4096

static gboolean
bad(GError **error, const gchar *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean
bad(GError **error, const gchar *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree gchar *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, msg);
    return FALSE;
}

void
rmq_tool_credentials_clear(RmqToolCredentials *c)
{
    if (c == NULL)
        return;
    g_clear_pointer(&c->access_key, g_free);
    if (c->secret_key != NULL)
        memset(c->secret_key, 0, strlen(c->secret_key));
    g_clear_pointer(&c->secret_key, g_free);
}

gboolean
rmq_tool_credentials_parse(RmqToolCredentials *out, const gchar *text, const gchar *name,
                           GError **error)
{
    memset(out, 0, sizeof *out);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        gchar *line = g_strstrip(lines[i]);
        if (*line == '\0' || *line == '#')
            continue;
        gchar *eq = strchr(line, '=');
        if (eq == NULL) {
            rmq_tool_credentials_clear(out);
            return bad(error, "%s:%u: expected accessKey=... or secretKey=...", name, i + 1);
        }
        *eq = '\0';
        gchar *key = g_strstrip(line), *value = g_strstrip(eq + 1);
        gchar **slot = strcmp(key, "accessKey") == 0   ? &out->access_key
                       : strcmp(key, "secretKey") == 0 ? &out->secret_key
                                                       : NULL;
        if (slot == NULL) {
            rmq_tool_credentials_clear(out);
            return bad(error, "%s:%u: unknown key '%s' (accessKey, secretKey)", name, i + 1, key);
        }
        g_free(*slot);
        *slot = g_strdup(value);
    }
    if (out->access_key == NULL || *out->access_key == '\0' || out->secret_key == NULL ||
        *out->secret_key == '\0') {
        rmq_tool_credentials_clear(out);
        return bad(error, "%s: needs both accessKey= and secretKey=", name);
    }
    return TRUE;
}

static gboolean
read_file(RmqToolCredentials *out, const gchar *path, GError **error)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return bad(error, "--credentials %s: %s", path, g_strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return bad(error, "--credentials %s: not a regular file", path);
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        close(fd);
        return bad(error, "--credentials %s: mode %04o lets others read it; make it readable "
                          "only by its owner (chmod 600)",
                   path, (unsigned) (st.st_mode & 07777));
    }
    if (st.st_size > MAX_FILE) {
        close(fd);
        return bad(error, "--credentials %s: larger than %d bytes", path, MAX_FILE);
    }
    gchar buf[MAX_FILE + 1];
    ssize_t n = read(fd, buf, MAX_FILE);
    int saved = errno;
    close(fd);
    if (n < 0)
        return bad(error, "--credentials %s: %s", path, g_strerror(saved));
    buf[n] = '\0';
    gboolean ok = rmq_tool_credentials_parse(out, buf, path, error);
    memset(buf, 0, sizeof buf);
    return ok;
}

gboolean
rmq_tool_credentials_resolve(RmqToolCredentials *out, const gchar *access_key,
                             const gchar *secret_key, const gchar *file, GError **error)
{
    memset(out, 0, sizeof *out);
    if (access_key != NULL || secret_key != NULL) {
        if (access_key == NULL || *access_key == '\0' || secret_key == NULL || *secret_key == '\0')
            return bad(error, "--access-key and --secret-key go together");
        if (file != NULL)
            return bad(error, "--credentials cannot be combined with --access-key/--secret-key");
        out->access_key = g_strdup(access_key);
        out->secret_key = g_strdup(secret_key);
        return TRUE;
    }
    if (file != NULL)
        return read_file(out, file, error);
    const gchar *ak = g_getenv("RMQ_ACCESS_KEY"), *sk = g_getenv("RMQ_SECRET_KEY");
    gboolean has_ak = ak != NULL && *ak != '\0', has_sk = sk != NULL && *sk != '\0';
    if (!has_ak && !has_sk)
        return TRUE;
    if (!has_ak || !has_sk)
        return bad(error, "RMQ_ACCESS_KEY and RMQ_SECRET_KEY go together");
    out->access_key = g_strdup(ak);
    out->secret_key = g_strdup(sk);
    return TRUE;
}
