/* clock.h — wall-clock milliseconds, the time base of record timestamps,
 * segment ages, retention, session timeouts and commit timestamps. */
#ifndef SL_COMMON_CLOCK_H
#define SL_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

/** Milliseconds since the Unix epoch (CLOCK_REALTIME), as Kafka's timestamps. */
static inline int64_t sl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/** The CLOCK_REALTIME time ms milliseconds from now: the deadline
 * pthread_cond_timedwait takes (on a default condition variable). */
static inline struct timespec sl_deadline_in_ms(int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ns = ts.tv_nsec + ms * 1000000;
    ts.tv_sec += ns / 1000000000;
    ts.tv_nsec = ns % 1000000000;
    return ts;
}

#endif
