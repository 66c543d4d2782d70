/* The list of feature modules (see modules.h).  Order = /help order. */
#include "modules.h"

#include "audit.h"
#include "checkin.h"
#include "webconsole.h"
#include "poll.h"
#include "profile.h"
#include "task.h"
#include "review.h"
#include "grant.h"
#include "link.h"
#include "pool.h"
#include "prune.h"
#include "standing.h"
#include "top.h"
#include "schedule.h"
#include "who.h"
#include "term.h"
#include "mentor.h"
#include "camp.h"

const struct kb_module *const kb_modules[] = {
    &checkin_module,
    &profile_module,
    &poll_module,
    &task_module,
    &review_module,
    &top_module,
    &standing_module,
    &pool_module,
    &grant_module,
    &who_module,
    &schedule_module,
    &link_module,
    &webconsole_module,
    &prune_module,
    &audit_module,
    &term_module,
    &mentor_module,
    &camp_module,
};

const size_t kb_n_modules = KB_COUNT(kb_modules);
