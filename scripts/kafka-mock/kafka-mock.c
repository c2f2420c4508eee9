/*
 * A Kafka-protocol broker for tests: librdkafka's mock cluster in a process
 * of its own, so kafkajs (or any client) can talk to it over loopback.
 *
 *   kafka-mock [brokers]      (default 3)
 *
 * Prints the bootstrap servers on the first stdout line, then serves until
 * stdin closes or SIGTERM/SIGINT arrives, and destroys the cluster cleanly.
 *
 * The mock does not implement the CreateTopics API, so topics are created
 * through stdin, one command a line, each answered by one line:
 *   topic <name> <partitions>   -> "ok" | "exists" | "error <reason>"
 *   ping                        -> "ok"
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stopping = 0;

static void on_signal(int sig) {
        (void)sig;
        stopping = 1;
}

static void reply(const char *line) {
        fputs(line, stdout);
        fputc('\n', stdout);
        fflush(stdout);
}

static void handle_command(rd_kafka_mock_cluster_t *mcluster, char *line,
                           int broker_cnt) {
        char name[256];
        int partitions = 0;
        char extra;

        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0')
                return;
        if (strcmp(line, "ping") == 0) {
                reply("ok");
                return;
        }
        if (sscanf(line, "topic %255s %d %c", name, &partitions, &extra) == 2) {
                if (partitions < 1) {
                        reply("error partitions must be >= 1");
                        return;
                }
                /* Replicate across every broker (at most 3), as a real
                 * cluster's default would; the mock spreads leaders. */
                rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(
                    mcluster, name, partitions, broker_cnt < 3 ? broker_cnt : 3);
                if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
                        reply("ok");
                else if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
                        reply("exists");
                else {
                        char buf[512];
                        snprintf(buf, sizeof(buf), "error %s", rd_kafka_err2str(err));
                        reply(buf);
                }
                return;
        }
        reply("error unknown command");
}

int main(int argc, char **argv) {
        int broker_cnt = argc > 1 ? atoi(argv[1]) : 3;
        char errstr[512];
        char line[1024];

        if (broker_cnt < 1) {
                fprintf(stderr, "kafka-mock: broker count must be >= 1\n");
                return 2;
        }

        /* No SA_RESTART: a signal interrupts the blocking stdin read. */
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        /* The handle only hosts the mock; keep its own chatter to errors. */
        if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) !=
            RD_KAFKA_CONF_OK) {
                fprintf(stderr, "kafka-mock: %s\n", errstr);
                return 1;
        }
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "kafka-mock: rd_kafka_new: %s\n", errstr);
                return 1;
        }
        rd_kafka_mock_cluster_t *mcluster = rd_kafka_mock_cluster_new(rk, broker_cnt);
        if (!mcluster) {
                fprintf(stderr, "kafka-mock: rd_kafka_mock_cluster_new failed\n");
                rd_kafka_destroy(rk);
                return 1;
        }

        reply(rd_kafka_mock_cluster_bootstraps(mcluster));

        while (!stopping) {
                if (fgets(line, sizeof(line), stdin) == NULL) {
                        if (ferror(stdin) && errno == EINTR && !stopping) {
                                clearerr(stdin);
                                continue;
                        }
                        break; /* EOF, error or signal */
                }
                handle_command(mcluster, line, broker_cnt);
        }

        rd_kafka_mock_cluster_destroy(mcluster);
        rd_kafka_destroy(rk);
        return 0;
}
