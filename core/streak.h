/*
 * Streaks that forgive: the hour a community's day starts, streak freezes
 * (断签保护卡) and make-up check-ins (补签).  A freeze is spent by the next
 * check-in, inside that check-in's transaction, and only when the freezes
 * held cover every day missed since the last one: the message's own day
 * decides, so a late-delivered check-in can never race a freeze a timer
 * already spent, and a replay is de-duplicated with its event.  A make-up
 * (补签) fills a missed day for points: it keeps the streak (the check-ins
 * after it are recounted) but earns no points and no freeze, and is no day
 * checked in for levels or the check-in board.
 */
#ifndef KB_CORE_STREAK_H
#define KB_CORE_STREAK_H

#include "ctx.h"

extern const struct kb_module streak_module;

/* A check-in on `day` whose previous check-in was on last_day (-1: none).
   When days were missed in between and the freezes held cover them all,
   one freeze per missed day is spent (each day recorded once), *kept = 1
   and the member's line is appended to note. */
int streak_bridge(struct cmd_ctx *c, int64_t last_day, int64_t day, int *kept, struct sbuf *note);
/* After a check-in on `day` reached `streak`: a freeze is earned when the
   streak is a multiple of freeze_every and fewer than freeze_cap are held
   (once per day, whatever replays); the member's line goes to note. */
int streak_earn(struct cmd_ctx *c, int64_t day, int64_t streak, struct sbuf *note);
/* The freezes a member holds. */
int streak_freezes_held(struct engine *e, int64_t member_id, int64_t *n);
/* /me's line about the freezes held (nothing when none). */
int streak_describe(struct cmd_ctx *c, struct sbuf *out);

#endif
