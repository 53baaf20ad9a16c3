/* The store's error domain, shared by every store module. */
#pragma once

#include <glib.h>

#define RMQ_STORE_ERROR (rmq_store_error_quark())
GQuark rmq_store_error_quark(void);

typedef enum {
    RMQ_STORE_ERROR_IO,
    RMQ_STORE_ERROR_DISK_FULL,   /* ENOSPC/EDQUOT while creating a file */
    RMQ_STORE_ERROR_CORRUPT,
    RMQ_STORE_ERROR_LOCKED,      /* another process holds the store lock */
    RMQ_STORE_ERROR_INVALID,
} RmqStoreError;
