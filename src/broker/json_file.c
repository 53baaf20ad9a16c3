#include <config.h>

#include "broker/json_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "remoting/json_body.h"

G_DEFINE_QUARK(rmq-json-file-error-quark, rmq_json_file_error)

static gboolean
set_io_error(GError **error, int errsv, const gchar *what, const gchar *path)
{
    g_set_error(error, RMQ_JSON_FILE_ERROR, RMQ_JSON_FILE_ERROR_IO, "%s %s: %s", what, path,
                g_strerror(errsv));
    return FALSE;
}

static gboolean
write_all_synced(const gchar *path, const gchar *data, gsize len, GError **error)
{
    int fd = g_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return set_io_error(error, errno, "cannot create", path);
    gsize done = 0;
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int errsv = errno;
            close(fd);
            return set_io_error(error, errsv, "cannot write", path);
        }
        done += (gsize)n;
    }
    /* The data must be on disk before the rename makes it the live file. */
    if (fsync(fd) != 0) {
        int errsv = errno;
        close(fd);
        return set_io_error(error, errsv, "cannot fsync", path);
    }
    if (close(fd) != 0)
        return set_io_error(error, errno, "cannot close", path);
    return TRUE;
}

static void
fsync_parent_dir(const gchar *path)
{
    g_autofree gchar *dir = g_path_get_dirname(path);
    int fd = g_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0)
        return;
    (void)fsync(fd); /* best effort: the file itself is already synced */
    close(fd);
}

/* Keep the current file as .bak. A hard link is atomic and costs nothing;
 * a filesystem without links gets a durable copy instead. */
static gboolean
refresh_backup(const gchar *path, const gchar *bak, GError **error)
{
    GStatBuf st;
    if (g_stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
        return TRUE; /* nothing worth keeping; an older .bak stays */
    if (g_unlink(bak) != 0 && errno != ENOENT)
        return set_io_error(error, errno, "cannot remove", bak);
    if (link(path, bak) == 0)
        return TRUE;
    g_autofree gchar *prev = NULL;
    gsize prev_len = 0;
    if (!g_file_get_contents(path, &prev, &prev_len, error))
        return FALSE;
    return g_file_set_contents_full(bak, prev, (gssize)prev_len,
                                    G_FILE_SET_CONTENTS_CONSISTENT |
                                        G_FILE_SET_CONTENTS_DURABLE,
                                    0644, error);
}

gboolean
rmq_json_file_save(const gchar *path, const gchar *data, gssize len, GError **error)
{
    g_return_val_if_fail(path != NULL && data != NULL, FALSE);
    gsize n = len < 0 ? strlen(data) : (gsize)len;
    g_autofree gchar *tmp = g_strconcat(path, ".tmp", NULL);
    g_autofree gchar *bak = g_strconcat(path, ".bak", NULL);

    if (!write_all_synced(tmp, data, n, error))
        return FALSE;
    if (!refresh_backup(path, bak, error))
        return FALSE;
    if (g_rename(tmp, path) != 0)
        return set_io_error(error, errno, "cannot rename to", path);
    fsync_parent_dir(path);
    return TRUE;
}

typedef enum { TRY_ABSENT, TRY_OK, TRY_BAD } TryResult;

/* Missing and empty files are both "absent" (Java treats them alike). */
static TryResult
try_load(const gchar *path, RmqJsonFileDecodeFunc decode, gpointer user_data, GError **error)
{
    g_autofree gchar *text = NULL;
    gsize len = 0;
    g_autoptr(GError) local = NULL;
    if (!g_file_get_contents(path, &text, &len, &local)) {
        if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return TRY_ABSENT;
        g_propagate_error(error, g_steal_pointer(&local));
        return TRY_BAD;
    }
    if (len == 0)
        return TRY_ABSENT;
    g_autoptr(JsonNode) root = rmq_json_parse_lenient(text, (gssize)len, &local);
    if (root == NULL) {
        g_set_error(error, RMQ_JSON_FILE_ERROR, RMQ_JSON_FILE_ERROR_CORRUPT, "%s: %s", path,
                    local->message);
        return TRY_BAD;
    }
    if (!decode(root, user_data, &local)) {
        g_set_error(error, RMQ_JSON_FILE_ERROR, RMQ_JSON_FILE_ERROR_CORRUPT, "%s: %s", path,
                    local != NULL ? local->message : "does not decode");
        return TRY_BAD;
    }
    return TRY_OK;
}

gboolean
rmq_json_file_load(const gchar *path, RmqJsonFileDecodeFunc decode, gpointer user_data,
                   RmqJsonFileSource *source, GError **error)
{
    g_return_val_if_fail(path != NULL && decode != NULL, FALSE);
    RmqJsonFileSource dummy;
    if (source == NULL)
        source = &dummy;
    *source = RMQ_JSON_FILE_SOURCE_NONE;

    g_autoptr(GError) main_error = NULL;
    TryResult r = try_load(path, decode, user_data, &main_error);
    if (r == TRY_OK) {
        *source = RMQ_JSON_FILE_SOURCE_MAIN;
        return TRUE;
    }
    g_autofree gchar *bak = g_strconcat(path, ".bak", NULL);
    g_autoptr(GError) bak_error = NULL;
    TryResult rb = try_load(bak, decode, user_data, &bak_error);
    if (rb == TRY_OK) {
        *source = RMQ_JSON_FILE_SOURCE_BACKUP;
        return TRUE;
    }
    if (r == TRY_ABSENT && rb == TRY_ABSENT)
        return TRUE;
    g_set_error(error, RMQ_JSON_FILE_ERROR, RMQ_JSON_FILE_ERROR_CORRUPT,
                "cannot load %s (%s) nor its backup (%s)", path,
                main_error != NULL ? main_error->message : "missing or empty",
                bak_error != NULL ? bak_error->message : "missing or empty");
    return FALSE;
}
