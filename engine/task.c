/* task.c — a task: one sub-topology instantiated for one partition. Records
 * enter at a source, flow depth-first through the node instances, and leave
 * through sinks to the task's collector; the processing context, punctuation,
 * and typed access to the task's stores live here too. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/murmur2.h"
#include "common/trace.h"
#include "engine/engine_int.h"

/* ---- sources and sinks: the DSL side ------------------------------------------------------ */

static void source_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    sl__forward(ctx, inst, rec);
}

const sl_node_vt_t sl__source_vt = {.kind = "KSTREAM-SOURCE", .process = source_process};

static void sink_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    sl_node_t *n = inst->node;
    const char *topic = n->topic;
    if (!topic) {
        topic = n->topic_fn(n->topic_arg, ctx, rec->key, rec->value);
        if (ctx->task->err)
            return;
        if (!topic) {
            sl_ctx_fail(ctx, SL_ERR_PROCESSING, "%s: the topic extractor returned NULL", n->name);
            return;
        }
    }
    sl__sink_send(ctx, inst, topic, rec);
}

const sl_node_vt_t sl__sink_vt = {.kind = "KSTREAM-SINK", .process = sink_process};

sl_node_t *sl__add_source(sl_topology_t *t, const char *const *topics, size_t ntopics,
                             const sl_consumed_t *c, const char *kind_name)
{
    if (!t || t->error)
        return NULL;
    if (!topics || ntopics == 0)
        return sl__topo_fail(t, "%s: a source needs at least one topic", kind_name);
    for (size_t i = 0; i < ntopics; i++) {
        if (!topics[i] || !*topics[i] || strlen(topics[i]) > 249)
            return sl__topo_fail(t, "%s: bad topic name", kind_name);
        for (int k = 0; k < t->nnodes; k++)
            for (int j = 0; j < t->nodes[k]->ntopics; j++)
                if (!strcmp(t->nodes[k]->topics[j], topics[i]))
                    return sl__topo_fail(t, "%s: topic '%s' is already read by %s", kind_name,
                                         topics[i], t->nodes[k]->name);
    }
    if (c && c->offset_reset && strcmp(c->offset_reset, "earliest") &&
        strcmp(c->offset_reset, "latest"))
        return sl__topo_fail(t, "%s: offset_reset '%s' is not earliest or latest", kind_name,
                             c->offset_reset);
    sl_node_t *n = sl__node_add(t, &sl__source_vt, NULL, c ? c->name : NULL, NULL, 0);
    if (!n)
        return NULL;
    n->topics = calloc(ntopics, sizeof *n->topics);
    if (!n->topics)
        return sl__topo_fail(t, "out of memory");
    for (size_t i = 0; i < ntopics; i++) {
        if (!(n->topics[i] = strdup(topics[i])))
            return sl__topo_fail(t, "out of memory");
        n->ntopics++;
    }
    n->key_serde = sl__key_serde(t, c ? c->key_serde : NULL);
    n->value_serde = sl__value_serde(t, c ? c->value_serde : NULL);
    if (c) {
        n->ts_fn = c->timestamp_extractor;
        n->ts_arg = c->timestamp_arg;
        n->offset_reset_latest = c->offset_reset && !strcmp(c->offset_reset, "latest");
    }
    return n;
}

sl_kstream_t *sl_stream(sl_topology_t *t, const char *const *topics, size_t ntopics,
                        const sl_consumed_t *consumed)
{
    sl_node_t *n = sl__add_source(t, topics, ntopics, consumed, "stream");
    if (!n)
        return NULL;
    return sl__kstream_new(t, n, n->key_serde, n->value_serde, 0);
}

/* A sink node; topic (copied) or fn. */
static sl_node_t *add_sink(sl_kstream_t *s, const char *topic, sl_topic_extractor_fn fn,
                           void *arg, const sl_produced_t *p)
{
    sl_topology_t *t = s->topo;
    if (topic && (!*topic || strlen(topic) > 249))
        return sl__topo_fail(t, "to: bad topic name");
    sl_node_t *n = sl__node_add(t, &sl__sink_vt, NULL, p ? p->name : NULL, &s->node, 1);
    if (!n)
        return NULL;
    if (topic && !(n->topic = strdup(topic)))
        return sl__topo_fail(t, "out of memory");
    n->topic_fn = fn, n->topic_arg = arg;
    n->key_serde = sl__key_serde(t, p && p->key_serde ? p->key_serde : s->key_serde);
    n->value_serde = sl__value_serde(t, p && p->value_serde ? p->value_serde : s->value_serde);
    if (p)
        n->partitioner = p->partitioner, n->partitioner_arg = p->partitioner_arg;
    return n;
}

int sl_kstream_to(sl_kstream_t *s, const char *topic, const sl_produced_t *p)
{
    if (!s)
        return -1;
    if (!topic) {
        sl__topo_fail(s->topo, "to: topic is NULL");
        return -1;
    }
    return add_sink(s, topic, NULL, NULL, p) ? 0 : -1;
}

int sl_kstream_to_dynamic(sl_kstream_t *s, sl_topic_extractor_fn fn, void *arg,
                          const sl_produced_t *p)
{
    if (!s)
        return -1;
    if (!fn) {
        sl__topo_fail(s->topo, "to_dynamic: topic extractor is NULL");
        return -1;
    }
    return add_sink(s, NULL, fn, arg, p) ? 0 : -1;
}

sl_node_t *sl__repartition(sl_topology_t *t, sl_node_t *parent, const char *name,
                           const sl_serde_t *ks, const sl_serde_t *vs, int32_t partitions)
{
    if (!parent || t->error)
        return NULL;
    char topic[300], gen[128];
    if (!name) {
        snprintf(gen, sizeof gen, "%sKSTREAM-REPARTITION-%010d", t->name_prefix, t->counter++);
        name = gen;
    }
    snprintf(topic, sizeof topic, "%c-%s-repartition", SL_INTERNAL_TOPIC_MARK, name);
    char nm[300];
    snprintf(nm, sizeof nm, "%s-repartition-sink", name);
    sl_node_t *sink = sl__node_add(t, &sl__sink_vt, NULL, nm, &parent, 1);
    if (!sink)
        return NULL;
    if (!(sink->topic = strdup(topic)))
        return sl__topo_fail(t, "out of memory");
    sink->key_serde = sl__key_serde(t, ks);
    sink->value_serde = sl__value_serde(t, vs);
    sink->is_repartition_sink = 1;
    sink->repartition_partitions = partitions;
    snprintf(nm, sizeof nm, "%s-repartition-source", name);
    sl_consumed_t c = {.key_serde = ks, .value_serde = vs, .name = nm};
    const char *topics[] = {topic};
    sl_node_t *src = sl__add_source(t, topics, 1, &c, nm);
    if (src)
        src->is_repartition_source = 1;
    return src;
}

/* ---- the processing context -------------------------------------------------------------------- */

void *sl_ctx_alloc(sl_ctx_t *ctx, size_t n) { return sl_mem_alloc(&ctx->task->mem, n); }
sl_mem_t *sl_ctx_mem(sl_ctx_t *ctx) { return &ctx->task->mem; }
int64_t sl_ctx_timestamp(const sl_ctx_t *ctx) { return ctx->rec ? ctx->rec->ts : 0; }
const char *sl_ctx_topic(const sl_ctx_t *ctx) { return ctx->topic; }
int32_t sl_ctx_partition(const sl_ctx_t *ctx) { return ctx->partition; }
int64_t sl_ctx_offset(const sl_ctx_t *ctx) { return ctx->offset; }
int64_t sl_ctx_stream_time(const sl_ctx_t *ctx) { return ctx->task->stream_time; }
int64_t sl_ctx_wall_clock(const sl_ctx_t *ctx) { return ctx->task->wall_clock; }
const char *sl_ctx_application_id(const sl_ctx_t *ctx) { return ctx->task->app_id; }
int32_t sl_ctx_task_partition(const sl_ctx_t *ctx) { return ctx->task->partition; }

size_t sl_ctx_headers(const sl_ctx_t *ctx, const sl_header_t **headers)
{
    if (!ctx->rec) {
        *headers = NULL;
        return 0;
    }
    *headers = ctx->rec->headers;
    return ctx->rec->nheaders;
}

void sl__ctx_failv(sl_ctx_t *ctx, sl_err_t err, const char *fmt, va_list ap)
{
    sl_task_t *task = ctx->task;
    if (task->err)
        return;
    task->err = err ? err : SL_ERR_PROCESSING;
    int n = 0;
    if (ctx->cur)
        n = snprintf(task->errmsg, sizeof task->errmsg, "%s: ", ctx->cur->node->name);
    vsnprintf(task->errmsg + n, sizeof task->errmsg - (size_t)n, fmt, ap);
}

void sl_ctx_fail(sl_ctx_t *ctx, sl_err_t err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sl__ctx_failv(ctx, err, fmt, ap);
    va_end(ap);
}

void sl__forward(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    sl_inst_t *saved = ctx->cur;
    const sl_rec_t *saved_rec = ctx->rec;
    int saved_keep = ctx->keep_key;
    for (int i = 0; i < inst->nchildren && !ctx->task->err; i++) {
        sl_inst_t *c = inst->children[i];
        ctx->cur = c;
        ctx->rec = rec;
        ctx->keep_key = 0;
        c->node->vt->process(ctx, c, rec);
    }
    ctx->cur = saved;
    ctx->rec = saved_rec;
    ctx->keep_key = saved_keep;
}

void sl_ctx_forward_ts(sl_ctx_t *ctx, const void *key, const void *value, int64_t timestamp)
{
    if (!ctx->cur || ctx->task->err)
        return;
    sl_rec_t r = {0};
    if (ctx->rec) {
        r = *ctx->rec;
        r.old_value = NULL, r.has_old = 0;
    }
    r.key = ctx->keep_key && ctx->rec ? ctx->rec->key : key;
    r.value = value;
    r.ts = timestamp;
    sl__forward(ctx, ctx->cur, &r);
}

void sl_ctx_forward(sl_ctx_t *ctx, const void *key, const void *value)
{
    sl_ctx_forward_ts(ctx, key, value, ctx->rec ? ctx->rec->ts : ctx->task->stream_time);
}

sl_err_t sl_ctx_schedule(sl_ctx_t *ctx, int64_t interval_ms, sl_punctuation_t type,
                         sl_punctuator_fn fn, void *state)
{
    sl_task_t *task = ctx->task;
    if (interval_ms < 1 || !fn ||
        (type != SL_PUNCTUATE_STREAM_TIME && type != SL_PUNCTUATE_WALL_CLOCK))
        return SL_ERR_INVAL;
    if (!ctx->in_init)
        return SL_ERR_STATE;
    if (task->npuncts == task->puncts_cap) {
        size_t cap = task->puncts_cap ? task->puncts_cap * 2 : 4;
        sl_punct_t *p = realloc(task->puncts, cap * sizeof *p);
        if (!p)
            return SL_ERR_NOMEM;
        task->puncts = p, task->puncts_cap = cap;
    }
    /* Kafka Streams: stream-time schedules start at 0 (the first record
     * punctuates), wall-clock ones one interval from now. */
    task->puncts[task->npuncts++] = (sl_punct_t){
        .inst = ctx->cur,
        .interval = interval_ms,
        .next = type == SL_PUNCTUATE_STREAM_TIME ? 0 : task->wall_clock + interval_ms,
        .type = type,
        .fn = fn,
        .state = state,
    };
    return SL_OK;
}

/* Runs the punctuators of type that are due at now. */
static void punctuate(sl_task_t *task, sl_punctuation_t type, int64_t now)
{
    for (size_t i = 0; i < task->npuncts && !task->err; i++) {
        sl_punct_t *p = &task->puncts[i];
        if (p->type != type || now < p->next)
            continue;
        /* Once per advance, however far it jumped (PunctuationSchedule.next). */
        int64_t missed = (now - p->next) / p->interval;
        p->next += (missed + 1) * p->interval;
        sl_ctx_t *ctx = &task->ctx;
        sl_rec_t r = {.ts = now};
        ctx->cur = p->inst;
        ctx->rec = &r;
        ctx->topic = NULL, ctx->partition = -1, ctx->offset = -1;
        p->fn(p->state, ctx, now);
        ctx->cur = NULL;
        ctx->rec = NULL;
        sl__mem_reset(&task->mem);
    }
}

/* ---- sinks: serialize and collect ---------------------------------------------------------------- */

void sl__sink_send(sl_ctx_t *ctx, sl_inst_t *inst, const char *topic, const sl_rec_t *rec)
{
    sl_task_t *task = ctx->task;
    sl_node_t *n = inst->node;
    int knull, vnull;
    sl_err_t err = sl__serialize(n->key_serde, rec->key, &task->kout, &knull);
    if (!err)
        err = sl__serialize(n->value_serde, rec->value, &task->vout, &vnull);
    if (err) {
        sl_ctx_fail(ctx, err, "cannot serialize the record for topic %s (%s)", topic,
                    sl_err_str(err));
        return;
    }
    sl_bytes_t k = {task->kout.buf.data, task->kout.buf.len};
    sl_bytes_t v = {task->vout.buf.data, task->vout.buf.len};
    char real[512];
    const char *name = sl__topic_name(task->app_id, topic, real, sizeof real);
    int32_t part = -1;
    if (n->partitioner && task->partitions) {
        int32_t np = task->partitions(task->collect_opaque, name);
        if (np > 0) {
            part = n->partitioner(n->partitioner_arg, name, rec->key, rec->value, np);
            if (part >= np || part < -1) {
                sl_ctx_fail(ctx, SL_ERR_PROCESSING,
                            "the partitioner chose partition %d of topic %s, which has %d",
                            (int)part, name, (int)np);
                return;
            }
        }
    }
    err = task->collect(task->collect_opaque, name, part, knull ? NULL : &k, vnull ? NULL : &v,
                        rec->ts, rec->headers, rec->nheaders);
    if (err)
        sl_ctx_fail(ctx, err, "cannot send to topic %s (%s)", name, sl_err_str(err));
    else if (!n->is_repartition_sink)
        task->metrics.sent++;
}

static void plog_write(sl_task_t *task, const char *logger, int type, const char *message,
                       const char *topic, int32_t partition, int64_t offset, int64_t ts);

/* ---- tasks ----------------------------------------------------------------------------------------- */

static sl_err_t open_store(sl_task_t *task, sl_store_t *s)
{
    sl_task_store_t *ts = &task->stores[s->id];
    ts->def = s;
    int rc;
    switch (s->type) {
    case SL_STORE_KV:
        rc = sl_kv_open(task->txn, s->name, task->partition, (sl_kv_t **)&ts->handle);
        break;
    case SL_STORE_WINDOW:
        rc = sl_window_open(task->txn, s->name, task->partition, (sl_window_t **)&ts->handle);
        break;
    case SL_STORE_SESSION:
        rc = sl_session_open(task->txn, s->name, task->partition, (sl_session_t **)&ts->handle);
        break;
    default:
        return SL_ERR_UNSUPPORTED;
    }
    if (rc < 0)
        return (sl_err_t)rc;
    snprintf(ts->changelog, sizeof ts->changelog, "%s-%s-changelog", task->app_id, s->name);
    return sl__cache_open(task, ts);
}

static int inst_init(sl_task_t *task, sl_inst_t *inst)
{
    if (!inst->node->vt->init)
        return 0;
    sl_ctx_t *ctx = &task->ctx;
    ctx->cur = inst;
    ctx->in_init = 1;
    sl_err_t err = inst->node->vt->init(ctx, inst);
    ctx->in_init = 0;
    ctx->cur = NULL;
    if (err && !task->err) {
        task->err = err;
        snprintf(task->errmsg, sizeof task->errmsg, "%s: init failed (%s)", inst->node->name,
                 sl_err_str(err));
    }
    return task->err ? -1 : 0;
}

sl_err_t sl__task_new(sl_topology_t *topo, int sub, int32_t partition, const char *app_id,
                      sl_state_txn_t *txn, sl_collect_fn collect,
                      int32_t (*partitions)(void *opaque, const char *topic),
                      void *collect_opaque, int continue_on_deser_error, int64_t wall_clock,
                      int64_t cache_max_bytes, sl_state_txn_t *global_txn, sl_task_t **out,
                      char *errbuf, size_t errlen)
{
    char tmp[8];
    if (!errbuf)
        errbuf = tmp, errlen = sizeof tmp;
    sl_task_t *task = calloc(1, sizeof *task);
    if (!task) {
        snprintf(errbuf, errlen, "out of memory");
        return SL_ERR_NOMEM;
    }
    task->topo = topo;
    task->subtopology = sub;
    task->partition = partition;
    snprintf(task->app_id, sizeof task->app_id, "%s", app_id);
    task->txn = txn;
    task->global_txn = global_txn;
    task->collect = collect;
    task->partitions = partitions;
    task->collect_opaque = collect_opaque;
    task->continue_on_deser_error = continue_on_deser_error;
    task->wall_clock = wall_clock;
    task->cache_max_bytes = cache_max_bytes;
    task->cache_used = &task->cache_bytes;
    task->stream_time = INT64_MIN;
    task->ctx.task = task;
    task->ctx.partition = -1, task->ctx.offset = -1;
    task->insts = calloc((size_t)topo->nnodes, sizeof *task->insts);
    task->stores = calloc((size_t)topo->nstores + 1, sizeof *task->stores);
    sl_err_t err = SL_ERR_NOMEM;
    if (!task->insts || !task->stores)
        goto fail;
    for (int i = 0; i < topo->nstores; i++) {
        if (topo->stores[i]->subtopology != sub)
            continue;
        err = open_store(task, topo->stores[i]);
        if (err) {
            snprintf(errbuf, errlen, "store %s: cannot open (%s)", topo->stores[i]->name,
                     sl_err_str(err));
            goto fail_msg;
        }
    }
    for (int i = 0; i < topo->nnodes; i++) {
        sl_node_t *n = topo->nodes[i];
        if (n->subtopology != sub)
            continue;
        sl_inst_t *inst = calloc(1, sizeof *inst + n->vt->state_size);
        if (!inst)
            goto fail;
        inst->node = n;
        inst->task = task;
        inst->state = n->vt->state_size ? (void *)(inst + 1) : NULL;
        task->insts[i] = inst;
    }
    for (int i = 0; i < topo->nnodes; i++) {
        sl_inst_t *inst = task->insts[i];
        if (!inst || !inst->node->nchildren)
            continue;
        inst->children = calloc((size_t)inst->node->nchildren, sizeof *inst->children);
        if (!inst->children)
            goto fail;
        for (int c = 0; c < inst->node->nchildren; c++)
            if (!inst->node->children[c]->retired) /* no check per record */
                inst->children[inst->nchildren++] = task->insts[inst->node->children[c]->id];
    }
    /* Initialize children before parents (Kafka Streams inits in reverse
     * topological order), so a node's getters work when its parents start. */
    for (int i = topo->nnodes - 1; i >= 0; i--) {
        if (task->insts[i] && inst_init(task, task->insts[i])) {
            err = task->err;
            snprintf(errbuf, errlen, "%s", task->errmsg);
            goto fail_msg;
        }
    }
    *out = task;
    return SL_OK;
fail:
    snprintf(errbuf, errlen, "out of memory");
fail_msg:
    sl__task_free(task);
    return err;
}

void sl__task_free(sl_task_t *task)
{
    if (!task)
        return;
    if (task->insts) {
        for (int i = 0; i < task->topo->nnodes; i++) {
            sl_inst_t *inst = task->insts[i];
            if (!inst)
                continue;
            if (inst->node->vt->close)
                inst->node->vt->close(inst);
            free(inst->children);
            free(inst);
        }
    }
    free(task->insts);
    if (task->stores)
        for (int i = 0; i < task->topo->nstores; i++)
            *task->cache_used -= sl__cache_free(&task->stores[i]);
    free(task->stores);
    free(task->puncts);
    sl__mem_free(&task->mem);
    sl_buf_free(&task->kout.buf);
    sl_buf_free(&task->vout.buf);
    free(task);
}

sl_node_t *sl__task_source_for(sl_task_t *task, const char *topic)
{
    char real[512];
    for (int i = 0; i < task->topo->nnodes; i++) {
        sl_node_t *n = task->topo->nodes[i];
        if (n->subtopology != task->subtopology)
            continue;
        for (int k = 0; k < n->ntopics; k++)
            if (!strcmp(sl__topic_name(task->app_id, n->topics[k], real, sizeof real), topic))
                return n;
    }
    return NULL;
}

static void end_record(sl_task_t *task)
{
    task->ctx.cur = NULL;
    task->ctx.rec = NULL;
    task->ctx.topic = NULL;
    sl__mem_reset(&task->mem);
}

sl_err_t sl__task_process(sl_task_t *task, sl_node_t *src, const char *topic, int32_t partition,
                          int64_t offset, const sl_bytes_t *key, const sl_bytes_t *value,
                          int64_t ts, const sl_header_t *headers, size_t nheaders)
{
    if (task->err)
        return SL_ERR_STATE;
    sl_ctx_t *ctx = &task->ctx;
    sl_inst_t *inst = task->insts[src->id];
    ctx->topic = topic, ctx->partition = partition, ctx->offset = offset;
    ctx->cur = inst;
    task->metrics.processed++;
    sl_rec_t r = {.ts = ts, .headers = headers, .nheaders = nheaders};
    const char *what = "key";
    sl_err_t err = sl__deserialize(src->key_serde, key, &task->mem, &r.key);
    if (!err) {
        what = "value";
        err = sl__deserialize(src->value_serde, value, &task->mem, &r.value);
    }
    if (err) {
        if (task->continue_on_deser_error && err == SL_ERR_SERDE) {
            task->metrics.deser_errors++;
            const sl_serde_t *sd = what[0] == 'k' ? src->key_serde : src->value_serde;
            const char *why = sd->error ? sd->error(sd) : NULL;
            char msg[1024];
            snprintf(msg, sizeof msg, "the %s serde cannot read the record's %s%s%s", sd->name,
                     what, why && *why ? ": " : "", why ? why : "");
            sl_trace(SL_TRACE_WARN, "engine", "%s: skipping record %s-%d@%lld: %s", src->name,
                     topic, (int)partition, (long long)offset, msg);
            char logger[512];
            snprintf(logger, sizeof logger, "%s.%s.deserializer", task->app_id, src->name);
            plog_write(task, logger, 0, msg, topic, partition, offset, ts);
            end_record(task);
            return SL_OK;
        }
        snprintf(task->errmsg, sizeof task->errmsg,
                 "%s: record %s-%d@%lld: the %s serde cannot read its %s (%s)", src->name, topic,
                 (int)partition, (long long)offset,
                 what[0] == 'k' ? src->key_serde->name : src->value_serde->name, what,
                 sl_err_str(err));
        task->err = err;
        end_record(task);
        return err;
    }
    if (src->ts_fn) {
        r.ts = src->ts_fn(src->ts_arg, r.key, r.value, ts,
                          task->stream_time == INT64_MIN ? -1 : task->stream_time);
    }
    if (r.ts < 0) {
        task->metrics.dropped++;
        sl_trace(SL_TRACE_WARN, "engine", "%s: dropping record %s-%d@%lld: negative timestamp %lld",
                 src->name, topic, (int)partition, (long long)offset, (long long)r.ts);
        end_record(task);
        return SL_OK;
    }
    if (r.ts > task->stream_time)
        task->stream_time = r.ts;
    ctx->rec = &r;
    src->vt->process(ctx, inst, &r);
    end_record(task);
    if (!task->err)
        punctuate(task, SL_PUNCTUATE_STREAM_TIME, task->stream_time);
    return task->err;
}

sl_err_t sl__task_wall_clock(sl_task_t *task, int64_t now)
{
    if (task->err)
        return SL_ERR_STATE;
    if (now > task->wall_clock)
        task->wall_clock = now;
    punctuate(task, SL_PUNCTUATE_WALL_CLOCK, task->wall_clock);
    return task->err;
}

sl_err_t sl__task_flush(sl_task_t *task)
{
    if (task->err)
        return task->err;
    /* Caches first (what the nodes emit on a commit), then the nodes' own
     * hooks (retention, suppression), then what those wrote to caches. */
    if (sl__cache_flush_all(task))
        return task->err;
    sl_ctx_t *ctx = &task->ctx;
    for (int i = 0; i < task->topo->nnodes && !task->err; i++) {
        sl_inst_t *inst = task->insts[i];
        if (!inst || !inst->node->vt->flush)
            continue;
        sl_rec_t r = {.ts = task->stream_time};
        ctx->cur = inst;
        ctx->rec = &r;
        inst->node->vt->flush(ctx, inst);
        end_record(task);
    }
    return task->err ? task->err : sl__cache_flush_all(task);
}

void sl__task_set_txn(sl_task_t *task, sl_state_txn_t *txn) { task->txn = txn; }

void sl__task_set_processing_log(sl_task_t *task, const char *topic)
{
    snprintf(task->plog_topic, sizeof task->plog_topic, "%s", topic ? topic : "");
}

/* One processing-log record: ksqlDB's KSQL_PROCESSING_LOG value shape, type
 * 0 a record a serde could not read, 1 a failure while processing one. */
static void plog_write(sl_task_t *task, const char *logger, int type, const char *message,
                       const char *topic, int32_t partition, int64_t offset, int64_t ts)
{
    if (!task->plog_topic[0])
        return;
    json_t *msg = json_pack("{s:i,s:s,s:s?,s:i,s:I}", "TYPE", type, "ERRORMESSAGE", message,
                            "TOPIC", topic, "PARTITION", (int)partition, "OFFSET",
                            (json_int_t)offset);
    json_t *v = msg ? json_pack("{s:s,s:s,s:I,s:o}", "LEVEL", "ERROR", "LOGGER", logger, "TIME",
                                (json_int_t)ts, "MESSAGE", msg)
                    : NULL;
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    if (!text)
        return; /* out of memory: the trace has it */
    sl_bytes_t b = {(const uint8_t *)text, strlen(text)};
    sl_err_t err = task->collect(task->collect_opaque, task->plog_topic, -1, NULL, &b, ts, NULL, 0);
    free(text);
    if (err)
        sl_trace(SL_TRACE_WARN, "engine", "cannot write the processing log %s: %s",
                 task->plog_topic, sl_err_str(err));
}

void sl_ctx_log_error(sl_ctx_t *ctx, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sl_task_t *task = ctx->task;
    sl_trace(SL_TRACE_WARN, "engine", "%s: %s", ctx->cur ? ctx->cur->node->name : task->app_id,
             msg);
    char logger[512];
    snprintf(logger, sizeof logger, "%s.%s", task->app_id,
             ctx->cur ? ctx->cur->node->name : "task");
    plog_write(task, logger, 1, msg, ctx->topic, ctx->partition, ctx->offset,
               ctx->rec ? ctx->rec->ts : task->stream_time);
}

void sl__task_set_global_txn(sl_task_t *task, sl_state_txn_t *txn)
{
    task->global_txn = txn;
    for (int i = 0; i < task->topo->nstores; i++)
        if (task->stores[i].txn)
            task->stores[i].txn = txn;
}

/* ---- typed store access ------------------------------------------------------------------------------ */

sl_task_store_t *sl__task_store(sl_ctx_t *ctx, int store, sl_store_type_t type)
{
    sl_task_t *task = ctx->task;
    if (store < 0 || store >= task->topo->nstores || !task->stores[store].handle ||
        task->stores[store].def->type != type) {
        sl_ctx_fail(ctx, SL_ERR_STATE, "store %d is not open in this task as that kind", store);
        return NULL;
    }
    return &task->stores[store];
}

/* Serializes a key into the task's key scratch; -1 after failing the record. */
int sl__store_key_bytes(sl_ctx_t *ctx, sl_task_store_t *ts, const void *key, sl_bytes_t *out)
{
    int is_null;
    sl_err_t err = sl__serialize(ts->def->key_serde, key, &ctx->task->kout, &is_null);
    if (err || is_null) {
        sl_ctx_fail(ctx, err ? err : SL_ERR_INVAL, "store %s: %s", ts->def->name,
                    err ? "cannot serialize the key" : "a null key cannot be stored");
        return -1;
    }
    *out = (sl_bytes_t){ctx->task->kout.buf.data, ctx->task->kout.buf.len};
    return 0;
}

/* Copies a store value out of LMDB's map (views die at the next write) and
 * deserializes it into the record scope. */
int sl__store_value_obj(sl_ctx_t *ctx, sl_task_store_t *ts, sl_bytes_t v, const void **value)
{
    sl_bytes_t copy = {sl_mem_dup(&ctx->task->mem, v.data ? v.data : (const uint8_t *)"", v.len),
                       v.len};
    if (!copy.data) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return SL_ERR_NOMEM;
    }
    sl_err_t err = sl__deserialize(ts->def->value_serde, &copy, &ctx->task->mem, value);
    if (err) {
        sl_ctx_fail(ctx, err, "store %s: the %s serde cannot read a stored value", ts->def->name,
                    ts->def->value_serde->name);
        return err;
    }
    return 1;
}

void sl__store_fail(sl_ctx_t *ctx, sl_task_store_t *ts, int rc)
{
    sl_ctx_fail(ctx, (sl_err_t)rc, "store %s: %s", ts->def->name, sl_err_str((sl_err_t)rc));
}

/* The record's time: what a write is stamped with when no other time is given. */
static int64_t rec_time(const sl_ctx_t *ctx)
{
    return ctx->rec ? ctx->rec->ts : ctx->task->stream_time;
}

int sl__store_value_bytes(sl_ctx_t *ctx, sl_task_store_t *ts, sl_bytes_t stored, sl_bytes_t *v,
                          int64_t *time)
{
    if (!ts->def->timestamped) {
        *v = stored;
        if (time)
            *time = rec_time(ctx);
        return 0;
    }
    if (!sl_state_ts_decode(stored, time, v)) {
        sl_ctx_fail(ctx, SL_ERR_STATE,
                    "store %s: a stored value has no timestamp (%zu bytes; a state directory "
                    "of an older layout?)",
                    ts->def->name, stored.len);
        return -1;
    }
    return 0;
}

int sl__store_lmdb_value(sl_ctx_t *ctx, sl_task_store_t *ts, sl_bytes_t v, int64_t time,
                         sl_bytes_t *out)
{
    if (!ts->def->timestamped) {
        *out = v;
        return 0;
    }
    uint8_t *b = sl_mem_alloc(&ctx->task->mem, SL_STATE_TS_LEN + v.len);
    if (!b) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return -1;
    }
    *out = (sl_bytes_t){b, sl_state_ts_encode(b, time, v)};
    return 0;
}

int sl__kv_get_ts(sl_ctx_t *ctx, int store, const void *key, const void **value, int64_t *time)
{
    *value = NULL;
    sl_task_store_t *ts = sl__task_store(ctx, store, SL_STORE_KV);
    sl_bytes_t k, v;
    int64_t t = rec_time(ctx);
    if (!ts || sl__store_key_bytes(ctx, ts, key, &k))
        return ctx->task->err;
    int rc = ts->cache ? sl__cache_get(ts, k, &v, &t) : -1;
    if (rc == -1) {
        rc = sl_kv_get(sl__store_txn(ctx->task, ts), ts->handle, k, &v);
        if (rc == 1 && sl__store_value_bytes(ctx, ts, v, &v, &t))
            return ctx->task->err;
    }
    if (rc < 0) {
        sl__store_fail(ctx, ts, rc);
        return rc;
    }
    if (rc == 0)
        return 0;
    if (time)
        *time = ts->def->timestamped ? t : rec_time(ctx);
    return sl__store_value_obj(ctx, ts, v, value);
}

int sl__kv_get(sl_ctx_t *ctx, int store, const void *key, const void **value)
{
    return sl__kv_get_ts(ctx, store, key, value, NULL);
}

/* Appends a changelog record for a store write (value NULL: a tombstone). */
void sl__store_log_change_ts(sl_ctx_t *ctx, sl_task_store_t *ts, sl_bytes_t k, const sl_bytes_t *v,
                             int64_t time)
{
    if (!ts->def->logging)
        return;
    sl_task_t *task = ctx->task;
    sl_err_t err = task->collect(task->collect_opaque, ts->changelog, task->partition, &k, v, time,
                                 NULL, 0);
    if (err)
        sl_ctx_fail(ctx, err, "store %s: cannot write the changelog (%s)", ts->def->name,
                    sl_err_str(err));
}

void sl__store_log_change(sl_ctx_t *ctx, sl_task_store_t *ts, sl_bytes_t k, const sl_bytes_t *v)
{
    sl__store_log_change_ts(ctx, ts, k, v, rec_time(ctx));
}

/* A write into a cached store at time: the old value comes from LMDB the
 * first time. */
static sl_err_t cached_put(sl_ctx_t *ctx, sl_task_store_t *ts, sl_bytes_t k, sl_bytes_t lmdb_k,
                           int64_t start, const sl_bytes_t *v, int64_t time)
{
    sl_task_t *task = ctx->task;
    sl_bytes_t old = {0}, cur;
    int found = 0;
    if (sl__cache_get(ts, k, &cur, NULL) == -1) {
        found = ts->def->type == SL_STORE_WINDOW
                    ? sl_window_get(sl__store_txn(task, ts), ts->handle, lmdb_k, start, &old)
                    : sl_kv_get(sl__store_txn(task, ts), ts->handle, k, &old);
        if (found < 0) {
            sl__store_fail(ctx, ts, found);
            return (sl_err_t)found;
        }
        if (found && sl__store_value_bytes(ctx, ts, old, &old, NULL))
            return task->err;
    }
    sl_err_t err = sl__cache_put(ctx, ts, k, v, time, &old, found);
    if (err) {
        sl_ctx_fail(ctx, err, "store %s: cannot cache a write", ts->def->name);
        return err;
    }
    if (*task->cache_used > task->cache_max_bytes)
        return sl__cache_flush_store(ctx, ts); /* evict: emits downstream */
    return SL_OK;
}

sl_err_t sl__kv_put(sl_ctx_t *ctx, int store, const void *key, const void *value)
{
    return sl__kv_put_ts(ctx, store, key, value, rec_time(ctx));
}

sl_err_t sl__kv_put_ts(sl_ctx_t *ctx, int store, const void *key, const void *value, int64_t time)
{
    sl_task_store_t *ts = sl__task_store(ctx, store, SL_STORE_KV);
    sl_bytes_t k;
    if (!ts || sl__store_key_bytes(ctx, ts, key, &k))
        return ctx->task->err;
    sl_task_t *task = ctx->task;
    int rc;
    sl_bytes_t v = {0};
    if (value) {
        int is_null;
        sl_err_t err = sl__serialize(ts->def->value_serde, value, &task->vout, &is_null);
        if (err) {
            sl_ctx_fail(ctx, err, "store %s: cannot serialize the value", ts->def->name);
            return err;
        }
        v = (sl_bytes_t){task->vout.buf.data, task->vout.buf.len};
    }
    if (ts->cache)
        return cached_put(ctx, ts, k, k, 0, value ? &v : NULL, time);
    if (!value) {
        rc = sl_kv_delete(sl__store_txn(task, ts), ts->handle, k);
        if (rc >= 0)
            sl__store_log_change_ts(ctx, ts, k, NULL, time);
    } else {
        sl_bytes_t sv;
        if (sl__store_lmdb_value(ctx, ts, v, time, &sv))
            return task->err;
        rc = sl_kv_put(sl__store_txn(task, ts), ts->handle, k, sv);
        if (rc >= 0)
            sl__store_log_change_ts(ctx, ts, k, &v, time);
    }
    if (rc < 0) {
        sl__store_fail(ctx, ts, rc);
        return (sl_err_t)rc;
    }
    return task->err;
}

int sl__window_get_ts(sl_ctx_t *ctx, int store, const void *key, int64_t start,
                      const void **value, int64_t *time)
{
    *value = NULL;
    sl_task_store_t *ts = sl__task_store(ctx, store, SL_STORE_WINDOW);
    sl_bytes_t k, v;
    int64_t t = rec_time(ctx);
    if (!ts || sl__store_key_bytes(ctx, ts, key, &k))
        return ctx->task->err;
    int rc = -1;
    if (ts->cache) {
        uint8_t ck[SL_STATE_MAX_KEY + 8];
        if (k.len <= SL_STATE_MAX_KEY - 8) {
            sl_bytes_t c = {ck, sl__window_key_encode(ck, k, start)};
            rc = sl__cache_get(ts, c, &v, &t);
        }
    }
    if (rc == -1) {
        rc = sl_window_get(sl__store_txn(ctx->task, ts), ts->handle, k, start, &v);
        if (rc == 1 && sl__store_value_bytes(ctx, ts, v, &v, &t))
            return ctx->task->err;
    }
    if (rc < 0) {
        sl__store_fail(ctx, ts, rc);
        return rc;
    }
    if (rc == 0)
        return 0;
    if (time)
        *time = ts->def->timestamped ? t : rec_time(ctx);
    return sl__store_value_obj(ctx, ts, v, value);
}

int sl__window_get(sl_ctx_t *ctx, int store, const void *key, int64_t start, const void **value)
{
    return sl__window_get_ts(ctx, store, key, start, value, NULL);
}

sl_err_t sl__window_put(sl_ctx_t *ctx, int store, const void *key, int64_t start,
                        const void *value)
{
    return sl__window_put_ts(ctx, store, key, start, value, rec_time(ctx));
}

sl_err_t sl__window_put_ts(sl_ctx_t *ctx, int store, const void *key, int64_t start,
                           const void *value, int64_t time)
{
    sl_task_store_t *ts = sl__task_store(ctx, store, SL_STORE_WINDOW);
    sl_bytes_t k;
    if (!ts || sl__store_key_bytes(ctx, ts, key, &k))
        return ctx->task->err;
    sl_task_t *task = ctx->task;
    /* The changelog key, as Kafka Streams' WindowKeySchema: key, start, seq 0. */
    uint8_t *lk = sl_mem_alloc(&task->mem, k.len + SL_WINDOW_CHANGELOG_SUFFIX);
    if (!lk) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return SL_ERR_NOMEM;
    }
    memcpy(lk, k.data, k.len);
    sl_store_be64(lk + k.len, (uint64_t)start);
    sl_store_be32(lk + k.len + 8, 0);
    sl_bytes_t logk = {lk, k.len + SL_WINDOW_CHANGELOG_SUFFIX};
    int rc;
    if (ts->cache) {
        if (k.len > SL_STATE_MAX_KEY - 8) {
            sl__store_fail(ctx, ts, SL_ERR_INVAL);
            return SL_ERR_INVAL;
        }
        uint8_t *ck = sl_mem_alloc(&task->mem, k.len + 8);
        sl_bytes_t v = {0};
        if (!ck) {
            sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
            return SL_ERR_NOMEM;
        }
        sl_bytes_t c = {ck, sl__window_key_encode(ck, k, start)};
        sl_bytes_t lmdb_k = {c.data, k.len};
        if (value) {
            int is_null;
            sl_err_t err = sl__serialize(ts->def->value_serde, value, &task->vout, &is_null);
            if (err) {
                sl_ctx_fail(ctx, err, "store %s: cannot serialize the value", ts->def->name);
                return err;
            }
            v = (sl_bytes_t){task->vout.buf.data, task->vout.buf.len};
        }
        return cached_put(ctx, ts, c, lmdb_k, start, value ? &v : NULL, time);
    }
    if (!value) {
        rc = sl_window_delete(sl__store_txn(task, ts), ts->handle, k, start);
        if (rc >= 0)
            sl__store_log_change_ts(ctx, ts, logk, NULL, time);
    } else {
        int is_null;
        sl_err_t err = sl__serialize(ts->def->value_serde, value, &task->vout, &is_null);
        if (err) {
            sl_ctx_fail(ctx, err, "store %s: cannot serialize the value", ts->def->name);
            return err;
        }
        sl_bytes_t v = {task->vout.buf.data, task->vout.buf.len}, sv;
        if (sl__store_lmdb_value(ctx, ts, v, time, &sv))
            return task->err;
        rc = sl_window_put(sl__store_txn(task, ts), ts->handle, k, start, sv);
        if (rc >= 0)
            sl__store_log_change_ts(ctx, ts, logk, &v, time);
    }
    if (rc < 0) {
        sl__store_fail(ctx, ts, rc);
        return (sl_err_t)rc;
    }
    return task->err;
}

/* ---- stores for processors ------------------------------------------------------------------------------ */

struct sl_kvstore {
    int id;
};

sl_kvstore_t *sl_ctx_kv_store(sl_ctx_t *ctx, const char *name)
{
    if (!ctx->cur || !name)
        return NULL;
    sl_node_t *n = ctx->cur->node;
    for (int i = 0; i < n->nstores; i++) {
        sl_store_t *s = ctx->task->topo->stores[n->stores[i]];
        if (!strcmp(s->name, name) && s->type == SL_STORE_KV)
            /* The handle is the store id + 1 dressed as a pointer: no allocation,
             * and valid in any task of the topology. */
            return (sl_kvstore_t *)(uintptr_t)(s->id + 1);
    }
    return NULL;
}

static int kvstore_id(sl_kvstore_t *s) { return (int)((uintptr_t)s - 1); }

int sl_kvstore_get(sl_ctx_t *ctx, sl_kvstore_t *s, const void *key, const void **value)
{
    if (!s) {
        *value = NULL;
        return SL_ERR_INVAL;
    }
    return sl__kv_get(ctx, kvstore_id(s), key, value);
}

sl_err_t sl_kvstore_put(sl_ctx_t *ctx, sl_kvstore_t *s, const void *key, const void *value)
{
    if (!s)
        return SL_ERR_INVAL;
    return sl__kv_put(ctx, kvstore_id(s), key, value);
}

sl_err_t sl_kvstore_range(sl_ctx_t *ctx, sl_kvstore_t *s, const void *from, const void *to,
                          int (*fn)(void *arg, const void *key, const void *value), void *arg)
{
    if (!s || !fn)
        return SL_ERR_INVAL;
    sl_task_store_t *ts = sl__task_store(ctx, kvstore_id(s), SL_STORE_KV);
    if (!ts)
        return ctx->task->err;
    sl_task_t *task = ctx->task;
    if (ts->cache && sl__cache_flush_store(ctx, ts))
        return task->err; /* a range reads LMDB: write the cache out first */
    sl_bytes_t fb, tb;
    const sl_bytes_t *fp = NULL, *tp = NULL;
    if (from) {
        if (sl__store_key_bytes(ctx, ts, from, &fb))
            return task->err;
        fb.data = sl_mem_dup(&task->mem, fb.data, fb.len);
        fp = &fb;
    }
    if (to) {
        if (sl__store_key_bytes(ctx, ts, to, &tb))
            return task->err;
        tb.data = sl_mem_dup(&task->mem, tb.data, tb.len);
        tp = &tb;
    }
    if ((fp && !fb.data) || (tp && !tb.data))
        return SL_ERR_NOMEM;
    sl_state_iter_t *it;
    sl_err_t err = sl_kv_range(sl__store_txn(task, ts), ts->handle, fp, tp, &it);
    if (err) {
        sl__store_fail(ctx, ts, err);
        return err;
    }
    sl_bytes_t k, v;
    int rc;
    while ((rc = sl_kv_iter_next(it, &k, &v)) == 1) {
        sl_bytes_t kc = {sl_mem_dup(&task->mem, k.data, k.len), k.len};
        const void *ko, *vo;
        if (!kc.data) {
            rc = SL_ERR_NOMEM;
            break;
        }
        if (sl__deserialize(ts->def->key_serde, &kc, &task->mem, &ko) != SL_OK) {
            rc = SL_ERR_SERDE;
            break;
        }
        if (sl__store_value_bytes(ctx, ts, v, &v, NULL) ||
            sl__store_value_obj(ctx, ts, v, &vo) < 0) {
            rc = task->err;
            break;
        }
        if (fn(arg, ko, vo))
            break;
    }
    sl_state_iter_close(it);
    if (rc < 0 && !task->err)
        sl__store_fail(ctx, ts, rc);
    return rc < 0 ? (sl_err_t)rc : task->err;
}
