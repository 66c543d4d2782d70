/*
 * Mentors for newcomers (新成员导师团): operators name mentors (a mentor
 * title with a term, term.h); a newcomer gets one automatically (the
 * active mentor with the fewest mentees, under their cap, the longest
 * since their last assignment first) or by hand; mentors are credited once
 * per mentee and milestone (seven check-in days, a first approved task,
 * level 2); /mentor top ranks them.  See mentor.c.
 */
#ifndef KB_CORE_MENTOR_H
#define KB_CORE_MENTOR_H

#include "modules.h"

extern const struct kb_module mentor_module;

#endif
