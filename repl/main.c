/* main.c — the `sluice` command line: dispatches subcommands. */
#include <stdio.h>
#include <string.h>

int sl__cmd_dump_log(int argc, char **argv);

static void usage(FILE *f)
{
    fprintf(f, "usage: sluice <command> [options]\n"
               "\n"
               "commands available in this build:\n"
               "  dump-log FILE.log [--print-records] [--verify-index]\n"
               "                     print the record batches of a partition log segment\n"
               "\n"
               "The SQL shell, broker and client commands are not built yet.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "dump-log") == 0)
        return sl__cmd_dump_log(argc - 1, argv + 1);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "sluice: unknown command '%s' (try 'sluice --help')\n", argv[1]);
    return 2;
}
