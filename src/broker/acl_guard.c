/* The broker's plain ACL: rules in force, file watch, refusal log (see acl_guard.h). */
#include <config.h>

#include "broker/acl_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "acl/check.h"
#include "common/config.h"
#include "common/ratelimit.h"
#include "remoting/fd_poller.h"

/* Java's NettyRemotingAbstract answers an AclException with its toString()
 * (then ", <stack frame>", which rmq leaves out). */
#define ACL_EXCEPTION "org.apache.rocketmq.acl.common.AclException: "
/* The refusal log forgets entries older than its interval past this size. */
#define LOG_KEYS_MAX 4096

typedef struct {
    gboolean exists;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
} Stamp;

struct _RmqBrokerAcl {
    gchar *path;
    RmqAclConfig *config;   /* the rules in force */
    Stamp stamp;            /* of the last read, good or bad */
    gint64 loaded_ms;       /* when the rules in force were taken (wall clock) */
    guint timer;
    RmqRateLimit *logged;   /* one line per "key\nip\ncode" and interval */
};

static Stamp
stamp_of(const gchar *path)
{
    Stamp s = { 0 };
    struct stat st;
    if (stat(path, &st) != 0)
        return s;
    s.exists = TRUE;
    s.dev = st.st_dev;
    s.ino = st.st_ino;
    s.size = st.st_size;
    s.mtime = st.st_mtim;
    return s;
}

static gboolean
stamp_equal(const Stamp *a, const Stamp *b)
{
    return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static gboolean
on_poll(gpointer user_data)
{
    rmq_broker_acl_reload(user_data, FALSE);
    return G_SOURCE_CONTINUE;
}

static void
log_loaded(RmqBrokerAcl *acl, const gchar *what)
{
    const RmqAclConfig *c = acl->config;
    g_message("plain ACL %s from %s: dataVersion %" G_GINT64_FORMAT ", %u accounts, "
              "%u global white addresses",
              what, acl->path, c->version_counter, c->accounts->len, c->global_whites->len);
}

RmqBrokerAcl *
rmq_broker_acl_new(const gchar *path, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    g_autoptr(GError) local = NULL;
    Stamp stamp = stamp_of(path);
    RmqAclConfig *config = rmq_acl_config_load(path, &local);
    if (config == NULL) {
        g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID, "plainAclFile %s",
                    local->message);
        return NULL;
    }
    RmqBrokerAcl *acl = g_new0(RmqBrokerAcl, 1);
    acl->path = g_strdup(path);
    acl->config = config;
    acl->stamp = stamp;
    acl->loaded_ms = g_get_real_time() / 1000;
    acl->logged = rmq_rate_limit_new(1, RMQ_BROKER_ACL_LOG_INTERVAL_US, LOG_KEYS_MAX);
    acl->timer = rmq_timeout_add(RMQ_BROKER_ACL_POLL_MS, on_poll, acl);
    log_loaded(acl, "loaded");
    return acl;
}

void
rmq_broker_acl_free(RmqBrokerAcl *acl)
{
    if (acl == NULL)
        return;
    g_clear_handle_id(&acl->timer, rmq_timeout_remove);
    g_clear_pointer(&acl->config, rmq_acl_config_free);
    g_clear_pointer(&acl->logged, rmq_rate_limit_free);
    g_free(acl->path);
    g_free(acl);
}

gboolean
rmq_broker_acl_reload(RmqBrokerAcl *acl, gboolean force)
{
    g_return_val_if_fail(acl != NULL, FALSE);
    Stamp now = stamp_of(acl->path);
    if (!force && stamp_equal(&now, &acl->stamp))
        return FALSE;
    acl->stamp = now;
    g_autoptr(GError) error = NULL;
    RmqAclConfig *fresh = rmq_acl_config_load(acl->path, &error);
    if (fresh == NULL) {
        /* The message is "file:line: key: reason" (or the read error). */
        g_warning("plain ACL file refused, keeping the rules in force (dataVersion %"
                  G_GINT64_FORMAT ", %u accounts): %s",
                  acl->config->version_counter, acl->config->accounts->len, error->message);
        return FALSE;
    }
    rmq_acl_config_free(acl->config);
    acl->config = fresh;
    acl->loaded_ms = g_get_real_time() / 1000;
    log_loaded(acl, "reloaded");
    return TRUE;
}

const RmqAclConfig *
rmq_broker_acl_config(RmqBrokerAcl *acl)
{
    g_return_val_if_fail(acl != NULL, NULL);
    return acl->config;
}

const gchar *
rmq_broker_acl_path(RmqBrokerAcl *acl)
{
    g_return_val_if_fail(acl != NULL, NULL);
    return acl->path;
}

void
rmq_broker_acl_version(RmqBrokerAcl *acl, gint64 *timestamp_ms, gint64 *counter)
{
    g_return_if_fail(acl != NULL);
    /* Java: a file without dataVersion gets a fresh DataVersion at load */
    gboolean has = acl->config->version_timestamp != 0 || acl->config->version_counter != 0;
    *timestamp_ms = has ? acl->config->version_timestamp : acl->loaded_ms;
    *counter = acl->config->version_counter;
}

static gboolean
io_error(GError **error, int errsv, const gchar *what, const gchar *path)
{
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errsv), "%s %s: %s", what, path,
                g_strerror(errsv));
    return FALSE;
}

/* Temporary file beside @path, fsync, rename over it, fsync the directory:
 * a crash leaves the old file or the new one, never a mix. */
static gboolean
write_atomically(const gchar *path, const gchar *text, GError **error)
{
    struct stat st;
    mode_t mode = stat(path, &st) == 0 ? (st.st_mode & 07777) : 0600;
    g_autofree gchar *tmp = g_strconcat(path, ".tmp-XXXXXX", NULL);
    int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, (int) mode);
    if (fd < 0)
        return io_error(error, errno, "cannot create a temporary file for", path);
    gsize len = strlen(text), done = 0;
    gboolean ok = fchmod(fd, mode) == 0;
    while (ok && done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        ok = n > 0;
        if (ok)
            done += (gsize) n;
    }
    if (ok)
        ok = fsync(fd) == 0;
    int errsv = errno;
    if (close(fd) != 0 && ok) {
        ok = FALSE;
        errsv = errno;
    }
    if (ok && g_rename(tmp, path) != 0) {
        ok = FALSE;
        errsv = errno;
    }
    if (!ok) {
        g_unlink(tmp);
        return io_error(error, errsv, "cannot write", path);
    }
    g_autofree gchar *dir = g_path_get_dirname(path);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void) fsync(dfd); /* best effort: the file itself is on disk */
        close(dfd);
    }
    return TRUE;
}

gboolean
rmq_broker_acl_commit(RmqBrokerAcl *acl, const gchar *text, RmqAclConfig *fresh,
                      const gchar *what, GError **error)
{
    g_return_val_if_fail(acl != NULL && text != NULL && fresh != NULL, FALSE);
    if (!write_atomically(acl->path, text, error)) {
        rmq_acl_config_free(fresh);
        return FALSE;
    }
    acl->stamp = stamp_of(acl->path);
    rmq_acl_config_free(acl->config);
    acl->config = fresh;
    acl->loaded_ms = g_get_real_time() / 1000;
    g_message("plain ACL %s: %s rewritten, dataVersion %" G_GINT64_FORMAT ", %u accounts, "
              "%u global white addresses",
              what, acl->path, fresh->version_counter, fresh->accounts->len,
              fresh->global_whites->len);
    return TRUE;
}

guint
rmq_broker_acl_n_accounts(RmqBrokerAcl *acl)
{
    g_return_val_if_fail(acl != NULL, 0);
    return acl->config->accounts->len;
}

gchar *
rmq_broker_acl_peer_ip(const gchar *peer)
{
    if (peer == NULL)
        return g_strdup("");
    const gchar *colon = strrchr(peer, ':');
    gchar *ip = colon != NULL ? g_strndup(peer, (gsize) (colon - peer)) : g_strdup(peer);
    gsize len = strlen(ip);
    if (len >= 2 && ip[0] == '[' && ip[len - 1] == ']') {
        memmove(ip, ip + 1, len - 2);
        ip[len - 2] = '\0';
    }
    return ip;
}

/* Once per account, address and code per interval; TRUE when this one is to
 * be logged. */
static gboolean
log_due(RmqBrokerAcl *acl, const gchar *key, const gchar *ip, gint code)
{
    g_autofree gchar *k = g_strdup_printf("%s\n%s\n%d", key != NULL ? key : "", ip, code);
    return rmq_rate_limit_allow(acl->logged, k, g_get_monotonic_time(), NULL);
}

gboolean
rmq_broker_acl_allows(RmqBrokerAcl *acl, RmqConnection *conn, const RmqCommand *request,
                      gchar **remark)
{
    g_return_val_if_fail(acl != NULL && request != NULL, FALSE);
    const gchar *peer = conn != NULL ? rmq_connection_get_peer(conn) : NULL;
    g_autofree gchar *ip = rmq_broker_acl_peer_ip(peer);
    g_autoptr(GError) error = NULL;
    RmqAclVerdict verdict;
    if (rmq_acl_check(acl->config, request, ip, &verdict, &error))
        return TRUE;
    if (log_due(acl, verdict.access_key, ip, request->code))
        g_warning("ACL refused request code %d from %s, accessKey %s: %s (logged once a minute "
                  "per account, address and code)",
                  request->code, ip, verdict.access_key != NULL ? verdict.access_key : "(none)",
                  error->message);
    if (remark != NULL)
        *remark = g_strconcat(ACL_EXCEPTION, error->message, NULL);
    return FALSE;
}
