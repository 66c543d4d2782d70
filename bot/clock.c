/* The process clock; see clock.h. */
#include "clock.h"

#include <time.h>

static int64_t fake_start_ms;   /* 0 = real clock */
static int64_t mono_start_ms;
static double fake_speed = 1.0;

static int64_t read_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void clock_init(int64_t start_s, double speed)
{
    fake_start_ms = start_s * 1000;
    fake_speed = speed > 0 ? speed : 1.0;
    mono_start_ms = read_ms(CLOCK_MONOTONIC);
}

int64_t clock_now_ms(void)
{
    if (!fake_start_ms)
        return read_ms(CLOCK_REALTIME);
    double elapsed = (double)(read_ms(CLOCK_MONOTONIC) - mono_start_ms) * fake_speed;
    return fake_start_ms + (int64_t)elapsed;
}

int64_t clock_real_ms(void)
{
    return read_ms(CLOCK_REALTIME);
}

uint64_t clock_real_delay_ms(int64_t clock_ms)
{
    int64_t d = clock_ms - clock_now_ms();
    if (d <= 0)
        return 0;
    if (fake_start_ms)
        d = (int64_t)((double)d / fake_speed) + 1;
    return (uint64_t)d;
}
