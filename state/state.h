/* state.h — the engine's state stores: one LMDB environment per engine
 * instance, a named database per store and partition ("<store>-<partition>"),
 * key-value, window and session stores on those databases, and a metadata
 * area (input and changelog offsets) written in the same transaction as the
 * state.
 *
 * Internal for now (the engine is its only user); the names are the ones the
 * public header will keep.
 *
 * Model (LMDB's own): every read and write happens inside a transaction.
 * There is at most one write transaction per environment at a time (a second
 * sl_state_txn_begin(write) blocks until the first ends) and any number of
 * read transactions, each seeing the snapshot of the last commit before it
 * began. Read transactions are not tied to threads (MDB_NOTLS): one and its
 * iterators may move between threads but be used by one thread at a time. A
 * write transaction is (LMDB's rule: its writer lock belongs to the thread
 * that began it): begin, use and end it on one thread.
 *
 * Errors. Any error from an operation inside a transaction is latched: later
 * operations in that transaction return it without doing anything, and
 * sl_state_txn_commit returns it and commits nothing — so a store can never
 * commit half of what the engine meant to write. "Not found" and "end of data"
 * are ordinary results (0), never errors. LMDB's codes map onto sl_err_t:
 *   SL_ERR_RANGE  the map is full (MDB_MAP_FULL) or the transaction has too
 *                 many dirty pages (MDB_TXN_FULL): abort, then grow the map
 *                 with sl_state_env_set_map_size and retry;
 *   SL_ERR_INVAL  a key too long (see SL_STATE_MAX_KEY), an empty key-value
 *                 key, a session that ends before it starts, a bad store
 *                 name;
 *   SL_ERR_CONFIG more stores than max_stores;
 *   SL_ERR_STATE  misuse (a handle of the wrong kind, a transaction already
 *                 in error), LMDB's reader table full, or (sl_state_env_open)
 *                 a state directory another environment holds;
 *   SL_ERR_NOMEM  out of memory;
 *   SL_ERR_IO     anything else (I/O, corruption, version mismatch).
 * sl_state_txn_mdb_error gives the LMDB code behind a latched error.
 *
 * Keys and values. Keys are compared as unsigned bytes, a shorter key before
 * any longer key it is a prefix of. A key-value key is 1..SL_STATE_MAX_KEY
 * bytes (LMDB cannot store an empty key; Kafka Streams refuses null keys in
 * stores, and an empty key is refused the same way). Values are 0..any bytes:
 * an empty value is an ordinary value; a key goes away only by a delete
 * (Kafka's "put(key, null)" is sl_kv_delete).
 *
 * Views. Every sl_bytes_t handed out points into LMDB's memory map (zero copy)
 * and is valid until the transaction ends or, in a write transaction, until
 * the next write in it — whichever comes first. Never write through it.
 */
#ifndef SL_STATE_STATE_H
#define SL_STATE_STATE_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/bytes.h>
#include <sluice/err.h>

/** The longest key-value key: LMDB's compile-time key limit (511 bytes in
 * Debian's liblmdb). A window key holds 8 bytes of window start, so a window
 * store's keys are at most SL_STATE_MAX_KEY - 8 bytes; a session key holds 16
 * (end and start), so a session store's are at most SL_STATE_MAX_KEY - 16. */
#define SL_STATE_MAX_KEY 511

/** The longest store name; the database name appends "-<partition>". */
#define SL_STATE_MAX_STORE_NAME 200

/** The map size sl_state_env_open uses for map_size 0: 1 GiB. The map is
 * virtual address space, not memory or disk: the file grows with the data. */
#define SL_STATE_DEFAULT_MAP_SIZE ((size_t)1 << 30)

typedef struct sl_state_env sl_state_env_t;
typedef struct sl_state_txn sl_state_txn_t;
typedef struct sl_kv sl_kv_t;
typedef struct sl_window sl_window_t;
typedef struct sl_session sl_session_t;
typedef struct sl_state_iter sl_state_iter_t;

/* ---- environment ------------------------------------------------------------ */

/** Opens (creating it and its directory when missing) the state environment
 * in dir: LMDB's files data.mdb and lock.mdb. map_size is the largest the
 * data may grow to (0: SL_STATE_DEFAULT_MAP_SIZE; an existing larger file
 * wins); max_stores is how many store partitions the environment can hold
 * (each store has one database per partition). On success *env is the
 * caller's, to close with sl_state_env_close.
 * dir's parent must exist.
 * The directory lock. One environment at a time owns a directory: open takes
 * an exclusive flock() on <dir>/sluice.lock (creating the file, which is never
 * removed) without waiting, and holds it until sl_state_env_close. A second
 * open of the directory — by another process, or by this one while the first
 * is open (LMDB forbids that: its locks are per process) — fails with
 * SL_ERR_STATE. The lock is flock()'s, so it belongs to the open file: a child
 * fork()ed while env is open shares it until the child exits or execs (the
 * descriptor is close-on-exec), and it is advisory, on filesystems that
 * support flock().
 * Errors: SL_ERR_INVAL (dir NULL or empty, max_stores < 1), SL_ERR_STATE (the
 * directory is locked: errbuf says "state directory <dir> is in use by another
 * process"), SL_ERR_IO (the directory or its lock file cannot be made or
 * used, or LMDB cannot open it: errbuf says which and why), SL_ERR_NOMEM.
 * errbuf (may be NULL) gets a message on error. */
sl_err_t sl_state_env_open(const char *dir, size_t map_size, unsigned max_stores,
                           sl_state_env_t **env, char *errbuf, size_t errlen);

/** Closes env, frees every store handle it gave out and releases the
 * directory lock. Every transaction must have ended. NULL is a no-op. */
void sl_state_env_close(sl_state_env_t *env);

/** Sets a new map size, e.g. after SL_ERR_RANGE (map full). No transaction
 * may be active in the environment. Errors: SL_ERR_INVAL (smaller than the
 * data), SL_ERR_IO. */
sl_err_t sl_state_env_set_map_size(sl_state_env_t *env, size_t map_size);

/** The directory env was opened on (owned by env, valid until it closes). */
const char *sl_state_env_dir(const sl_state_env_t *env);

/* ---- transactions ----------------------------------------------------------- */

/** Begins a transaction: a write transaction when write is non-zero (blocks
 * while another write transaction is active — on the same thread, forever),
 * else a read-only snapshot. LMDB's default reader table holds 126 readers. On
 * success *txn is the caller's until sl_state_txn_commit or _abort ends it.
 * Errors: SL_ERR_STATE (too many readers), SL_ERR_RANGE (the map was grown
 * by another process: reopen), SL_ERR_NOMEM, SL_ERR_IO. */
sl_err_t sl_state_txn_begin(sl_state_env_t *env, int write, sl_state_txn_t **txn);

/** Commits txn and ends it (always: txn is freed even on error). When an
 * earlier operation failed, returns that latched error and commits nothing.
 * Iterators still open on txn are closed (their handles stay valid for
 * sl_state_iter_close only). Errors: the latched error, SL_ERR_RANGE (map
 * full), SL_ERR_IO (the write or fsync failed: nothing was committed). */
sl_err_t sl_state_txn_commit(sl_state_txn_t *txn);

/** Ends txn, discarding its writes. Iterators still open on txn are closed as
 * by commit. NULL is a no-op. */
void sl_state_txn_abort(sl_state_txn_t *txn);

/** The error latched in txn (SL_OK when none). */
sl_err_t sl_state_txn_error(const sl_state_txn_t *txn);

/** The LMDB code (or errno) behind txn's latched error, 0 when none; for
 * messages: mdb_strerror() names it. */
int sl_state_txn_mdb_error(const sl_state_txn_t *txn);

/* ---- key-value stores --------------------------------------------------------- */

/** Opens partition `partition` of the key-value store `store` (the database
 * "<store>-<partition>"), creating it in a write transaction. *kv belongs to
 * the environment and stays valid until it closes — except when the write
 * transaction that created the database aborts: then the handle is gone, and
 * the store must be opened again. Opening a store again returns the same
 * handle; a handle is used with any later transaction of its environment.
 * Looks the name up among the open stores under a mutex: open a store once
 * per task and keep the handle, not once per record.
 * In a read transaction, returns 0 (*kv = NULL) when no committed write
 * transaction of this process has opened the store before this one began:
 * the engine opens its stores when a task starts.
 * Returns 1 when opened, 0 as just said, or an error: SL_ERR_INVAL (bad
 * name: empty, longer than SL_STATE_MAX_STORE_NAME, partition < 0),
 * SL_ERR_STATE (the name is open as another kind of store), SL_ERR_CONFIG (more
 * than max_stores), or an LMDB error. */
int sl_kv_open(sl_state_txn_t *txn, const char *store, int32_t partition, sl_kv_t **kv);

/** Sets key to value (replacing any value). key is 1..SL_STATE_MAX_KEY bytes;
 * value may be empty. LMDB copies both. Write transactions only.
 * Errors: SL_ERR_INVAL (key size, read-only txn), SL_ERR_RANGE (map full),
 * SL_ERR_IO; all latched. */
sl_err_t sl_kv_put(sl_state_txn_t *txn, sl_kv_t *kv, sl_bytes_t key, sl_bytes_t value);

/** Looks key up. Returns 1 with *value a view into the map (valid until the
 * transaction ends or its next write), 0 when key is absent (*value empty),
 * or an error (latched). */
int sl_kv_get(sl_state_txn_t *txn, sl_kv_t *kv, sl_bytes_t key, sl_bytes_t *value);

/** Removes key. Returns 1 when it was there, 0 when it was not, or an error
 * (latched). Write transactions only. */
int sl_kv_delete(sl_state_txn_t *txn, sl_kv_t *kv, sl_bytes_t key);

/** The number of keys in the store, as this transaction sees it: O(1).
 * Returns the count or an error (latched). */
int64_t sl_kv_count(sl_state_txn_t *txn, sl_kv_t *kv);

/** Starts an iterator over the keys in [from, to) in byte order; a NULL bound
 * is open (from NULL: from the first key; to NULL: to the last). The bounds
 * are copied. Read with sl_kv_iter_next, release with sl_state_iter_close
 * (before or after the transaction ends). Writing to the store while iterating
 * is allowed; the iterator then goes on from the key after the last one it
 * returned. *it is the caller's. Errors: SL_ERR_NOMEM, LMDB errors (latched). */
sl_err_t sl_kv_range(sl_state_txn_t *txn, sl_kv_t *kv, const sl_bytes_t *from,
                     const sl_bytes_t *to, sl_state_iter_t **it);

/** The next key and value of a sl_kv_range iterator: views valid until the
 * next call on it, a write in its transaction, or the transaction's end.
 * Returns 1 with a record, 0 at the end (also once the transaction ended), or
 * an error (latched in the transaction). */
int sl_kv_iter_next(sl_state_iter_t *it, sl_bytes_t *key, sl_bytes_t *value);

/** Frees an iterator of any kind. NULL is a no-op. */
void sl_state_iter_close(sl_state_iter_t *it);

/* ---- window stores ------------------------------------------------------------ */

/* A window store is a database like a key-value store's, keyed by the store
 * key followed by the window start as 8 big-endian bytes with the sign bit
 * flipped (sl__window_key_encode): one key's windows sit together in time
 * order, negative starts before positive ones. The layout is key-first, as
 * Kafka Streams' RocksDB window store's: fetching one key's windows is a range
 * scan, but anything by time alone (fetch_all, delete_before) reads every
 * window of the store. */

/** Opens a window store, as sl_kv_open does (same names, same database
 * space: one name is one kind of store — key-value, window or session — in a
 * process).
 * Returns 1, 0 or an error as sl_kv_open. */
int sl_window_open(sl_state_txn_t *txn, const char *store, int32_t partition, sl_window_t **w);

/** Writes out[0 .. key.len + 8): key's bytes, then window_start as 8
 * big-endian bytes with the sign bit flipped (so unsigned byte order is
 * numeric order). out must have room for key.len + 8 bytes. Returns key.len + 8. */
size_t sl__window_key_encode(uint8_t *out, sl_bytes_t key, int64_t window_start);

/** Splits a stored window key (at least 8 bytes) into the store key (a view
 * into k) and the window start. Returns 1, or 0 when k is shorter than 8. */
int sl__window_key_decode(sl_bytes_t k, sl_bytes_t *key, int64_t *window_start);

/** Sets the value of key's window starting at window_start. key is
 * 0..SL_STATE_MAX_KEY - 8 bytes, value any size. Write transactions only.
 * Errors as sl_kv_put (latched). */
sl_err_t sl_window_put(sl_state_txn_t *txn, sl_window_t *w, sl_bytes_t key,
                       int64_t window_start, sl_bytes_t value);

/** Looks up key's window starting at window_start: 1 with *value (a view, as
 * sl_kv_get's), 0 when there is none, or an error (latched). */
int sl_window_get(sl_state_txn_t *txn, sl_window_t *w, sl_bytes_t key, int64_t window_start,
                  sl_bytes_t *value);

/** Removes one window: 1 when it was there, 0 when not, or an error (latched). */
int sl_window_delete(sl_state_txn_t *txn, sl_window_t *w, sl_bytes_t key, int64_t window_start);

/** Iterates key's windows with t_from <= start <= t_to (both inclusive, as
 * Kafka Streams' WindowStore.fetch), in start order. A range scan: cost is the
 * windows in range, plus those of longer keys that begin with key and sort
 * inside the range (skipped). Read with sl_window_iter_next; release with
 * sl_state_iter_close. Errors: SL_ERR_INVAL (key too long), SL_ERR_NOMEM,
 * LMDB errors (latched). */
sl_err_t sl_window_fetch(sl_state_txn_t *txn, sl_window_t *w, sl_bytes_t key, int64_t t_from,
                         int64_t t_to, sl_state_iter_t **it);

/** Iterates the windows of every key with t_from <= start <= t_to, in stored
 * byte order: by key then start, except that the windows of a key and of a
 * longer key it is a prefix of may interleave ("a\x7f"@-3 sorts before "a"@-1,
 * as -1 encodes as 7f ff ..) — Kafka Streams' fetchAll has the same order.
 * Cost: reads every window in the store (the layout is key-first), returning
 * only those in range. Errors as sl_window_fetch. */
sl_err_t sl_window_fetch_all(sl_state_txn_t *txn, sl_window_t *w, int64_t t_from, int64_t t_to,
                             sl_state_iter_t **it);

/** The next window of a fetch iterator: *key a view (valid as
 * sl_kv_iter_next's), *window_start, *value a view. Returns 1, 0 at the end,
 * or an error (latched). */
int sl_window_iter_next(sl_state_iter_t *it, sl_bytes_t *key, int64_t *window_start,
                        sl_bytes_t *value);

/** Retention: removes every window that starts before t (start < t), of all
 * keys. Cost: reads every window in the store. *removed (may be NULL) gets how
 * many went. Write transactions only. Errors: LMDB errors (latched). */
sl_err_t sl_window_delete_before(sl_state_txn_t *txn, sl_window_t *w, int64_t t, int64_t *removed);

/* ---- session stores ------------------------------------------------------------ */

/* A session store holds Kafka Streams' sessions: a session is a key with a
 * window [start, end] (both inclusive, start <= end) and an aggregate value;
 * one key may have many sessions, and (key, start, end) names one. Its
 * database is keyed as Kafka's SessionKeySchema: the store key, then end, then
 * start, each as 8 big-endian bytes with the sign bit flipped
 * (sl__session_key_encode): one key's sessions sit together in order of end,
 * then start. Key-first like the window store: finding one key's sessions is
 * a range scan; retention reads every session of the store. */

/** Opens a session store, as sl_kv_open does (same names, same database
 * space: one name is one kind of store in a process). Returns 1, 0 or an
 * error as sl_kv_open (SL_ERR_STATE when the name is open as a key-value or
 * window store). */
int sl_session_open(sl_state_txn_t *txn, const char *store, int32_t partition, sl_session_t **s);

/** Writes out[0 .. key.len + 16): key's bytes, then end, then start, each as 8
 * big-endian bytes with the sign bit flipped (so unsigned byte order is
 * numeric order). out must have room for key.len + 16 bytes. Returns
 * key.len + 16. Note the argument order (start, end) is not the byte order. */
size_t sl__session_key_encode(uint8_t *out, sl_bytes_t key, int64_t start, int64_t end);

/** Splits a stored session key (at least 16 bytes) into the store key (a view
 * into k), start and end. Returns 1, or 0 when k is shorter than 16. */
int sl__session_key_decode(sl_bytes_t k, sl_bytes_t *key, int64_t *start, int64_t *end);

/** Sets the value (the aggregate) of key's session [start, end], replacing
 * any. key is 0..SL_STATE_MAX_KEY - 16 bytes, value any size (empty is an
 * ordinary value; a session goes away only by sl_session_delete). LMDB copies
 * both. Sessions with other bounds are left alone: merging sessions is the
 * caller's (delete the old ones, put the merged one). Write transactions
 * only. Errors: SL_ERR_INVAL (key too long, end < start, read-only txn),
 * SL_ERR_RANGE (map full), SL_ERR_IO; all latched. */
sl_err_t sl_session_put(sl_state_txn_t *txn, sl_session_t *s, sl_bytes_t key, int64_t start,
                        int64_t end, sl_bytes_t value);

/** Looks up key's session [start, end] (exact bounds): 1 with *value (a view
 * into the map, valid until the transaction ends or its next write), 0 when
 * there is none (also for a key too long or end < start: no such session can
 * be stored; *value empty), or an error (latched). */
int sl_session_get(sl_state_txn_t *txn, sl_session_t *s, sl_bytes_t key, int64_t start,
                   int64_t end, sl_bytes_t *value);

/** Removes key's session [start, end]: 1 when it was there, 0 when not (also
 * for a key too long or end < start), or an error (latched). Write
 * transactions only (SL_ERR_INVAL, latched, in a read-only one). */
int sl_session_delete(sl_state_txn_t *txn, sl_session_t *s, sl_bytes_t key, int64_t start,
                      int64_t end);

/** Iterates key's sessions with end >= earliest_end and start <= latest_start
 * (Kafka's SessionStore.findSessions; when earliest_end <= latest_start, the
 * sessions that share at least one instant with [earliest_end, latest_start]:
 * a session merger with inactivity gap g looks for a record at ts with
 * find(key, ts - g, ts + g)), in order of end, then start. Cost: a range scan over key's sessions with end >=
 * earliest_end (those starting after latest_start are read and skipped: end
 * bounds nothing above), plus those of longer keys that begin with key and
 * sort inside the range (skipped). The bounds are copied. Read with
 * sl_session_iter_next; release with sl_state_iter_close (before or after the
 * transaction ends). Writes in the transaction while iterating are allowed, as
 * for sl_kv_range. *it is the caller's. Errors: SL_ERR_INVAL (key too long),
 * SL_ERR_NOMEM, LMDB errors (all latched). */
sl_err_t sl_session_find(sl_state_txn_t *txn, sl_session_t *s, sl_bytes_t key,
                         int64_t earliest_end, int64_t latest_start, sl_state_iter_t **it);

/** Iterates every session of key, in order of end, then start: sl_session_find
 * with no bounds (INT64_MIN, INT64_MAX). Errors as sl_session_find. */
sl_err_t sl_session_fetch(sl_state_txn_t *txn, sl_session_t *s, sl_bytes_t key,
                          sl_state_iter_t **it);

/** The next session of a sl_session_find or _fetch iterator: *key a view,
 * *start, *end, *value a view (views valid until the next call on it, a write
 * in its transaction, or the transaction's end). Returns 1, 0 at the end
 * (also once the transaction ended), or an error (latched in the transaction):
 * SL_ERR_STATE when it is not a session iterator. */
int sl_session_iter_next(sl_state_iter_t *it, sl_bytes_t *key, int64_t *start, int64_t *end,
                         sl_bytes_t *value);

/** Retention: removes every session that ended before t (end < t), of all
 * keys. Cost: reads every session in the store. *removed (may be NULL) gets
 * how many went. Write transactions only. Errors: SL_ERR_INVAL (read-only
 * txn), LMDB errors (all latched). */
sl_err_t sl_session_delete_before(sl_state_txn_t *txn, sl_session_t *s, int64_t t,
                                  int64_t *removed);

/* ---- timestamped values ------------------------------------------------------------ */

/* The stores of the DSL's tables (key-value stores of table sources, count /
 * reduce / aggregate, materialized table operators and joins; window stores
 * of time-windowed aggregations: sl_store_t.timestamped in the engine) are
 * Kafka Streams' timestamped stores (KIP-258): each value carries the
 * timestamp of the record or result it holds. On disk the LMDB value is
 *
 *     {timestamp: 8 bytes, big-endian two's complement}{the value's bytes}
 *
 * — Kafka's ValueAndTimestampSerializer layout. The layer below does not
 * look inside values: these helpers are for the layers that write and read
 * such stores (the engine's store access, restore and interactive queries).
 * The changelog keeps the plain value bytes, with the timestamp as the
 * record's timestamp (Kafka's ChangeLoggingTimestamped*BytesStore). A store
 * written before this layout (plain values) is not readable as timestamped. */

/** Bytes the timestamp takes in front of a timestamped value. */
#define SL_STATE_TS_LEN 8

/** Writes out[0 .. SL_STATE_TS_LEN + value.len): ts, then value's bytes. out
 * must have room. Returns SL_STATE_TS_LEN + value.len. */
size_t sl_state_ts_encode(uint8_t *out, int64_t ts, sl_bytes_t value);

/** Splits a stored timestamped value into its timestamp (ts may be NULL) and
 * the value's bytes (a view into stored). Returns 1, or 0 when stored is
 * shorter than SL_STATE_TS_LEN (not a timestamped value). */
int sl_state_ts_decode(sl_bytes_t stored, int64_t *ts, sl_bytes_t *value);

/* ---- metadata committed with the state ------------------------------------------ */

/* A small map of its own (the database "sl.meta", which no store name can
 * produce: those end in "-<partition>"), written in the same transactions as
 * the stores: the engine keeps its consumed input offsets and changelog
 * offsets here, so that a commit moves state and offsets together. */

/** Sets meta key (a NUL-terminated name of 1..SL_STATE_MAX_KEY bytes) to value
 * (copied). Write transactions only. Errors as sl_kv_put (latched). */
sl_err_t sl_state_meta_put(sl_state_txn_t *txn, const char *key, sl_bytes_t value);

/** Looks meta key up: 1 with *value (a view valid until the transaction ends or
 * its next write), 0 when absent, or an error (latched). */
int sl_state_meta_get(sl_state_txn_t *txn, const char *key, sl_bytes_t *value);

/** Removes meta key: 1 when it was there, 0 when not, or an error (latched). */
int sl_state_meta_delete(sl_state_txn_t *txn, const char *key);

/** sl_state_meta_put of v as 8 big-endian bytes (an offset). */
sl_err_t sl_state_meta_put_i64(sl_state_txn_t *txn, const char *key, int64_t v);

/** sl_state_meta_get of an 8-byte big-endian value: 1 with *v, 0 when absent,
 * SL_ERR_IO when the stored value is not 8 bytes, or an error (latched). */
int sl_state_meta_get_i64(sl_state_txn_t *txn, const char *key, int64_t *v);

#endif
