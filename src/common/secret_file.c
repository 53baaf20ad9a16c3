/* A secret read from an owner-only file (see secret_file.h). */
#include <config.h>

#include "common/secret_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

gchar *
rmq_secret_file_read(const gchar *path, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    /* a symbolic link is followed (mounted secrets are links); the mode
     * checked is the file's */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int errsv = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errsv), "%s: %s", path,
                    g_strerror(errsv));
        return NULL;
    }
    struct stat st;
    gchar buf[RMQ_SECRET_FILE_MAX + 1];
    ssize_t n = -1;
    const gchar *why = NULL;
    if (fstat(fd, &st) != 0)
        why = g_strerror(errno);
    else if (!S_ISREG(st.st_mode))
        why = "not a regular file";
    else if (st.st_mode & 077)
        why = "readable or writable by others than its owner (chmod 600 it)";
    else if ((n = read(fd, buf, sizeof buf - 1)) < 0)
        why = g_strerror(errno);
    else if (n == (ssize_t) sizeof buf - 1)
        why = "too large for a secret";
    close(fd);
    if (why != NULL) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM, "%s: %s", path, why);
        return NULL;
    }
    buf[n] = '\0';
    gchar *nl = strchr(buf, '\n');
    if (nl != NULL)
        *nl = '\0';
    gchar *secret = g_strdup(g_strstrip(buf));
    memset(buf, 0, sizeof buf);
    if (*secret == '\0') {
        g_free(secret);
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: empty", path);
        return NULL;
    }
    return secret;
}
