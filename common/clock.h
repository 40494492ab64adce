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

#endif
