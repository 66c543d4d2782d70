/*
 * The process clock: real time, or (for tests and demos) a fake clock that
 * starts at a given instant and runs `speed` times faster than real time.
 */
#ifndef KB_BOT_CLOCK_H
#define KB_BOT_CLOCK_H

#include <stdint.h>

/* start_s = 0: the real clock.  speed <= 0 is treated as 1. */
void clock_init(int64_t start_s, double speed);
/* UTC milliseconds on this clock. */
int64_t clock_now_ms(void);
/* UTC milliseconds on the real clock, whatever the fake clock says: for
   durations the platform measures (rate limits, retry_after). */
int64_t clock_real_ms(void);
/* Real milliseconds until the clock reaches clock_ms (never negative). */
uint64_t clock_real_delay_ms(int64_t clock_ms);

#endif
