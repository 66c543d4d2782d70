/*
 * Growth camps (为期一个月的手机摄影训练营): an operator opens a camp of a
 * number of weeks, each with a theme, a tutorial and a submission task;
 * members enrol (open to all, by level, or by invitation; capped); each
 * week the tutorial goes to the enrolled members, the week's task is
 * created (task.c, invitation-only to the camp), a reminder comes a day
 * before its deadline and a progress summary at its end; a member with the
 * required weeks approved graduates once: a badge and a certificate, and
 * an invitation to a talent pool when the camp has one.  See camp.c.
 */
#ifndef KB_CORE_CAMP_H
#define KB_CORE_CAMP_H

#include "modules.h"

extern const struct kb_module camp_module;

#endif
