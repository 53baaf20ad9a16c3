#include <config.h>

#include "namesrv/namesrv.h"
#include "remoting/fd_poller.h"

int
main(int argc, char **argv)
{
    /* One epoll_wait per loop wake-up instead of poll() and then epoll_wait
     * (docs/architecture.md §3.1); held for the life of the process. */
    RmqFdPoller *poller = rmq_fd_poller_get(NULL);
    rmq_fd_poller_own_poll(poller);
    int rc = rmq_daemon_main(&rmq_namesrv_daemon_ops, argc, argv);
    rmq_fd_poller_unref(poller);
    return rc;
}
