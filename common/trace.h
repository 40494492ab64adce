/* trace.h — diagnostics ("trace", never "log": log is the commit log).
 *
 * Library code never prints: it calls sl_trace(), which hands the line to the
 * installed sink. The default sink writes lines at or above the threshold to
 * stderr; the threshold comes from SLUICE_TRACE (debug|info|warn|error|off)
 * and defaults to warn. */
#ifndef SL_COMMON_TRACE_H
#define SL_COMMON_TRACE_H

#include <stdarg.h>

typedef enum sl_trace_level {
    SL_TRACE_DEBUG = 0,
    SL_TRACE_INFO = 1,
    SL_TRACE_WARN = 2,
    SL_TRACE_ERROR = 3,
    SL_TRACE_OFF = 4
} sl_trace_level_t;

/** A sink receives each line (no trailing newline), already formatted; it may
 * be called from any thread at once. component is a short static name. */
typedef void sl_trace_sink_fn(void *opaque, sl_trace_level_t level, const char *component,
                              const char *line);

/** Installs sink (NULL restores the stderr sink) and its threshold. Lines
 * below level are dropped before formatting. Call before starting threads. */
void sl_trace_set_sink(sl_trace_sink_fn *sink, void *opaque, sl_trace_level_t level);

/** The current threshold. */
sl_trace_level_t sl_trace_level(void);

/** Formats and emits one line. Thread-safe. */
void sl_trace(sl_trace_level_t level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** The level for a name ("debug" …); -1 when unknown. */
int sl_trace_level_parse(const char *name);

#endif
