#include <config.h>

#include "store/checkpoint.h"
#include "store/mapped_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define CHECKPOINT_SIZE 4096

RmqCheckpoint *
rmq_checkpoint_open(const char *path, GError **error)
{
    guint8 buf[32] = { 0 };
    guint64 v[4];
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    RmqCheckpoint *cp;
    ssize_t n;

    if (fd < 0) {
        g_set_error(error, RMQ_STORE_ERROR, RMQ_STORE_ERROR_IO, "cannot open %s: %s",
                    path, g_strerror(errno));
        return NULL;
    }
    n = pread(fd, buf, sizeof buf, 0);
    if (n < 0 || (n == 0 && ftruncate(fd, CHECKPOINT_SIZE) < 0)) {
        g_set_error(error, RMQ_STORE_ERROR, RMQ_STORE_ERROR_IO, "cannot read %s: %s",
                    path, g_strerror(errno));
        close(fd);
        return NULL;
    }
    memcpy(v, buf, sizeof v);
    cp = g_new0(RmqCheckpoint, 1);
    cp->path = g_strdup(path);
    cp->fd = fd;
    cp->physic_timestamp = (gint64) GUINT64_FROM_BE(v[0]);
    cp->logics_timestamp = (gint64) GUINT64_FROM_BE(v[1]);
    cp->index_timestamp = (gint64) GUINT64_FROM_BE(v[2]);
    cp->clean_end_offset = (gint64) GUINT64_FROM_BE(v[3]);
    return cp;
}

gboolean
rmq_checkpoint_flush(RmqCheckpoint *cp, GError **error)
{
    guint64 v[4] = {
        GUINT64_TO_BE((guint64) cp->physic_timestamp),
        GUINT64_TO_BE((guint64) cp->logics_timestamp),
        GUINT64_TO_BE((guint64) cp->index_timestamp),
        GUINT64_TO_BE((guint64) cp->clean_end_offset),
    };

    if (pwrite(cp->fd, v, sizeof v, 0) != (ssize_t) sizeof v || fdatasync(cp->fd) < 0) {
        g_set_error(error, RMQ_STORE_ERROR, RMQ_STORE_ERROR_IO, "cannot write %s: %s",
                    cp->path, g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

void
rmq_checkpoint_free(RmqCheckpoint *cp)
{
    if (cp == NULL)
        return;
    close(cp->fd);
    g_free(cp->path);
    g_free(cp);
}
