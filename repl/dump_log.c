/* dump_log.c — `sluice dump-log`: placeholder until broker/log lands. */
#include <stdio.h>
int sl__cmd_dump_log(int argc, char **argv)
{
    (void)argc, (void)argv;
    fprintf(stderr, "sluice dump-log: not built yet\n");
    return 1;
}
