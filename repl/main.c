/* main.c — the `sluice` command line: dispatches subcommands. */
#include <stdio.h>
#include <string.h>

#include "repl/client.h"

int sl__cmd_dump_log(int argc, char **argv);
int sl__cmd_broker(int argc, char **argv);
int sl__cmd_test_runner(int argc, char **argv);
int sl__cmd_shell(int argc, char **argv);

static void usage(FILE *f)
{
    fprintf(f, "usage: sluice [--data-dir DIR] [--listen HOST:PORT|none] [--output table|json]\n"
               "              [-e \"SQL; SQL;\"] [-f FILE]\n"
               "                     the SQL shell on an embedded broker and engine (data in\n"
               "                     ./sluice-data, Kafka clients at 127.0.0.1:9092); -e, -f and\n"
               "                     statements on stdin run a script and exit\n"
               "       sluice <command> [options]\n"
               "\n"
               "commands available in this build:\n"
               "  broker [--config FILE] [--node-id N] [--listen HOST:PORT] [--data-dir DIR]\n"
               "         [--controller-quorum ID@HOST:PORT,...] [--override KEY=VALUE]...\n"
               "                     run a Kafka-protocol broker (kafka-server-start.sh); with\n"
               "                     --controller-quorum, a node of a replicated cluster\n"
               "  cluster status     brokers, controller, each partition's leader, replicas and ISR,\n"
               "                     under-replicated and offline partitions counted\n"
               "  cluster elect-leaders [--unclean] [--topic T [--partition P]]\n"
               "                     leadership back to the preferred replicas, or (--unclean) to\n"
               "                     any live replica of a leaderless partition (kafka-leader-election.sh)\n"
               "  topic create NAME [--partitions N] [--replication-factor R] [--config KEY=VALUE]...\n"
               "  topic list [--all] | topic describe NAME | topic delete NAME\n"
               "                     administer topics (kafka-topics.sh)\n"
               "  produce TOPIC [--key-separator SEP] [--partition N] [--acks all|1|0]\n"
               "                [--compression none|gzip|snappy|lz4|zstd]\n"
               "                     send the lines of stdin as records (kafka-console-producer.sh)\n"
               "  consume TOPIC [--from-beginning] [--max-messages N] [--group G] [--partition N]\n"
               "                [--print-key] [--key-separator SEP] [--timeout-ms T]\n"
               "                     print records as lines (kafka-console-consumer.sh)\n"
               "  groups list | groups describe GROUP\n"
               "                     consumer groups: members, assignments, committed offsets,\n"
               "                     log end offsets and lag (kafka-consumer-groups.sh)\n"
               "  bench produce|consume [--topic T] [--records N] [--record-size B] [--compression C]\n"
               "                [--acks A] [--throughput R] [--mock]\n"
               "                     client throughput and latency, optionally against the mock\n"
               "                     cluster too (kafka-producer/consumer-perf-test.sh)\n"
               "  dump-log FILE.log [--print-records] [--verify-index]\n"
               "                     print the record batches of a partition log segment\n"
               "  test-runner -s STATEMENTS.sql -i INPUT.json -o OUTPUT.json\n"
               "                     run SQL statements on the test driver and compare their\n"
               "                     output with ksql-test-runner's files (what SQL runs so far:\n"
               "                     docs/sql/README.md)\n"
               "\n"
               "The client commands also take --bootstrap HOST:PORT (default $SLUICE_BOOTSTRAP,\n"
               "else " SL_CLIENT_DEFAULT_BOOTSTRAP "), --property KEY=VALUE (a librdkafka setting)\n"
               "and --debug (librdkafka's log on stderr).\n"
               "\n"
               "The REST server is not built yet.\n");
}

int main(int argc, char **argv)
{
    /* No command, or the shell's options: the SQL shell. */
    if (argc < 2 || (argv[1][0] == '-' && strcmp(argv[1], "-h") && strcmp(argv[1], "--help")))
        return sl__cmd_shell(argc, argv);
    const char *cmd = argv[1];
    if (strcmp(cmd, "dump-log") == 0)
        return sl__cmd_dump_log(argc - 1, argv + 1);
    if (strcmp(cmd, "broker") == 0)
        return sl__cmd_broker(argc - 1, argv + 1);
    if (strcmp(cmd, "test-runner") == 0)
        return sl__cmd_test_runner(argc - 1, argv + 1);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    int (*client_cmd)(int, char **) = strcmp(cmd, "topic") == 0     ? sl__cmd_topic
                                      : strcmp(cmd, "produce") == 0 ? sl__cmd_produce
                                      : strcmp(cmd, "consume") == 0 ? sl__cmd_consume
                                      : strcmp(cmd, "bench") == 0   ? sl__cmd_bench
                                      : strcmp(cmd, "groups") == 0  ? sl__cmd_groups
                                      : strcmp(cmd, "cluster") == 0 ? sl__cmd_cluster
                                                                    : NULL;
    if (client_cmd) {
        int rc = client_cmd(argc - 1, argv + 1);
        /* librdkafka ends its threads after rd_kafka_destroy returns; let
         * them finish so that nothing of a handle outlives the command. */
        rd_kafka_wait_destroyed(5000);
        return rc;
    }
    fprintf(stderr, "sluice: unknown command '%s' (try 'sluice --help')\n", cmd);
    return 2;
}
