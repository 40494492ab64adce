/* logclient_int.h — what the log client's dispatcher (logclient.c) and its two
 * implementations (logclient_local.c, logclient_kafka.c) share: the table of
 * operations, the common part of every client, a (topic, partition) hash map
 * and the Kafka error-code mapping. Nothing outside those three files
 * includes it. */
#ifndef SL_ENGINE_LOGCLIENT_INT_H
#define SL_ENGINE_LOGCLIENT_INT_H

#include <stdarg.h>
#include <stdatomic.h>

#include "engine/logclient.h"

/* ---- a map keyed by (topic, partition) ------------------------------------------- */

typedef struct sl__lc_slot {
    char *topic; /* owned; NULL: empty slot */
    int32_t partition;
    uint32_t hash;
    void *val;
} sl__lc_slot_t;

/** Open addressing, linear probing, backward-shift deletion. Zero-initialise
 * (SL__LC_MAP_INIT); free with sl__lc_map_free. */
typedef struct sl__lc_map {
    sl__lc_slot_t *slots;
    size_t cap, n; /* cap is 0 or a power of two */
} sl__lc_map_t;

#define SL__LC_MAP_INIT {NULL, 0, 0}

/** The slot holding (topic, partition), or NULL. The slot (and its topic
 * string) stays put until the map changes. */
sl__lc_slot_t *sl__lc_map_find(const sl__lc_map_t *m, const char *topic, int32_t partition);

/** Finds or adds (topic copied, val NULL) the slot for (topic, partition);
 * NULL when memory runs out. Invalidates other slot pointers when it adds. */
sl__lc_slot_t *sl__lc_map_put(sl__lc_map_t *m, const char *topic, int32_t partition);

/** Removes (topic, partition); returns its val (NULL when absent). */
void *sl__lc_map_del(sl__lc_map_t *m, const char *topic, int32_t partition);

/** Frees every key, calling free_val (may be NULL) on each val, and the table. */
void sl__lc_map_free(sl__lc_map_t *m, void (*free_val)(void *val));

/* ---- operations ------------------------------------------------------------------------ */

/* Each implements the public function of the same name after logclient.c has
 * checked the arguments and the calling context (see there). Partitions given
 * to produce are resolved and in range. */
typedef struct sl__lc_ops {
    const char *kind;
    void (*destroy)(sl_lc_t *lc);
    sl_err_t (*partition_count)(sl_lc_t *lc, const char *topic, int32_t *out);
    sl_err_t (*create_topic)(sl_lc_t *lc, const char *topic, int32_t partitions, int16_t rf,
                             const char *const *configs, char *errbuf, size_t errlen);
    sl_err_t (*delete_topic)(sl_lc_t *lc, const char *topic);
    sl_err_t (*watermarks)(sl_lc_t *lc, const char *topic, int32_t partition, int64_t *start, int64_t *end);
    sl_err_t (*produce)(sl_lc_t *lc, const char *topic, int32_t partition, const sl_lc_record_t *rec);
    sl_err_t (*flush)(sl_lc_t *lc, int timeout_ms);
    sl_err_t (*assign)(sl_lc_t *lc, const sl_lc_tp_t *parts, size_t n);
    sl_err_t (*seek)(sl_lc_t *lc, const char *topic, int32_t partition, int64_t offset);
    sl_err_t (*pause)(sl_lc_t *lc, const char *topic, int32_t partition, int paused);
    sl_err_t (*subscribe)(sl_lc_t *lc, const char *const *topics, size_t n);
    sl_err_t (*unsubscribe)(sl_lc_t *lc);
    int (*poll)(sl_lc_t *lc, int timeout_ms, int max_records, sl_lc_record_cb *cb, void *opaque);
    sl_err_t (*position)(sl_lc_t *lc, const char *topic, int32_t partition, int64_t *offset, int *at_end);
    sl_err_t (*commit)(sl_lc_t *lc, const sl_lc_tp_t *offsets, size_t n);
    sl_err_t (*committed)(sl_lc_t *lc, const char *topic, int32_t partition, int64_t *offset);
    void (*wakeup)(sl_lc_t *lc);
} sl__lc_ops_t;

/* What the record and rebalance callbacks are running, if anything. */
#define SL__LC_IN_NONE 0
#define SL__LC_IN_RECORD 1
#define SL__LC_IN_REBALANCE 2

/** The common head of every client; each implementation's struct starts with it. */
struct sl_lc {
    const sl__lc_ops_t *ops;
    char *client_id;             /* never NULL */
    char *group_id;              /* NULL: no group */
    sl_lc_reset_t reset;
    int timeout_ms;              /* request timeout */
    sl_lc_delivery_cb *on_delivery;
    void *delivery_opaque;
    sl_lc_rebalance_cb *rebalance_cb; /* set while subscribed */
    void *rebalance_opaque;
    int in_callback;             /* SL__LC_IN_* */
    atomic_int wake;             /* sl_lc_wakeup was called */
    sl__lc_map_t counts;         /* topic (partition -1) -> partition count, for produce */
    uint32_t next_null_key;      /* round-robin for null keys */
    char errstr[512];
};

/** Fills the common head from cfg (copies strings). Errors: SL_ERR_NOMEM. */
sl_err_t sl__lc_init(sl_lc_t *lc, const sl__lc_ops_t *ops, const sl_lc_config_t *cfg);

/** Frees what sl__lc_init allocated (not lc itself). */
void sl__lc_fini(sl_lc_t *lc);

/** Sets lc's error detail (printf-style) and returns err. */
sl_err_t sl__lc_fail(sl_lc_t *lc, sl_err_t err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** The sl_err_t for a Kafka protocol error code (0: SL_OK; a code Sluice has
 * no row for: SL_ERR_IO). */
sl_err_t sl__lc_err_from_kafka(int code);

/** Calls the rebalance callback with in_callback set. */
void sl__lc_rebalance(sl_lc_t *lc, sl_lc_rebalance_t event, sl_lc_tp_t *parts, size_t n);

/** Reads an integer property value; returns 0 and sets *out, or -1. */
int sl__lc_parse_i64(const char *s, int64_t *out);

#endif
