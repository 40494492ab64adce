/* trace.c — the diagnostics sink: stderr by default, replaceable by embedders and tests. */
#include "common/trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static sl_trace_sink_fn *sl__sink;
static void *sl__sink_opaque;
static int sl__level = -1; /* -1: not yet read from SLUICE_TRACE */

static const char *const sl__level_names[] = {"debug", "info", "warn", "error", "off"};

int sl_trace_level_parse(const char *name)
{
    for (int i = 0; i <= SL_TRACE_OFF; i++)
        if (name && strcasecmp(name, sl__level_names[i]) == 0)
            return i;
    return -1;
}

sl_trace_level_t sl_trace_level(void)
{
    int lvl = __atomic_load_n(&sl__level, __ATOMIC_RELAXED);
    if (lvl < 0) {
        lvl = sl_trace_level_parse(getenv("SLUICE_TRACE"));
        if (lvl < 0)
            lvl = SL_TRACE_WARN;
        __atomic_store_n(&sl__level, lvl, __ATOMIC_RELAXED);
    }
    return (sl_trace_level_t)lvl;
}

void sl_trace_set_sink(sl_trace_sink_fn *sink, void *opaque, sl_trace_level_t level)
{
    sl__sink = sink;
    sl__sink_opaque = opaque;
    __atomic_store_n(&sl__level, (int)level, __ATOMIC_RELAXED);
}

void sl_trace(sl_trace_level_t level, const char *component, const char *fmt, ...)
{
    if ((int)level < (int)sl_trace_level() || level >= SL_TRACE_OFF)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (sl__sink) {
        sl__sink(sl__sink_opaque, level, component, line);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    /* One fprintf per line: stdio locks the stream, so lines never interleave. */
    fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s: %s\n", tm.tm_year + 1900,
            tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
            sl__level_names[level], component, line);
}
