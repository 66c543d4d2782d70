/* The list of feature modules (see modules.h).  Order = /help order. */
#include "modules.h"

#include "audit.h"
#include "bughunt.h"
#include "judge.h"
#include "offer.h"
#include "checkin.h"
#include "webconsole.h"
#include "poll.h"
#include "profile.h"
#include "task.h"
#include "next.h"
#include "summary.h"
#include "review.h"
#include "revision.h"
#include "payment.h"
#include "grant.h"
#include "link.h"
#include "pool.h"
#include "prune.h"
#include "repeat.h"
#include "standing.h"
#include "streak.h"
#include "top.h"
#include "schedule.h"
#include "who.h"
#include "tag.h"
#include "quiz.h"
#include "term.h"
#include "mentor.h"
#include "camp.h"

const struct kb_module *const kb_modules[] = {
    &checkin_module,
    &streak_module,
    &profile_module,
    &poll_module,
    &task_module,
    &repeat_module,
    &next_module,
    &summary_module,
    &review_module,
    &revision_module,
    &payment_module,
    &top_module,
    &standing_module,
    &pool_module,
    &tag_module,
    &quiz_module,
    &grant_module,
    &who_module,
    &schedule_module,
    &link_module,
    &webconsole_module,
    &prune_module,
    &audit_module,
    &bughunt_module,
    &judge_module,
    &offer_module,
    &term_module,
    &mentor_module,
    &camp_module,
};

const size_t kb_n_modules = KB_COUNT(kb_modules);
