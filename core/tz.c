/*
 * Time zones through the C library's tz database: the process TZ is switched
 * only when a different zone is asked for (glibc caches the parsed zone, so
 * the common case — one zone — costs one localtime_r).  Single-threaded by
 * design, like the rest of the engine.
 */
#include "tz.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static char current_tz[128];

static void use_zone(const char *tz)
{
    if (!tz || !*tz)
        tz = "UTC";
    if (strcmp(current_tz, tz) == 0)
        return;
    size_t n = strlen(tz);
    if (n >= sizeof current_tz)
        n = sizeof current_tz - 1;
    memcpy(current_tz, tz, n);
    current_tz[n] = '\0';
    setenv("TZ", current_tz, 1);
    tzset();
}

int tz_valid(const char *tz)
{
    if (!tz || !*tz || strlen(tz) > 100 || strstr(tz, "..") || tz[0] == '/')
        return 0;
    if (strcmp(tz, "UTC") == 0)
        return 1;
    for (const char *p = tz; *p; p++) {
        char c = *p;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '+'))
            return 0;
    }
    struct sbuf path = {0};
    sbuf_addf(&path, "/usr/share/zoneinfo/%s", tz);
    int ok = access(path.s, R_OK) == 0;
    sbuf_free(&path);
    return ok;
}

void tz_local(const char *tz, int64_t t, struct tm *out)
{
    use_zone(tz);
    time_t tt = (time_t)t;
    if (!localtime_r(&tt, out))
        memset(out, 0, sizeof *out);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int64_t tz_day(const char *tz, int64_t t)
{
    struct tm tm;
    tz_local(tz, t, &tm);
    return floor_div(t + tm.tm_gmtoff, 86400);
}

int64_t tz_instant(const char *tz, int y, int mon, int d, int h, int mi)
{
    use_zone(tz);
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm);
}

void tz_day_ymd(int64_t day, int *y, int *mon, int *d, int *wday)
{
    /* civil-from-days (H. Hinnant's algorithm), exact for any day number */
    int64_t z = day + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400 + (mm <= 2));
    *mon = (int)mm;
    *d = (int)dd;
    if (wday)
        *wday = (int)((day % 7 + 11) % 7); /* 1970-01-01 was a Thursday */
}

int64_t tz_day_start(const char *tz, int64_t day)
{
    int y, mon, d;
    tz_day_ymd(day, &y, &mon, &d, NULL);
    return tz_instant(tz, y, mon, d, 0, 0);
}

int64_t tz_day_from(const char *tz, int start_hour, int64_t t)
{
    struct tm tm;
    tz_local(tz, t, &tm);
    int64_t day = floor_div(t + tm.tm_gmtoff, 86400);
    return tm.tm_hour < start_hour ? day - 1 : day;
}

int64_t tz_day_start_from(const char *tz, int start_hour, int64_t day)
{
    int y, mon, d;
    tz_day_ymd(day, &y, &mon, &d, NULL);
    return tz_instant(tz, y, mon, d, start_hour, 0);
}

int64_t tz_ymd_day(int y, int mon, int d)
{
    /* days-from-civil (H. Hinnant's algorithm) */
    int64_t yy = (int64_t)y - (mon <= 2);
    int64_t era = floor_div(yy, 400);
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (mon > 2 ? mon - 3 : mon + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}
