/* The list of feature modules (see modules.h).  Order = /help order. */
#include "modules.h"

#include "checkin.h"
#include "profile.h"
#include "schedule.h"

const struct kb_module *const kb_modules[] = {
    &checkin_module,
    &profile_module,
    &schedule_module,
};

const size_t kb_n_modules = KB_COUNT(kb_modules);
