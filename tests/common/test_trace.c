/* test_trace.c — the trace sink and its threshold. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "common/trace.h"

typedef struct {
    int calls;
    char last[256];
    char component[32];
} capture_t;

static void capture(void *opaque, sl_trace_level_t level, const char *component, const char *line)
{
    capture_t *c = opaque;
    (void)level;
    c->calls++;
    snprintf(c->last, sizeof c->last, "%s", line);
    snprintf(c->component, sizeof c->component, "%s", component);
}

static void sink_and_threshold(void **state)
{
    (void)state;
    capture_t c = {0};
    sl_trace_set_sink(capture, &c, SL_TRACE_INFO);
    sl_trace(SL_TRACE_DEBUG, "log", "dropped %d", 1);
    assert_int_equal(c.calls, 0);
    sl_trace(SL_TRACE_WARN, "log", "kept %s at %d", "file", 42);
    assert_int_equal(c.calls, 1);
    assert_string_equal(c.last, "kept file at 42");
    assert_string_equal(c.component, "log");
    assert_int_equal(sl_trace_level(), SL_TRACE_INFO);
    sl_trace_set_sink(NULL, NULL, SL_TRACE_OFF);
    sl_trace(SL_TRACE_ERROR, "log", "silent");
    assert_int_equal(c.calls, 1);
    assert_int_equal(sl_trace_level_parse("WARN"), SL_TRACE_WARN);
    assert_int_equal(sl_trace_level_parse("nope"), -1);
}

SL_TEST_GROUP(trace, cmocka_unit_test(sink_and_threshold))
