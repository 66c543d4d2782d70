/* Word forms of times (see when_words.h for the rules). */
#include "when_words.h"

#include <string.h>

#include "err.h"
#include "tz.h"
#include "util.h"

enum { RECENT_DAYS = 7 };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

enum period { P_NONE, P_MORNING, P_NOON, P_AFTERNOON, P_EVENING };

/* The text folded for matching: ASCII lower case, full-width digits, letters
   and colon as ASCII, spaces (also U+3000) dropped.  0 or KB_EINVAL. */
static int fold(const char *s, char *out, size_t cap)
{
    size_t n = strlen(s), o = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = utf8_decode(s + i, n - i, &cp);
        if (!len)
            return KB_EINVAL;
        char c = 0;
        if (cp >= 0xFF01 && cp <= 0xFF5E)
            cp -= 0xFEE0; /* full-width ASCII */
        if (cp == ' ' || cp == '\t' || cp == 0x3000) {
            i += len;
            continue;
        }
        if (cp < 0x80)
            c = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
        size_t need = c ? 1 : len;
        if (o + need >= cap)
            return KB_EINVAL;
        if (c)
            out[o++] = c;
        else
            memcpy(out + o, s + i, len), o += len;
        i += len;
    }
    out[o] = '\0';
    return KB_OK;
}

/* Consume word w at *p. */
static int eat(const char **p, const char *w)
{
    size_t n = strlen(w);
    if (strncmp(*p, w, n) != 0)
        return 0;
    *p += n;
    return 1;
}

static int eat_any(const char **p, const char *const *words)
{
    for (size_t i = 0; words[i]; i++)
        if (eat(p, words[i]))
            return 1;
    return 0;
}

/* A Chinese digit's value (两 = 2), or -1. */
static int zh_digit(const char **p)
{
    static const char *const digits[] = {"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"};
    for (int i = 0; i < 10; i++)
        if (eat(p, digits[i]))
            return i;
    if (eat(p, "〇"))
        return 0;
    if (eat(p, "两"))
        return 2;
    return -1;
}

/* A number in ASCII digits (up to 4) or Chinese numerals up to 99
   (十, 十二, 二十, 二十四). */
static int eat_number(const char **p, int *v)
{
    const char *s = *p;
    if (*s >= '0' && *s <= '9') {
        int x = 0, k = 0;
        while (*s >= '0' && *s <= '9' && k < 4)
            x = x * 10 + (*s++ - '0'), k++;
        if (*s >= '0' && *s <= '9')
            return 0;
        *p = s;
        *v = x;
        return 1;
    }
    int tens = -1, ones = -1, d = zh_digit(&s);
    if (eat(&s, "十")) {
        tens = d < 0 ? 1 : d;
        ones = zh_digit(&s);
        *v = tens * 10 + (ones < 0 ? 0 : ones);
    } else if (d >= 0) {
        *v = d;
    } else {
        return 0;
    }
    *p = s;
    return 1;
}

static enum period eat_period(const char **p)
{
    static const char *const morning[] = {"凌晨", "早上", "早晨", "清晨", "上午", "am", NULL};
    static const char *const noon[] = {"中午", NULL};
    static const char *const afternoon[] = {"下午", "pm", NULL};
    static const char *const evening[] = {"傍晚", "晚上", "夜里", "夜间", "晚间", NULL};
    if (eat_any(p, morning))
        return P_MORNING;
    if (eat_any(p, noon))
        return P_NOON;
    if (eat_any(p, afternoon))
        return P_AFTERNOON;
    if (eat_any(p, evening))
        return P_EVENING;
    return P_NONE;
}

/* 8点 / 8点半 / 8点30(分) / 8时 / 20:00 / 8pm / 8:30am, with the period
   before it (晚上8点) or, in English, after it (8pm).  Hours come out 0..24
   (24 = the day's end). */
static int eat_time(const char **p, enum period period, int *h, int *mi)
{
    const char *s = *p;
    int hh, mm = 0;
    if (!eat_number(&s, &hh))
        return 0;
    if (eat(&s, ":")) {
        if (!(s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9'))
            return 0;
        mm = (s[0] - '0') * 10 + (s[1] - '0');
        s += 2;
    } else if (eat(&s, "点") || eat(&s, "时")) {
        if (eat(&s, "半"))
            mm = 30;
        else if (eat(&s, "一刻"))
            mm = 15;
        else if (eat(&s, "三刻"))
            mm = 45;
        else if (eat_number(&s, &mm))
            (void)(eat(&s, "分") || eat(&s, "分钟"));
        else
            (void)eat(&s, "整");
    } else if (!(s[0] == 'a' || s[0] == 'p')) {
        return 0; /* a bare number is not a time */
    }
    enum period after = eat_period(&s);
    if (after != P_NONE) {
        if (period != P_NONE)
            return 0;
        period = after;
    }
    if (hh > 24 || mm > 59)
        return 0;
    if (period == P_MORNING && hh == 12)
        hh = 0; /* 12am */
    else if ((period == P_AFTERNOON || period == P_EVENING) && hh >= 1 && hh <= 11)
        hh += 12;
    else if (period == P_NOON && hh >= 1 && hh <= 3)
        hh += 12;
    else if (period == P_EVENING && hh == 12)
        hh = 24;
    if (hh == 24 && mm)
        return 0;
    if (period != P_NONE && hh > 24)
        return 0;
    *h = hh;
    *mi = mm;
    *p = s;
    return 1;
}

int when_time_of_day(const char *s, int *minutes)
{
    char buf[96];
    if (!s || fold(s, buf, sizeof buf))
        return KB_EINVAL;
    const char *p = buf;
    enum period period = eat_period(&p);
    int h, mi;
    if (!eat_time(&p, period, &h, &mi) || *p || h > 23)
        return KB_EINVAL;
    *minutes = h * 60 + mi;
    return KB_OK;
}

/* The day after 周 / 星期 / 礼拜: 一 .. 日 (or 天, or 1..7) -> 1 (Monday) .. 7. */
static int eat_zh_weekday_name(const char **p)
{
    static const char *const names[] = {"一", "二", "三", "四", "五", "六", "日"};
    for (int i = 0; i < 7; i++)
        if (eat(p, names[i]))
            return i + 1;
    if (eat(p, "天"))
        return 7;
    if (**p >= '1' && **p <= '7')
        return *(*p)++ - '0';
    return 0;
}

static int eat_en_weekday(const char **p)
{
    static const char *const names[7][2] = {{"monday", "mon"},   {"tuesday", "tue"}, {"wednesday", "wed"},
                                            {"thursday", "thu"}, {"friday", "fri"},  {"saturday", "sat"},
                                            {"sunday", "sun"}};
    for (int i = 0; i < 7; i++)
        for (int k = 0; k < 2; k++)
            if (eat(p, names[i][k]))
                return i + 1;
    return 0;
}

/* A weekday, 1 (Monday) .. 7 (Sunday), with its week word (周五, 星期天, fri)
   or, after a week prefix that carried the word (下周|五), without. */
static int eat_weekday(const char **p, int after_week_word)
{
    static const char *const week_words[] = {"星期", "礼拜", "周", NULL};
    const char *s = *p;
    int x = 0;
    if (after_week_word || eat_any(&s, week_words))
        x = eat_zh_weekday_name(&s);
    if (!x) {
        s = *p;
        x = eat_en_weekday(&s);
    }
    if (x)
        *p = s;
    return x;
}

struct when_state {
    const char *tz;
    int64_t now, today;   /* local day numbers */
    int64_t day;          /* the chosen day, or -1 */
    int roll;             /* a bare weekday: moves a week on when past */
    enum period period;   /* from 今晚 / 明早 */
};

static int64_t day_of(const char *tz, int y, int mon, int d)
{
    return tz_day(tz, tz_instant(tz, y, mon, d, 12, 0));
}

/* A real calendar date (no 2月30日). */
static int valid_ymd(int y, int mon, int d)
{
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || y > 2200 || mon < 1 || mon > 12 || d < 1 || d > days[mon - 1])
        return 0;
    return !(mon == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

/* The date part: relative day words, weekdays, month-days. */
static int eat_date(const char **p, struct when_state *w)
{
    static const struct {
        const char *word;
        int offset;
        enum period period;
    } days[] = {
        {"大后天", 3, P_NONE}, {"后天", 2, P_NONE},    {"明天", 1, P_NONE},    {"明日", 1, P_NONE},
        {"今天", 0, P_NONE},   {"今日", 0, P_NONE},    {"今晚", 0, P_EVENING}, {"今早", 0, P_MORNING},
        {"明晚", 1, P_EVENING}, {"明早", 1, P_MORNING}, {"tomorrow", 1, P_NONE}, {"today", 0, P_NONE},
        {"tonight", 0, P_EVENING},
    };
    for (size_t i = 0; i < COUNT(days); i++)
        if (eat(p, days[i].word)) {
            w->day = w->today + days[i].offset;
            w->period = days[i].period;
            return 1;
        }
    int y, mon, d, wday;
    tz_day_ymd(w->today, &y, &mon, &d, &wday);
    int today_idx = wday == 0 ? 7 : wday; /* Monday 1 .. Sunday 7 */
    const char *s = *p;
    static const struct {
        const char *word;
        int weeks;
    } prefixes[] = {
        {"下下个星期", 2}, {"下下星期", 2}, {"下下个礼拜", 2}, {"下下周", 2},
        {"下个星期", 1},   {"下星期", 1},   {"下个礼拜", 1},   {"下礼拜", 1}, {"下周", 1}, {"next", 1},
        {"这个星期", 0},   {"这星期", 0},   {"这礼拜", 0},     {"本周", 0},   {"这周", 0}, {"this", 0},
    };
    for (size_t i = 0; i < COUNT(prefixes); i++) {
        const char *q = s;
        if (!eat(&q, prefixes[i].word))
            continue;
        int x = eat_weekday(&q, (unsigned char)prefixes[i].word[0] >= 0x80);
        if (!x)
            return 0;
        /* weeks run Monday to Sunday */
        w->day = w->today - (today_idx - 1) + 7 * prefixes[i].weeks + (x - 1);
        *p = q;
        return 1;
    }
    int x = eat_weekday(&s, 0);
    if (x) {
        w->day = w->today + (x - today_idx + 7) % 7;
        w->roll = 1;
        *p = s;
        return 1;
    }
    /* [YYYY年]M月D日 / D号 */
    int a, b;
    const char *q = s;
    int year = 0;
    if (eat_number(&q, &a) && eat(&q, "年")) {
        year = a;
        s = q;
    }
    q = s;
    if (eat_number(&q, &a) && eat(&q, "月") && eat_number(&q, &b)) {
        (void)(eat(&q, "日") || eat(&q, "号"));
        int yy = year ? year : y;
        if (!valid_ymd(yy, a, b))
            return 0;
        w->day = day_of(w->tz, yy, a, b);
        if (!year && w->day < w->today - RECENT_DAYS && valid_ymd(y + 1, a, b))
            w->day = day_of(w->tz, y + 1, a, b);
        *p = q;
        return 1;
    }
    q = s;
    if (!year && eat_number(&q, &a) && (eat(&q, "号") || eat(&q, "日"))) {
        if (!valid_ymd(y, mon, a)) {
            int ny = mon == 12 ? y + 1 : y, nm = mon == 12 ? 1 : mon + 1;
            if (!valid_ymd(ny, nm, a))
                return 0;
            w->day = day_of(w->tz, ny, nm, a);
        } else {
            w->day = day_of(w->tz, y, mon, a);
            if (w->day < w->today - RECENT_DAYS) {
                int ny = mon == 12 ? y + 1 : y, nm = mon == 12 ? 1 : mon + 1;
                if (valid_ymd(ny, nm, a))
                    w->day = day_of(w->tz, ny, nm, a);
            }
        }
        *p = q;
        return 1;
    }
    return 0;
}

/* "3天后", "2小时后", "半小时后", "1周后"; days/weeks may be followed by a time. */
static int eat_relative(const char **p, struct when_state *w, int64_t *exact)
{
    static const char *const after[] = {"以后", "之后", "后", NULL};
    static const struct {
        const char *unit;
        int64_t seconds;
        int is_day;
    } units[] = {
        {"个小时", 3600, 0}, {"小时", 3600, 0}, {"个钟头", 3600, 0}, {"钟头", 3600, 0},
        {"分钟", 60, 0},     {"分", 60, 0},      {"天", 86400, 1},   {"日", 86400, 1},
        {"个星期", 604800, 1}, {"星期", 604800, 1}, {"周", 604800, 1},  {"个礼拜", 604800, 1},
    };
    const char *s = *p;
    int n;
    if (eat(&s, "半"))
        n = -1;
    else if (!eat_number(&s, &n) || n < 1 || n > 1000)
        return 0;
    for (size_t i = 0; i < COUNT(units); i++) {
        const char *q = s;
        if (!eat(&q, units[i].unit) || !eat_any(&q, after))
            continue;
        int64_t secs = n < 0 ? units[i].seconds / 2 : (int64_t)n * units[i].seconds;
        if (secs > 5LL * 366 * 86400)
            return 0;
        *exact = w->now + secs;
        if (units[i].is_day && n > 0)
            w->day = w->today + secs / 86400;
        *p = q;
        return 1;
    }
    return 0;
}

int when_words_parse(const char *s, const char *tz, int64_t now, int64_t *out)
{
    char buf[128];
    if (!s || fold(s, buf, sizeof buf) || !*buf)
        return KB_EINVAL;
    struct when_state w = {.tz = tz, .now = now, .today = tz_day(tz, now), .day = -1};
    const char *p = buf;
    int64_t exact = 0;
    int relative = eat_relative(&p, &w, &exact);
    if (relative && !*p) {
        *out = exact;
        return KB_OK;
    }
    if (relative && w.day < 0)
        return KB_EINVAL; /* "2小时后8点" */
    if (!relative && !eat_date(&p, &w))
        w.day = -1;
    enum period period = eat_period(&p);
    if (period == P_NONE)
        period = w.period;
    else if (w.period != P_NONE)
        return KB_EINVAL; /* "今晚上午8点" */
    int h = 23, mi = 59, timed = 0;
    if (*p) {
        if (!eat_time(&p, period, &h, &mi) || *p)
            return KB_EINVAL;
        timed = 1;
    } else if (w.day < 0) {
        return KB_EINVAL;
    } else if (period != P_NONE && period != P_EVENING) {
        return KB_EINVAL; /* "明早" alone: say the hour ("今晚" is the day's end) */
    }
    int64_t day = w.day < 0 ? w.today : w.day;
    int y, mon, d;
    tz_day_ymd(day, &y, &mon, &d, NULL);
    int64_t t = tz_instant(tz, y, mon, d, h, mi);
    if (t <= now && w.day < 0 && timed) {
        tz_day_ymd(day + 1, &y, &mon, &d, NULL);
        t = tz_instant(tz, y, mon, d, h, mi);
    } else if (t <= now && w.roll == 1) {
        tz_day_ymd(day + 7, &y, &mon, &d, NULL);
        t = tz_instant(tz, y, mon, d, h, mi);
    }
    *out = t;
    return KB_OK;
}
