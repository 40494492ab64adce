/* image.c — the cluster metadata image: record encoding, atomic apply of
 * Raft entries, snapshots, and the controller's pure decision helpers. */
#include "broker/meta/image.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/varint.h"

/* ---- encoding ------------------------------------------------------------ */

static void put_uvar(sl_meta_batch_t *b, uint64_t v)
{
    if (b->err)
        return;
    uint8_t tmp[SL_VARINT_MAX64];
    b->err = sl_buf_append(&b->body, tmp, sl_uvarint_put(tmp, v));
}

static void put_var(sl_meta_batch_t *b, int32_t v)
{
    if (b->err)
        return;
    uint8_t tmp[SL_VARINT_MAX64];
    b->err = sl_buf_append(&b->body, tmp, sl_varint_put(tmp, v));
}

static void put_raw(sl_meta_batch_t *b, const void *p, size_t n)
{
    if (!b->err)
        b->err = sl_buf_append(&b->body, p, n);
}

static void put_str(sl_meta_batch_t *b, const char *s, size_t n)
{
    put_uvar(b, n);
    put_raw(b, s, n);
}

static void put_arr(sl_meta_batch_t *b, const int32_t *v, int32_t n)
{
    put_uvar(b, (uint64_t)n);
    for (int32_t i = 0; i < n; i++)
        put_var(b, v[i]);
}

/* Starts a record: checks the latch and remembers where the record begins so
 * a failed add leaves no half record behind. */
static int rec_begin(sl_meta_batch_t *b, sl_meta_record_type_t type, size_t *mark)
{
    *mark = b->body.len;
    if (b->err)
        return 0;
    uint8_t t = (uint8_t)type;
    put_raw(b, &t, 1);
    return !b->err;
}

static sl_err_t rec_end(sl_meta_batch_t *b, size_t mark)
{
    if (b->err) {
        b->body.len = mark;
        return b->err;
    }
    b->count++;
    return SL_OK;
}

static sl_err_t latch(sl_meta_batch_t *b, sl_err_t err)
{
    if (!b->err)
        b->err = err;
    return b->err;
}

void sl_meta_batch_init(sl_meta_batch_t *b)
{
    sl_buf_init(&b->body);
    b->count = 0;
    b->err = SL_OK;
}

void sl_meta_batch_free(sl_meta_batch_t *b)
{
    if (!b)
        return;
    sl_buf_free(&b->body);
    b->count = 0;
    b->err = SL_OK;
}

void sl_meta_batch_reset(sl_meta_batch_t *b)
{
    sl_buf_reset(&b->body);
    b->count = 0;
    b->err = SL_OK;
}

static sl_err_t add_broker(sl_meta_batch_t *b, sl_meta_record_type_t type, int32_t id,
                           uint64_t incarnation, const char *host, int32_t port, uint64_t epoch,
                           int fenced)
{
    if (b->err)
        return b->err;
    if (!host || strlen(host) > SL_META_MAX_HOST || port < 0 || port > 65535)
        return latch(b, SL_ERR_INVAL);
    size_t mark;
    if (rec_begin(b, type, &mark)) {
        put_var(b, id);
        put_uvar(b, incarnation);
        put_str(b, host, strlen(host));
        put_var(b, port);
        if (type == SL_META_BROKER_STATE) {
            put_uvar(b, epoch);
            uint8_t f = fenced ? 1 : 0;
            put_raw(b, &f, 1);
        }
    }
    return rec_end(b, mark);
}

sl_err_t sl_meta_batch_add_register_broker(sl_meta_batch_t *b, int32_t id, uint64_t incarnation,
                                           const char *host, int32_t port)
{
    return add_broker(b, SL_META_REGISTER_BROKER, id, incarnation, host, port, 0, 1);
}

sl_err_t sl_meta_batch_add_broker_state(sl_meta_batch_t *b, int32_t id, uint64_t incarnation,
                                        const char *host, int32_t port, uint64_t epoch, int fenced)
{
    return add_broker(b, SL_META_BROKER_STATE, id, incarnation, host, port, epoch, fenced);
}

static sl_err_t add_id_epoch(sl_meta_batch_t *b, sl_meta_record_type_t type, int32_t id, uint64_t epoch)
{
    size_t mark;
    if (rec_begin(b, type, &mark)) {
        put_var(b, id);
        if (type != SL_META_UNREGISTER_BROKER)
            put_uvar(b, epoch);
    }
    return rec_end(b, mark);
}

sl_err_t sl_meta_batch_add_unfence_broker(sl_meta_batch_t *b, int32_t id, uint64_t epoch)
{
    return add_id_epoch(b, SL_META_UNFENCE_BROKER, id, epoch);
}

sl_err_t sl_meta_batch_add_fence_broker(sl_meta_batch_t *b, int32_t id, uint64_t epoch)
{
    return add_id_epoch(b, SL_META_FENCE_BROKER, id, epoch);
}

sl_err_t sl_meta_batch_add_unregister_broker(sl_meta_batch_t *b, int32_t id)
{
    return add_id_epoch(b, SL_META_UNREGISTER_BROKER, id, 0);
}

sl_err_t sl_meta_batch_add_topic(sl_meta_batch_t *b, const char *name, const uint8_t id[16])
{
    if (b->err)
        return b->err;
    if (!name || !id || strlen(name) > SL_META_MAX_CONFIG)
        return latch(b, SL_ERR_INVAL);
    size_t mark;
    if (rec_begin(b, SL_META_TOPIC, &mark)) {
        put_str(b, name, strlen(name));
        put_raw(b, id, 16);
    }
    return rec_end(b, mark);
}

static int ids_ok(const int32_t *v, int32_t n)
{
    return n >= 0 && n <= SL_META_MAX_REPLICAS && (v || n == 0);
}

sl_err_t sl_meta_batch_add_partition(sl_meta_batch_t *b, const uint8_t topic_id[16], int32_t partition,
                                     const int32_t *replicas, int32_t nreplicas, const int32_t *isr,
                                     int32_t nisr, int32_t leader, int32_t leader_epoch,
                                     int32_t partition_epoch)
{
    if (b->err)
        return b->err;
    if (!topic_id || !ids_ok(replicas, nreplicas) || !ids_ok(isr, nisr))
        return latch(b, SL_ERR_INVAL);
    size_t mark;
    if (rec_begin(b, SL_META_PARTITION, &mark)) {
        put_raw(b, topic_id, 16);
        put_var(b, partition);
        put_arr(b, replicas, nreplicas);
        put_arr(b, isr, nisr);
        put_var(b, leader);
        put_var(b, leader_epoch);
        put_var(b, partition_epoch);
    }
    return rec_end(b, mark);
}

enum { CHG_LEADER = 1, CHG_ISR = 2, CHG_REPLICAS = 4 };

sl_err_t sl_meta_batch_add_partition_change(sl_meta_batch_t *b, const uint8_t topic_id[16],
                                            int32_t partition, int has_leader, int32_t leader,
                                            const int32_t *isr, int32_t nisr,
                                            const int32_t *replicas, int32_t nreplicas)
{
    if (b->err)
        return b->err;
    if (!topic_id || (isr && !ids_ok(isr, nisr)) || (replicas && !ids_ok(replicas, nreplicas)))
        return latch(b, SL_ERR_INVAL);
    uint8_t flags = (uint8_t)((has_leader ? CHG_LEADER : 0) | (isr ? CHG_ISR : 0) |
                              (replicas ? CHG_REPLICAS : 0));
    size_t mark;
    if (rec_begin(b, SL_META_PARTITION_CHANGE, &mark)) {
        put_raw(b, topic_id, 16);
        put_var(b, partition);
        put_raw(b, &flags, 1);
        if (has_leader)
            put_var(b, leader);
        if (isr)
            put_arr(b, isr, nisr);
        if (replicas)
            put_arr(b, replicas, nreplicas);
    }
    return rec_end(b, mark);
}

sl_err_t sl_meta_batch_add_remove_topic(sl_meta_batch_t *b, const uint8_t topic_id[16])
{
    if (b->err)
        return b->err;
    if (!topic_id)
        return latch(b, SL_ERR_INVAL);
    size_t mark;
    if (rec_begin(b, SL_META_REMOVE_TOPIC, &mark))
        put_raw(b, topic_id, 16);
    return rec_end(b, mark);
}

sl_err_t sl_meta_batch_add_topic_config(sl_meta_batch_t *b, const uint8_t topic_id[16], const char *key,
                                        const char *value)
{
    if (b->err)
        return b->err;
    if (!topic_id || !key || strlen(key) > SL_META_MAX_CONFIG ||
        (value && strlen(value) > SL_META_MAX_CONFIG))
        return latch(b, SL_ERR_INVAL);
    size_t mark;
    if (rec_begin(b, SL_META_TOPIC_CONFIG, &mark)) {
        put_raw(b, topic_id, 16);
        put_str(b, key, strlen(key));
        put_uvar(b, value ? strlen(value) + 1 : 0);
        if (value)
            put_raw(b, value, strlen(value));
    }
    return rec_end(b, mark);
}

sl_err_t sl_meta_batch_encode(const sl_meta_batch_t *b, sl_buf_t *out)
{
    if (b->err)
        return b->err;
    sl_err_t err = sl_buf_reserve(out, 1 + b->body.len);
    if (err)
        return err;
    sl_buf_put_u8(out, SL_META_FORMAT_V1);
    sl_buf_append(out, b->body.data, b->body.len);
    return SL_OK;
}

/* ---- decoding ------------------------------------------------------------ */

typedef struct rd {
    const uint8_t *p;
    size_t len, off;
    int bad;
} rd_t;

static uint64_t get_uvar(rd_t *r)
{
    uint64_t v = 0;
    size_t n = r->bad ? 0 : sl_uvarint_get(r->p + r->off, r->len - r->off, SL_VARINT_MAX64, &v);
    if (!n)
        r->bad = 1;
    r->off += n;
    return v;
}

static int32_t get_var(rd_t *r)
{
    int64_t v = 0;
    size_t n = r->bad ? 0 : sl_varint_get(r->p + r->off, r->len - r->off, SL_VARINT_MAX32, &v);
    if (!n || v < INT32_MIN || v > INT32_MAX)
        r->bad = 1;
    r->off += n;
    return (int32_t)v;
}

static const uint8_t *get_raw(rd_t *r, size_t n)
{
    if (r->bad || n > r->len - r->off) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *p = r->p + r->off;
    r->off += n;
    return p;
}

static const char *get_str(rd_t *r, size_t *len, size_t max)
{
    uint64_t n = get_uvar(r);
    if (n > max) {
        r->bad = 1;
        return NULL;
    }
    *len = (size_t)n;
    return (const char *)get_raw(r, (size_t)n);
}

static int32_t get_arr(rd_t *r, int32_t *out)
{
    uint64_t n = get_uvar(r);
    if (n > SL_META_MAX_REPLICAS) {
        r->bad = 1;
        return 0;
    }
    for (uint64_t i = 0; i < n; i++)
        out[i] = get_var(r);
    return (int32_t)n;
}

static void get_id(rd_t *r, uint8_t id[16])
{
    const uint8_t *p = get_raw(r, 16);
    if (p)
        memcpy(id, p, 16);
}

/* Reads one record at r->off (r->off < r->len). */
static sl_err_t decode_record(rd_t *r, sl_meta_record_t *rec)
{
    memset(rec, 0, offsetof(sl_meta_record_t, replicas));
    rec->key = rec->value = NULL;
    rec->key_len = rec->value_len = 0;
    const uint8_t *t = get_raw(r, 1);
    rec->type = (sl_meta_record_type_t)t[0];
    switch (rec->type) {
    case SL_META_REGISTER_BROKER:
    case SL_META_BROKER_STATE:
        rec->broker_id = get_var(r);
        rec->incarnation = get_uvar(r);
        rec->host = get_str(r, &rec->host_len, SL_META_MAX_HOST);
        rec->port = get_var(r);
        rec->fenced = 1;
        if (rec->type == SL_META_BROKER_STATE) {
            rec->broker_epoch = get_uvar(r);
            const uint8_t *f = get_raw(r, 1);
            if (f && *f > 1)
                r->bad = 1;
            rec->fenced = f ? *f : 1;
        }
        break;
    case SL_META_UNFENCE_BROKER:
    case SL_META_FENCE_BROKER:
        rec->broker_id = get_var(r);
        rec->broker_epoch = get_uvar(r);
        break;
    case SL_META_UNREGISTER_BROKER:
        rec->broker_id = get_var(r);
        break;
    case SL_META_TOPIC:
        rec->name = get_str(r, &rec->name_len, SL_META_MAX_CONFIG);
        get_id(r, rec->topic_id);
        break;
    case SL_META_PARTITION:
        get_id(r, rec->topic_id);
        rec->partition = get_var(r);
        rec->nreplicas = get_arr(r, rec->replicas);
        rec->nisr = get_arr(r, rec->isr);
        rec->leader = get_var(r);
        rec->leader_epoch = get_var(r);
        rec->partition_epoch = get_var(r);
        rec->has_leader = rec->has_isr = rec->has_replicas = 1;
        break;
    case SL_META_PARTITION_CHANGE: {
        get_id(r, rec->topic_id);
        rec->partition = get_var(r);
        const uint8_t *f = get_raw(r, 1);
        uint8_t flags = f ? *f : 0;
        if (flags & ~(CHG_LEADER | CHG_ISR | CHG_REPLICAS))
            r->bad = 1;
        rec->has_leader = !!(flags & CHG_LEADER);
        rec->has_isr = !!(flags & CHG_ISR);
        rec->has_replicas = !!(flags & CHG_REPLICAS);
        if (rec->has_leader)
            rec->leader = get_var(r);
        if (rec->has_isr)
            rec->nisr = get_arr(r, rec->isr);
        if (rec->has_replicas)
            rec->nreplicas = get_arr(r, rec->replicas);
        break;
    }
    case SL_META_REMOVE_TOPIC:
        get_id(r, rec->topic_id);
        break;
    case SL_META_TOPIC_CONFIG: {
        get_id(r, rec->topic_id);
        rec->key = get_str(r, &rec->key_len, SL_META_MAX_CONFIG);
        uint64_t n = get_uvar(r);
        if (n > SL_META_MAX_CONFIG + 1)
            r->bad = 1;
        else if (n > 0) {
            rec->value_len = (size_t)n - 1;
            rec->value = (const char *)get_raw(r, rec->value_len);
            if (!rec->value) /* keep "absent" distinct from "truncated" */
                r->bad = 1;
        }
        break;
    }
    default:
        return SL_ERR_CORRUPT_MESSAGE;
    }
    return r->bad ? SL_ERR_CORRUPT_MESSAGE : SL_OK;
}

int sl_meta_entry_next(const uint8_t *entry, size_t len, size_t *off, sl_meta_record_t *rec)
{
    if (*off == 0) {
        if (len < 1)
            return SL_ERR_CORRUPT_MESSAGE;
        if (entry[0] != SL_META_FORMAT_V1)
            return SL_ERR_UNSUPPORTED;
        *off = 1;
    }
    if (*off >= len)
        return 0;
    rd_t r = {entry, len, *off, 0};
    sl_err_t err = decode_record(&r, rec);
    if (err)
        return err;
    *off = r.off;
    return 1;
}

/* ---- the image: memory --------------------------------------------------- */

struct sl_meta_image {
    atomic_int refs;
    uint64_t last_index;
    uint64_t gen; /* counts applies; topics copied by the current one carry it */
    sl_meta_broker_t *brokers; /* sorted by id */
    size_t nbrokers, capbrokers;
    sl_meta_topic_t **by_name; /* sorted by name */
    size_t ntopics, capnames;
    sl_meta_topic_t **by_id; /* open addressing, linear probing, hcap a power of two */
    size_t hcap;
};

static void part_free(sl_meta_partition_t *p) { free(p->replicas); }

/* Gives p a fresh block holding replicas then isr (the inputs may point into
 * p's old block). */
static sl_err_t part_set(sl_meta_partition_t *p, const int32_t *replicas, int32_t nr, const int32_t *isr,
                         int32_t ni)
{
    int32_t *blk = malloc(sizeof(int32_t) * (size_t)(nr + ni > 0 ? nr + ni : 1));
    if (!blk)
        return SL_ERR_NOMEM;
    if (nr)
        memcpy(blk, replicas, sizeof(int32_t) * (size_t)nr);
    if (ni)
        memcpy(blk + nr, isr, sizeof(int32_t) * (size_t)ni);
    free(p->replicas);
    p->replicas = blk, p->nreplicas = nr;
    p->isr = blk + nr, p->nisr = ni;
    return SL_OK;
}

static void topic_free(sl_meta_topic_t *t)
{
    if (!t)
        return;
    for (int32_t i = 0; i < t->npartitions; i++)
        part_free(&t->partitions[i]);
    free(t->partitions);
    for (int32_t i = 0; i < t->nconfigs; i++) {
        free(t->configs[i].key);
        free(t->configs[i].value);
    }
    free(t->configs);
    free(t->name);
    free(t);
}

static sl_meta_topic_t *topic_new(const char *name, size_t len, const uint8_t id[16])
{
    sl_meta_topic_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->name = malloc(len + 1);
    if (!t->name) {
        free(t);
        return NULL;
    }
    memcpy(t->name, name, len);
    t->name[len] = '\0';
    memcpy(t->id, id, 16);
    return t;
}

static sl_meta_topic_t *topic_dup(const sl_meta_topic_t *s)
{
    sl_meta_topic_t *t = topic_new(s->name, strlen(s->name), s->id);
    if (!t)
        return NULL;
    if (s->npartitions) {
        t->partitions = calloc((size_t)s->npartitions, sizeof *t->partitions);
        if (!t->partitions)
            goto nomem;
        for (int32_t i = 0; i < s->npartitions; i++) {
            const sl_meta_partition_t *sp = &s->partitions[i];
            sl_meta_partition_t *p = &t->partitions[i];
            if (part_set(p, sp->replicas, sp->nreplicas, sp->isr, sp->nisr))
                goto nomem;
            t->npartitions = i + 1;
            p->leader = sp->leader;
            p->leader_epoch = sp->leader_epoch;
            p->partition_epoch = sp->partition_epoch;
        }
    }
    if (s->nconfigs) {
        t->configs = calloc((size_t)s->nconfigs, sizeof *t->configs);
        if (!t->configs)
            goto nomem;
        for (int32_t i = 0; i < s->nconfigs; i++) {
            t->nconfigs = i + 1;
            t->configs[i].key = strdup(s->configs[i].key);
            t->configs[i].value = strdup(s->configs[i].value);
            if (!t->configs[i].key || !t->configs[i].value)
                goto nomem;
        }
    }
    t->gen_ = s->gen_;
    return t;
nomem:
    topic_free(t);
    return NULL;
}

sl_meta_image_t *sl_meta_image_new(void)
{
    sl_meta_image_t *img = calloc(1, sizeof *img);
    if (!img)
        return NULL;
    atomic_init(&img->refs, 1);
    return img;
}

static void image_free(sl_meta_image_t *img)
{
    for (size_t i = 0; i < img->ntopics; i++)
        topic_free(img->by_name[i]);
    free(img->by_name);
    free(img->by_id);
    free(img->brokers);
    free(img);
}

sl_meta_image_t *sl_meta_image_ref(const sl_meta_image_t *cimg)
{
    sl_meta_image_t *img = (sl_meta_image_t *)cimg; /* the count is not the image's value */
    atomic_fetch_add_explicit(&img->refs, 1, memory_order_relaxed);
    return img;
}

void sl_meta_image_unref(const sl_meta_image_t *cimg)
{
    sl_meta_image_t *img = (sl_meta_image_t *)cimg;
    if (img && atomic_fetch_sub_explicit(&img->refs, 1, memory_order_acq_rel) == 1)
        image_free(img);
}

/* ---- the image: indexes -------------------------------------------------- */

static size_t id_hash(const uint8_t id[16])
{
    uint64_t h = sl_load_be64(id) ^ (sl_load_be64(id + 8) * 0x9e3779b97f4a7c15ull);
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return (size_t)h;
}

/* The slot holding id, or the empty slot where it would go. */
static size_t id_slot(const sl_meta_image_t *img, const uint8_t id[16])
{
    size_t mask = img->hcap - 1, i = id_hash(id) & mask;
    while (img->by_id[i] && memcmp(img->by_id[i]->id, id, 16) != 0)
        i = (i + 1) & mask;
    return i;
}

/* Finds name: returns 1 and its position, or 0 and where it would go. */
static int name_pos(const sl_meta_image_t *img, const char *name, size_t len, size_t *pos)
{
    size_t lo = 0, hi = img->ntopics;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *m = img->by_name[mid]->name;
        size_t mlen = strlen(m);
        int c = memcmp(m, name, mlen < len ? mlen : len);
        if (c == 0)
            c = mlen < len ? -1 : mlen > len;
        if (c == 0) {
            *pos = mid;
            return 1;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return 0;
}

static sl_meta_topic_t *find_id(const sl_meta_image_t *img, const uint8_t id[16])
{
    return img->hcap ? img->by_id[id_slot(img, id)] : NULL;
}

/* Makes room for one more topic in both indexes, so that the insert (and any
 * reinsert of a topic removed earlier) cannot fail. */
static sl_err_t idx_reserve(sl_meta_image_t *img)
{
    if (img->ntopics + 1 > img->capnames) {
        size_t cap = img->capnames ? img->capnames * 2 : 16;
        sl_meta_topic_t **p = realloc(img->by_name, cap * sizeof *p);
        if (!p)
            return SL_ERR_NOMEM;
        img->by_name = p, img->capnames = cap;
    }
    if ((img->ntopics + 1) * 2 > img->hcap) {
        size_t cap = img->hcap ? img->hcap * 2 : 32;
        sl_meta_topic_t **old = img->by_id, **tab = calloc(cap, sizeof *tab);
        if (!tab)
            return SL_ERR_NOMEM;
        size_t oldcap = img->hcap;
        img->by_id = tab, img->hcap = cap;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i])
                tab[id_slot(img, old[i]->id)] = old[i];
        free(old);
    }
    return SL_OK;
}

/* Needs idx_reserve first (or a slot freed by idx_remove). */
static void idx_insert(sl_meta_image_t *img, sl_meta_topic_t *t)
{
    size_t pos;
    name_pos(img, t->name, strlen(t->name), &pos);
    memmove(img->by_name + pos + 1, img->by_name + pos, (img->ntopics - pos) * sizeof *img->by_name);
    img->by_name[pos] = t;
    img->ntopics++;
    img->by_id[id_slot(img, t->id)] = t;
}

static void idx_remove(sl_meta_image_t *img, sl_meta_topic_t *t)
{
    size_t pos;
    if (name_pos(img, t->name, strlen(t->name), &pos)) {
        memmove(img->by_name + pos, img->by_name + pos + 1, (img->ntopics - pos - 1) * sizeof *img->by_name);
        img->ntopics--;
    }
    /* Backward-shift deletion keeps every probe chain unbroken. */
    size_t mask = img->hcap - 1, i = id_slot(img, t->id), j = i;
    img->by_id[i] = NULL;
    for (;;) {
        j = (j + 1) & mask;
        if (!img->by_id[j])
            break;
        size_t home = id_hash(img->by_id[j]->id) & mask;
        /* Move j back to i unless its home lies cyclically in (i, j]. */
        if ((i <= j) ? (home <= i || home > j) : (home <= i && home > j)) {
            img->by_id[i] = img->by_id[j];
            img->by_id[j] = NULL;
            i = j;
        }
    }
}

/* Swaps old for its copy (same name, same id) in place. */
static void idx_replace(sl_meta_image_t *img, sl_meta_topic_t *old, sl_meta_topic_t *t)
{
    size_t pos;
    if (name_pos(img, old->name, strlen(old->name), &pos))
        img->by_name[pos] = t;
    img->by_id[id_slot(img, old->id)] = t;
}

static sl_meta_broker_t *find_broker(const sl_meta_image_t *img, int32_t id, size_t *pos)
{
    size_t lo = 0, hi = img->nbrokers;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (img->brokers[mid].id == id) {
            if (pos)
                *pos = mid;
            return &img->brokers[mid];
        }
        if (img->brokers[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (pos)
        *pos = lo;
    return NULL;
}

sl_meta_image_t *sl_meta_image_clone(const sl_meta_image_t *src)
{
    sl_meta_image_t *img = sl_meta_image_new();
    if (!img)
        return NULL;
    img->last_index = src->last_index;
    img->gen = src->gen;
    if (src->nbrokers) {
        img->brokers = malloc(src->nbrokers * sizeof *img->brokers);
        if (!img->brokers)
            goto nomem;
        memcpy(img->brokers, src->brokers, src->nbrokers * sizeof *img->brokers);
        img->nbrokers = img->capbrokers = src->nbrokers;
    }
    if (src->ntopics) {
        img->by_name = malloc(src->capnames * sizeof *img->by_name);
        img->by_id = calloc(src->hcap, sizeof *img->by_id);
        if (!img->by_name || !img->by_id)
            goto nomem;
        img->capnames = src->capnames, img->hcap = src->hcap;
        for (size_t i = 0; i < src->ntopics; i++) {
            sl_meta_topic_t *t = topic_dup(src->by_name[i]);
            if (!t)
                goto nomem;
            /* Same order as src: append, no search needed. */
            img->by_name[img->ntopics++] = t;
            img->by_id[id_slot(img, t->id)] = t;
        }
    }
    return img;
nomem:
    image_free(img);
    return NULL;
}

/* ---- apply --------------------------------------------------------------- */

/* What an apply did, to undo it when a later record fails. */
enum { UNDO_ADDED, UNDO_REMOVED, UNDO_COPIED };
typedef struct undo {
    int kind;
    sl_meta_topic_t *t;    /* ADDED: the new topic; REMOVED: the removed one; COPIED: the copy */
    sl_meta_topic_t *orig; /* COPIED: the topic it replaced */
} undo_t;

typedef struct txn {
    sl_meta_image_t *img;
    undo_t *u;
    size_t n, cap;
    sl_meta_broker_t *saved; /* the brokers before the first broker record */
    size_t nsaved;
    int brokers_saved;
    uint64_t index;
} txn_t;

static sl_err_t undo_reserve(txn_t *tx)
{
    if (tx->n < tx->cap)
        return SL_OK;
    size_t cap = tx->cap ? tx->cap * 2 : 16;
    undo_t *u = realloc(tx->u, cap * sizeof *u);
    if (!u)
        return SL_ERR_NOMEM;
    tx->u = u, tx->cap = cap;
    return SL_OK;
}

static void txn_rollback(txn_t *tx)
{
    sl_meta_image_t *img = tx->img;
    for (size_t k = tx->n; k-- > 0;) {
        undo_t *u = &tx->u[k];
        switch (u->kind) {
        case UNDO_ADDED:
            idx_remove(img, u->t);
            topic_free(u->t);
            break;
        case UNDO_REMOVED:
            idx_insert(img, u->t);
            break;
        case UNDO_COPIED:
            idx_replace(img, u->t, u->orig);
            topic_free(u->t);
            break;
        }
    }
    if (tx->brokers_saved) {
        if (tx->nsaved)
            memcpy(img->brokers, tx->saved, tx->nsaved * sizeof *tx->saved);
        img->nbrokers = tx->nsaved;
    }
}

static void txn_commit(txn_t *tx)
{
    for (size_t k = 0; k < tx->n; k++) {
        undo_t *u = &tx->u[k];
        if (u->kind == UNDO_REMOVED)
            topic_free(u->t);
        else if (u->kind == UNDO_COPIED)
            topic_free(u->orig);
    }
    tx->img->last_index = tx->index;
}

static void txn_free(txn_t *tx)
{
    free(tx->u);
    free(tx->saved);
}

static sl_err_t save_brokers(txn_t *tx)
{
    if (tx->brokers_saved)
        return SL_OK;
    sl_meta_image_t *img = tx->img;
    if (img->nbrokers) {
        tx->saved = malloc(img->nbrokers * sizeof *tx->saved);
        if (!tx->saved)
            return SL_ERR_NOMEM;
        memcpy(tx->saved, img->brokers, img->nbrokers * sizeof *tx->saved);
    }
    tx->nsaved = img->nbrokers;
    tx->brokers_saved = 1;
    return SL_OK;
}

/* The topic with this id, copied on first change in this apply so that the
 * original stays intact for a rollback. */
static sl_err_t mutable_topic(txn_t *tx, const uint8_t id[16], sl_meta_topic_t **out)
{
    sl_meta_image_t *img = tx->img;
    sl_meta_topic_t *t = find_id(img, id);
    if (!t)
        return SL_ERR_UNKNOWN_TOPIC;
    if (t->gen_ != img->gen) {
        if (undo_reserve(tx))
            return SL_ERR_NOMEM;
        sl_meta_topic_t *c = topic_dup(t);
        if (!c)
            return SL_ERR_NOMEM;
        c->gen_ = img->gen;
        tx->u[tx->n++] = (undo_t){UNDO_COPIED, c, t};
        idx_replace(img, t, c);
        t = c;
    }
    *out = t;
    return SL_OK;
}

static int has_id(const int32_t *v, int32_t n, int32_t id)
{
    for (int32_t i = 0; i < n; i++)
        if (v[i] == id)
            return 1;
    return 0;
}

static int distinct_ids(const int32_t *v, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        if (v[i] < 0)
            return 0;
        for (int32_t j = 0; j < i; j++)
            if (v[i] == v[j])
                return 0;
    }
    return 1;
}

/* The invariants every partition keeps. */
static int assignment_ok(const int32_t *replicas, int32_t nr, const int32_t *isr, int32_t ni, int32_t leader)
{
    if (nr < 1 || !distinct_ids(replicas, nr) || !distinct_ids(isr, ni))
        return 0;
    for (int32_t i = 0; i < ni; i++)
        if (!has_id(replicas, nr, isr[i]))
            return 0;
    return leader == SL_META_NO_LEADER || has_id(isr, ni, leader);
}

static int topic_name_ok(const char *s, size_t n)
{
    if (n < 1 || n > SL_META_MAX_TOPIC_NAME || (n == 1 && s[0] == '.') ||
        (n == 2 && s[0] == '.' && s[1] == '.'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int zero_id(const uint8_t id[16])
{
    for (int i = 0; i < 16; i++)
        if (id[i])
            return 0;
    return 1;
}

static sl_err_t apply_broker(txn_t *tx, const sl_meta_record_t *r)
{
    sl_meta_image_t *img = tx->img;
    if (r->broker_id < 0)
        return SL_ERR_INVALID_RECORD;
    size_t pos;
    sl_meta_broker_t *b = find_broker(img, r->broker_id, &pos);
    switch (r->type) {
    case SL_META_REGISTER_BROKER:
    case SL_META_BROKER_STATE: {
        if (r->port < 0 || r->port > 65535 || memchr(r->host, '\0', r->host_len))
            return SL_ERR_INVALID_RECORD;
        if (save_brokers(tx))
            return SL_ERR_NOMEM;
        if (!b) {
            if (img->nbrokers == img->capbrokers) {
                size_t cap = img->capbrokers ? img->capbrokers * 2 : 8;
                sl_meta_broker_t *p = realloc(img->brokers, cap * sizeof *p);
                if (!p)
                    return SL_ERR_NOMEM;
                img->brokers = p, img->capbrokers = cap;
            }
            memmove(img->brokers + pos + 1, img->brokers + pos, (img->nbrokers - pos) * sizeof *b);
            img->nbrokers++;
            b = &img->brokers[pos];
        }
        memset(b, 0, sizeof *b);
        b->id = r->broker_id;
        b->incarnation = r->incarnation;
        memcpy(b->host, r->host, r->host_len);
        b->host[r->host_len] = '\0';
        b->port = r->port;
        if (r->type == SL_META_REGISTER_BROKER)
            b->epoch = tx->index, b->fenced = 1;
        else
            b->epoch = r->broker_epoch, b->fenced = r->fenced;
        return SL_OK;
    }
    case SL_META_UNFENCE_BROKER:
    case SL_META_FENCE_BROKER:
        if (!b || b->epoch != r->broker_epoch)
            return SL_OK; /* stale: an older registration's request */
        if (save_brokers(tx))
            return SL_ERR_NOMEM;
        b->fenced = r->type == SL_META_FENCE_BROKER;
        return SL_OK;
    default: /* UNREGISTER */
        if (!b)
            return SL_OK;
        if (save_brokers(tx))
            return SL_ERR_NOMEM;
        memmove(b, b + 1, (img->nbrokers - pos - 1) * sizeof *b);
        img->nbrokers--;
        return SL_OK;
    }
}

static sl_err_t apply_topic(txn_t *tx, const sl_meta_record_t *r)
{
    sl_meta_image_t *img = tx->img;
    size_t pos;
    if (!topic_name_ok(r->name, r->name_len) || zero_id(r->topic_id))
        return SL_ERR_INVALID_TOPIC;
    if (name_pos(img, r->name, r->name_len, &pos) || find_id(img, r->topic_id))
        return SL_ERR_TOPIC_EXISTS;
    if (undo_reserve(tx) || idx_reserve(img))
        return SL_ERR_NOMEM;
    sl_meta_topic_t *t = topic_new(r->name, r->name_len, r->topic_id);
    if (!t)
        return SL_ERR_NOMEM;
    t->gen_ = img->gen;
    idx_insert(img, t);
    tx->u[tx->n++] = (undo_t){UNDO_ADDED, t, NULL};
    return SL_OK;
}

static sl_err_t apply_remove_topic(txn_t *tx, const sl_meta_record_t *r)
{
    sl_meta_topic_t *t = find_id(tx->img, r->topic_id);
    if (!t)
        return SL_ERR_UNKNOWN_TOPIC;
    if (undo_reserve(tx))
        return SL_ERR_NOMEM;
    idx_remove(tx->img, t);
    tx->u[tx->n++] = (undo_t){UNDO_REMOVED, t, NULL};
    return SL_OK;
}

static sl_err_t apply_partition(txn_t *tx, const sl_meta_record_t *r)
{
    sl_meta_topic_t *cur = find_id(tx->img, r->topic_id);
    if (!cur)
        return SL_ERR_UNKNOWN_TOPIC;
    if (r->partition < 0 || r->partition > cur->npartitions)
        return SL_ERR_UNKNOWN_TOPIC;
    if (!assignment_ok(r->replicas, r->nreplicas, r->isr, r->nisr, r->leader) || r->leader_epoch < 0 ||
        r->partition_epoch < 0)
        return SL_ERR_INVALID_RECORD;
    sl_meta_topic_t *t;
    sl_err_t err = mutable_topic(tx, r->topic_id, &t);
    if (err)
        return err;
    if (r->partition == t->npartitions) {
        sl_meta_partition_t *p = realloc(t->partitions, (size_t)(t->npartitions + 1) * sizeof *p);
        if (!p)
            return SL_ERR_NOMEM;
        t->partitions = p;
        memset(&p[t->npartitions], 0, sizeof *p);
        if (part_set(&p[t->npartitions], r->replicas, r->nreplicas, r->isr, r->nisr))
            return SL_ERR_NOMEM;
        t->npartitions++;
    } else if (part_set(&t->partitions[r->partition], r->replicas, r->nreplicas, r->isr, r->nisr)) {
        return SL_ERR_NOMEM;
    }
    sl_meta_partition_t *p = &t->partitions[r->partition];
    p->leader = r->leader;
    p->leader_epoch = r->leader_epoch;
    p->partition_epoch = r->partition_epoch;
    return SL_OK;
}

static sl_err_t apply_partition_change(txn_t *tx, const sl_meta_record_t *r)
{
    const sl_meta_topic_t *cur = find_id(tx->img, r->topic_id);
    if (!cur)
        return SL_ERR_UNKNOWN_TOPIC;
    if (r->partition < 0 || r->partition >= cur->npartitions)
        return SL_ERR_UNKNOWN_TOPIC;
    const sl_meta_partition_t *cp = &cur->partitions[r->partition];
    const int32_t *replicas = r->has_replicas ? r->replicas : cp->replicas;
    int32_t nr = r->has_replicas ? r->nreplicas : cp->nreplicas;
    const int32_t *isr = r->has_isr ? r->isr : cp->isr;
    int32_t ni = r->has_isr ? r->nisr : cp->nisr;
    int32_t leader = r->has_leader ? r->leader : cp->leader;
    if (!assignment_ok(replicas, nr, isr, ni, leader) || cp->partition_epoch == INT32_MAX ||
        (r->has_leader && cp->leader_epoch == INT32_MAX))
        return SL_ERR_INVALID_RECORD;
    sl_meta_topic_t *t;
    sl_err_t err = mutable_topic(tx, r->topic_id, &t);
    if (err)
        return err;
    sl_meta_partition_t *p = &t->partitions[r->partition];
    if ((r->has_replicas || r->has_isr)) {
        /* The copy's arrays, not cp's (which the copy replaced). */
        replicas = r->has_replicas ? r->replicas : p->replicas;
        isr = r->has_isr ? r->isr : p->isr;
        if (part_set(p, replicas, nr, isr, ni))
            return SL_ERR_NOMEM;
    }
    if (r->has_leader) {
        p->leader = r->leader;
        p->leader_epoch++;
    }
    p->partition_epoch++;
    return SL_OK;
}

static sl_err_t apply_topic_config(txn_t *tx, const sl_meta_record_t *r)
{
    const sl_meta_topic_t *cur = find_id(tx->img, r->topic_id);
    if (!cur)
        return SL_ERR_UNKNOWN_TOPIC;
    if (r->key_len == 0 || memchr(r->key, '\0', r->key_len) || (r->value && memchr(r->value, '\0', r->value_len)))
        return SL_ERR_INVALID_RECORD;
    sl_meta_topic_t *t;
    sl_err_t err = mutable_topic(tx, r->topic_id, &t);
    if (err)
        return err;
    int32_t lo = 0, hi = t->nconfigs;
    int found = 0;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        const char *k = t->configs[mid].key;
        size_t klen = strlen(k);
        int c = memcmp(k, r->key, klen < r->key_len ? klen : r->key_len);
        if (c == 0)
            c = klen < r->key_len ? -1 : klen > r->key_len;
        if (c == 0) {
            lo = mid, found = 1;
            break;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    sl_meta_config_t *cf = t->configs;
    if (!r->value) {
        if (found) {
            free(cf[lo].key);
            free(cf[lo].value);
            memmove(cf + lo, cf + lo + 1, (size_t)(t->nconfigs - lo - 1) * sizeof *cf);
            t->nconfigs--;
        }
        return SL_OK;
    }
    char *v = strndup(r->value, r->value_len);
    if (!v)
        return SL_ERR_NOMEM;
    if (found) {
        free(cf[lo].value);
        cf[lo].value = v;
        return SL_OK;
    }
    char *k = strndup(r->key, r->key_len);
    cf = realloc(t->configs, (size_t)(t->nconfigs + 1) * sizeof *cf);
    if (!k || !cf) {
        if (cf)
            t->configs = cf;
        free(k);
        free(v);
        return SL_ERR_NOMEM;
    }
    t->configs = cf;
    memmove(cf + lo + 1, cf + lo, (size_t)(t->nconfigs - lo) * sizeof *cf);
    cf[lo].key = k, cf[lo].value = v;
    t->nconfigs++;
    return SL_OK;
}

static sl_err_t apply_record(txn_t *tx, const sl_meta_record_t *r)
{
    switch (r->type) {
    case SL_META_REGISTER_BROKER:
    case SL_META_BROKER_STATE:
    case SL_META_UNFENCE_BROKER:
    case SL_META_FENCE_BROKER:
    case SL_META_UNREGISTER_BROKER:
        return apply_broker(tx, r);
    case SL_META_TOPIC:
        return apply_topic(tx, r);
    case SL_META_PARTITION:
        return apply_partition(tx, r);
    case SL_META_PARTITION_CHANGE:
        return apply_partition_change(tx, r);
    case SL_META_REMOVE_TOPIC:
        return apply_remove_topic(tx, r);
    case SL_META_TOPIC_CONFIG:
        return apply_topic_config(tx, r);
    }
    return SL_ERR_CORRUPT_MESSAGE;
}

/* Applies the records of body[off..len) as one transaction. */
static sl_err_t apply_records(sl_meta_image_t *img, const uint8_t *body, size_t len, size_t off, uint64_t index)
{
    /* Syntax first: a batch that does not decode changes nothing and costs
     * no copies. */
    sl_meta_record_t recbuf, *rec = &recbuf;
    rd_t r = {body, len, off, 0};
    while (r.off < len) {
        sl_err_t err = decode_record(&r, rec);
        if (err)
            return err;
    }
    txn_t tx = {.img = img, .index = index};
    img->gen++; /* topics copied from here on belong to this apply */
    sl_err_t err = SL_OK;
    r.off = off;
    while (!err && r.off < len) {
        decode_record(&r, rec);
        err = apply_record(&tx, rec);
    }
    if (err)
        txn_rollback(&tx);
    else
        txn_commit(&tx);
    txn_free(&tx);
    return err;
}

sl_err_t sl_meta_image_apply(sl_meta_image_t *img, const uint8_t *entry, size_t len, uint64_t index)
{
    if (index <= img->last_index)
        return SL_ERR_STATE;
    if (len < 1)
        return SL_ERR_CORRUPT_MESSAGE;
    if (entry[0] != SL_META_FORMAT_V1)
        return SL_ERR_UNSUPPORTED;
    return apply_records(img, entry, len, 1, index);
}

uint64_t sl_meta_image_last_index(const sl_meta_image_t *img) { return img->last_index; }

/* ---- snapshots ----------------------------------------------------------- */

sl_err_t sl_meta_image_snapshot(const sl_meta_image_t *img, sl_buf_t *out)
{
    sl_meta_batch_t b;
    sl_meta_batch_init(&b);
    uint8_t head[1 + SL_VARINT_MAX64];
    head[0] = SL_META_SNAPSHOT_V1;
    put_raw(&b, head, 1 + sl_uvarint_put(head + 1, img->last_index));
    for (size_t i = 0; i < img->nbrokers; i++) {
        const sl_meta_broker_t *k = &img->brokers[i];
        sl_meta_batch_add_broker_state(&b, k->id, k->incarnation, k->host, k->port, k->epoch, k->fenced);
    }
    for (size_t i = 0; i < img->ntopics; i++) {
        const sl_meta_topic_t *t = img->by_name[i];
        sl_meta_batch_add_topic(&b, t->name, t->id);
        for (int32_t j = 0; j < t->npartitions; j++) {
            const sl_meta_partition_t *p = &t->partitions[j];
            sl_meta_batch_add_partition(&b, t->id, j, p->replicas, p->nreplicas, p->isr, p->nisr, p->leader,
                                        p->leader_epoch, p->partition_epoch);
        }
        for (int32_t j = 0; j < t->nconfigs; j++)
            sl_meta_batch_add_topic_config(&b, t->id, t->configs[j].key, t->configs[j].value);
    }
    sl_err_t err = b.err ? b.err : sl_buf_append(out, b.body.data, b.body.len);
    sl_meta_batch_free(&b);
    return err;
}

sl_err_t sl_meta_image_restore(const uint8_t *snap, size_t len, sl_meta_image_t **out)
{
    if (len < 1)
        return SL_ERR_CORRUPT_MESSAGE;
    if (snap[0] != SL_META_SNAPSHOT_V1)
        return SL_ERR_UNSUPPORTED;
    uint64_t index;
    size_t n = sl_uvarint_get(snap + 1, len - 1, SL_VARINT_MAX64, &index);
    if (!n)
        return SL_ERR_CORRUPT_MESSAGE;
    sl_meta_image_t *img = sl_meta_image_new();
    if (!img)
        return SL_ERR_NOMEM;
    /* Index 0 (a snapshot of an empty image) is allowed here, unlike apply. */
    sl_err_t err = apply_records(img, snap, len, 1 + n, index);
    if (err) {
        sl_meta_image_unref(img);
        return err;
    }
    *out = img;
    return SL_OK;
}

/* ---- reading ------------------------------------------------------------- */

size_t sl_meta_image_broker_count(const sl_meta_image_t *img) { return img->nbrokers; }

const sl_meta_broker_t *sl_meta_image_broker_at(const sl_meta_image_t *img, size_t i)
{
    return i < img->nbrokers ? &img->brokers[i] : NULL;
}

const sl_meta_broker_t *sl_meta_image_broker(const sl_meta_image_t *img, int32_t id)
{
    return find_broker(img, id, NULL);
}

int sl_meta_image_broker_unfenced(const sl_meta_image_t *img, int32_t id)
{
    const sl_meta_broker_t *b = find_broker(img, id, NULL);
    return b && !b->fenced;
}

size_t sl_meta_image_topic_count(const sl_meta_image_t *img) { return img->ntopics; }

const sl_meta_topic_t *sl_meta_image_topic_at(const sl_meta_image_t *img, size_t i)
{
    return i < img->ntopics ? img->by_name[i] : NULL;
}

const sl_meta_topic_t *sl_meta_image_topic_by_name(const sl_meta_image_t *img, const char *name)
{
    size_t pos;
    return name_pos(img, name, strlen(name), &pos) ? img->by_name[pos] : NULL;
}

const sl_meta_topic_t *sl_meta_image_topic_by_id(const sl_meta_image_t *img, const uint8_t id[16])
{
    return find_id(img, id);
}

const sl_meta_partition_t *sl_meta_topic_partition(const sl_meta_topic_t *t, int32_t p)
{
    return p >= 0 && p < t->npartitions ? &t->partitions[p] : NULL;
}

const char *sl_meta_topic_config(const sl_meta_topic_t *t, const char *key)
{
    int32_t lo = 0, hi = t->nconfigs;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(t->configs[mid].key, key);
        if (c == 0)
            return t->configs[mid].value;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int sl_meta_partition_in_isr(const sl_meta_partition_t *p, int32_t id) { return has_id(p->isr, p->nisr, id); }

int sl_meta_partition_is_replica(const sl_meta_partition_t *p, int32_t id)
{
    return has_id(p->replicas, p->nreplicas, id);
}

size_t sl_meta_image_under_replicated(const sl_meta_image_t *img)
{
    size_t n = 0;
    for (size_t i = 0; i < img->ntopics; i++)
        for (int32_t j = 0; j < img->by_name[i]->npartitions; j++)
            n += img->by_name[i]->partitions[j].nisr < img->by_name[i]->partitions[j].nreplicas;
    return n;
}

size_t sl_meta_image_offline(const sl_meta_image_t *img)
{
    size_t n = 0;
    for (size_t i = 0; i < img->ntopics; i++)
        for (int32_t j = 0; j < img->by_name[i]->npartitions; j++)
            n += img->by_name[i]->partitions[j].leader == SL_META_NO_LEADER;
    return n;
}

/* ---- decisions ----------------------------------------------------------- */

sl_err_t sl_meta_assign_replicas(const sl_meta_image_t *img, int32_t partitions, int16_t rf,
                                 int32_t start, int32_t *out)
{
    if (partitions < 1)
        return SL_ERR_INVALID_PARTITIONS;
    if (start < 0)
        return SL_ERR_INVAL;
    size_t n = 0;
    for (size_t i = 0; i < img->nbrokers; i++)
        n += !img->brokers[i].fenced;
    if (rf < 1 || (size_t)rf > n || rf > SL_META_MAX_REPLICAS)
        return SL_ERR_INVALID_REPLICATION_FACTOR;
    int32_t *ids = malloc(n * sizeof *ids);
    if (!ids)
        return SL_ERR_NOMEM;
    n = 0;
    for (size_t i = 0; i < img->nbrokers; i++)
        if (!img->brokers[i].fenced)
            ids[n++] = img->brokers[i].id;
    /* AdminUtils: both the start index and the first shift are the fixed
     * start; the shift grows each time the partitions wrap the brokers. */
    size_t first0 = (size_t)start % n, shift = (size_t)start % n;
    for (int32_t p = 0; p < partitions; p++) {
        if (p > 0 && (size_t)p % n == 0)
            shift++;
        size_t first = ((size_t)p + first0) % n;
        int32_t *row = out + (size_t)p * (size_t)rf;
        row[0] = ids[first];
        for (int j = 0; j < rf - 1; j++)
            row[j + 1] = ids[(first + 1 + (shift + (size_t)j) % (n - 1)) % n];
    }
    free(ids);
    return SL_OK;
}

/* Election over p's replicas with one broker forced fenced (exclude) or
 * unfenced (include); -1 for neither. */
static int32_t elect(const sl_meta_image_t *img, const int32_t *replicas, int32_t nr, const int32_t *isr,
                     int32_t ni, int unclean, int32_t exclude, int32_t include)
{
    for (int pass = 0; pass < (unclean ? 2 : 1); pass++)
        for (int32_t i = 0; i < nr; i++) {
            int32_t id = replicas[i];
            if (id == exclude || (pass == 0 && !has_id(isr, ni, id)))
                continue;
            if (id == include || sl_meta_image_broker_unfenced(img, id))
                return id;
        }
    return SL_META_NO_LEADER;
}

int32_t sl_meta_elect_leader(const sl_meta_image_t *img, const sl_meta_partition_t *p, int unclean)
{
    return elect(img, p->replicas, p->nreplicas, p->isr, p->nisr, unclean, -1, -1);
}

static int topic_unclean(const sl_meta_topic_t *t)
{
    const char *v = sl_meta_topic_config(t, SL_META_UNCLEAN_KEY);
    return v && strcmp(v, "true") == 0;
}

int sl_meta_fence_changes(const sl_meta_image_t *img, int32_t broker, sl_meta_batch_t *b)
{
    int added = 0;
    for (size_t i = 0; i < img->ntopics && !b->err; i++) {
        const sl_meta_topic_t *t = img->by_name[i];
        for (int32_t j = 0; j < t->npartitions; j++) {
            const sl_meta_partition_t *p = &t->partitions[j];
            if (!has_id(p->isr, p->nisr, broker))
                continue;
            int32_t isr[SL_META_MAX_REPLICAS], ni = 0;
            for (int32_t k = 0; k < p->nisr; k++)
                if (p->isr[k] != broker)
                    isr[ni++] = p->isr[k];
            int32_t leader = p->leader;
            if (leader == SL_META_NO_LEADER || !has_id(isr, ni, leader)) {
                leader = elect(img, p->replicas, p->nreplicas, isr, ni, 0, broker, -1);
                if (leader == SL_META_NO_LEADER && topic_unclean(t)) {
                    leader = elect(img, p->replicas, p->nreplicas, isr, ni, 1, broker, -1);
                    if (leader != SL_META_NO_LEADER)
                        isr[0] = leader, ni = 1; /* unclean: the ISR restarts from the new leader */
                }
            }
            if (ni == 0) { /* never shrink the ISR to nothing (KIP-841) */
                memcpy(isr, p->isr, sizeof(int32_t) * (size_t)p->nisr);
                ni = p->nisr;
            }
            int isr_changed = ni != p->nisr || memcmp(isr, p->isr, sizeof(int32_t) * (size_t)ni) != 0;
            if (leader == p->leader && !isr_changed)
                continue;
            sl_meta_batch_add_partition_change(b, t->id, j, leader != p->leader, leader,
                                               isr_changed ? isr : NULL, ni, NULL, 0);
            added++;
        }
    }
    return b->err ? b->err : added;
}

int sl_meta_unfence_changes(const sl_meta_image_t *img, int32_t broker, sl_meta_batch_t *b)
{
    int added = 0;
    for (size_t i = 0; i < img->ntopics && !b->err; i++) {
        const sl_meta_topic_t *t = img->by_name[i];
        for (int32_t j = 0; j < t->npartitions; j++) {
            const sl_meta_partition_t *p = &t->partitions[j];
            if (p->leader != SL_META_NO_LEADER || !has_id(p->replicas, p->nreplicas, broker))
                continue;
            int32_t leader = elect(img, p->replicas, p->nreplicas, p->isr, p->nisr, 0, -1, broker);
            int unclean = leader == SL_META_NO_LEADER && topic_unclean(t);
            if (unclean)
                leader = elect(img, p->replicas, p->nreplicas, p->isr, p->nisr, 1, -1, broker);
            if (leader == SL_META_NO_LEADER)
                continue;
            sl_meta_batch_add_partition_change(b, t->id, j, 1, leader, unclean ? &leader : NULL, 1, NULL, 0);
            added++;
        }
    }
    return b->err ? b->err : added;
}

int sl_meta_preferred_changes(const sl_meta_image_t *img, sl_meta_batch_t *b)
{
    int added = 0;
    for (size_t i = 0; i < img->ntopics && !b->err; i++) {
        const sl_meta_topic_t *t = img->by_name[i];
        for (int32_t j = 0; j < t->npartitions; j++) {
            const sl_meta_partition_t *p = &t->partitions[j];
            int32_t pref = p->replicas[0];
            if (p->leader == pref || !has_id(p->isr, p->nisr, pref) || !sl_meta_image_broker_unfenced(img, pref))
                continue;
            sl_meta_batch_add_partition_change(b, t->id, j, 1, pref, NULL, 0, NULL, 0);
            added++;
        }
    }
    return b->err ? b->err : added;
}
