#include <config.h>

#include "console/console.h"

int
main(int argc, char **argv)
{
    return rmq_daemon_main(&rmq_console_daemon_ops, argc, argv);
}
