#include <config.h>

#include "namesrv/namesrv.h"

int
main(int argc, char **argv)
{
    return rmq_daemon_main(&rmq_namesrv_daemon_ops, argc, argv);
}
