/* The list of feature modules (see modules.h).  Order = /help order. */
#include "modules.h"

#include "checkin.h"
#include "poll.h"
#include "profile.h"
#include "task.h"

const struct kb_module *const kb_modules[] = {
    &checkin_module,
    &profile_module,
    &poll_module,
    &task_module,
    &review_module,
};

const size_t kb_n_modules = KB_COUNT(kb_modules);
