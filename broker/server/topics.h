/* topics.h — the single-node broker's topic catalogue: names, topic ids,
 * partition counts and per-topic config overrides, persisted in the data
 * directory (`topics.meta`), with each partition's log held through the log
 * manager. (The replicated cluster will keep this in its controller quorum.)
 *
 * Threads: every function may be called from any thread. A partition is
 * borrowed with sl_topics_acquire and given back with sl_topics_release;
 * deleting a topic waits for no one: its logs go when the last borrower
 * returns them. Lookups are linear in the number of topics. */
#ifndef SL_BROKER_SERVER_TOPICS_H
#define SL_BROKER_SERVER_TOPICS_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/err.h>

#include <pthread.h>

#include "broker/log/logmgr.h"
#include "broker/server/producers.h"

typedef struct sl_topics sl_topics_t;

/** A snapshot of one topic. */
typedef struct sl_topic_info {
    char name[256];
    uint8_t id[16];
    int32_t partitions;
    int internal; /* starts with "__" (e.g. __consumer_offsets) */
} sl_topic_info_t;

/** Loads the catalogue of data_dir, opening (or creating) every partition's
 * log in mgr with the topic's configuration: defaults plus its overrides.
 * Partition directories the catalogue does not know (a crash between creating
 * a log and recording it) are adopted as topics with a trace warning, so no
 * data is dropped. defaults is copied. Errors: SL_ERR_IO, SL_ERR_NOMEM,
 * SL_ERR_CORRUPT_MESSAGE (an unreadable catalogue), with detail in errbuf. */
sl_err_t sl_topics_open(sl_logmgr_t *mgr, const char *data_dir, const sl_log_config_t *defaults,
                        sl_topics_t **out, char *errbuf, size_t errlen);

/** Frees the catalogue (not the logs: the log manager owns them). Every
 * acquired log must have been released. NULL is a no-op. */
void sl_topics_close(sl_topics_t *t);

/** Creates a topic with n partitions and the given overrides (keys[i] =
 * values[i], topic-level names). With validate_only nothing changes. id_out
 * (may be NULL) gets the new topic id. Errors: SL_ERR_INVALID_TOPIC,
 * SL_ERR_TOPIC_EXISTS, SL_ERR_INVALID_PARTITIONS (n < 1),
 * SL_ERR_INVALID_CONFIG (errbuf names the key), SL_ERR_IO. */
sl_err_t sl_topics_create(sl_topics_t *t, const char *name, int32_t n, const char *const *keys,
                          const char *const *values, int nconfigs, int validate_only,
                          uint8_t id_out[16], char *errbuf, size_t errlen);

/** sl_topics_create with the topic id given (the cluster's, from its
 * metadata) and no validate_only. Errors as sl_topics_create. */
sl_err_t sl_topics_create_as(sl_topics_t *t, const char *name, const uint8_t id[16], int32_t n,
                             const char *const *keys, const char *const *values, int nconfigs, char *errbuf,
                             size_t errlen);

/** Deletes a topic: it disappears at once; its logs are deleted when the last
 * borrower releases them. Errors: SL_ERR_UNKNOWN_TOPIC, SL_ERR_IO. */
sl_err_t sl_topics_delete(sl_topics_t *t, const char *name);

/** Grows a topic to total partitions. Errors: SL_ERR_UNKNOWN_TOPIC,
 * SL_ERR_INVALID_PARTITIONS (total not above the current count), SL_ERR_IO. */
sl_err_t sl_topics_add_partitions(sl_topics_t *t, const char *name, int32_t total, int validate_only,
                                  char *errbuf, size_t errlen);

/** Fills *out for the topic; returns 1, or 0 when there is no such topic. */
int sl_topics_get(sl_topics_t *t, const char *name, sl_topic_info_t *out);

/** Finds a topic by id; returns 1 (and fills *out) or 0. */
int sl_topics_get_by_id(sl_topics_t *t, const uint8_t id[16], sl_topic_info_t *out);

/** Calls fn for every topic, sorted by name, on a snapshot (fn may call back
 * into the catalogue). Returns the number of topics, or a negative error. */
int sl_topics_list(sl_topics_t *t, void (*fn)(void *opaque, const sl_topic_info_t *info), void *opaque);

/** A borrowed partition. */
typedef struct sl_topic_part sl_topic_part_t;

/** Borrows topic-partition, or NULL when there is none. Its log stays valid
 * until sl_topics_release, even if the topic is deleted meanwhile. */
sl_topic_part_t *sl_topics_acquire(sl_topics_t *t, const char *topic, int32_t partition);

/** The borrowed partition's log. */
sl_log_t *sl_topic_part_log(const sl_topic_part_t *p);

/** The partition's produce lock: held across the idempotence check, the
 * append and the recording of a producer's batch. */
pthread_mutex_t *sl_topic_part_produce_lock(sl_topic_part_t *p);

/** The partition's idempotent-producer state, rebuilt from the log on first
 * use. Call with the produce lock held. NULL when it cannot be built (no
 * memory, a read error: traced). */
sl_pstate_t *sl_topic_part_pstate(sl_topic_part_t *p);

/** Forgets the idempotent-producer state (takes the produce lock): it is
 * rebuilt from the log on next use. A replica becoming leader calls it, as
 * the records its producers wrote arrived as a follower's. */
void sl_topic_part_reset_pstate(sl_topic_part_t *p);

/** Gives a partition back; the last release of a deleted topic's partition
 * deletes its log. NULL is a no-op. */
void sl_topics_release(sl_topics_t *t, sl_topic_part_t *p);

/** One configuration entry as DescribeConfigs reports it. */
typedef struct sl_topic_config_entry {
    const char *key;
    char value[256];
    int is_default; /* not overridden for this topic */
} sl_topic_config_entry_t;

/** Calls fn for each topic-level key (in a fixed order) with the topic's
 * value. Returns 1, or 0 when there is no such topic. */
int sl_topics_describe_configs(sl_topics_t *t, const char *name,
                               void (*fn)(void *opaque, const sl_topic_config_entry_t *e),
                               void *opaque);

/** Changes a topic's overrides. With replace_all (AlterConfigs) the overrides
 * become exactly keys/values; otherwise (IncrementalAlterConfigs) each key is
 * set, or removed (back to the default) when its value is NULL. Applied to the
 * partitions' logs at once. Errors: SL_ERR_UNKNOWN_TOPIC,
 * SL_ERR_INVALID_CONFIG (errbuf names the key), SL_ERR_IO. */
sl_err_t sl_topics_alter_configs(sl_topics_t *t, const char *name, const char *const *keys,
                                 const char *const *values, int n, int replace_all,
                                 int validate_only, char *errbuf, size_t errlen);

#endif
