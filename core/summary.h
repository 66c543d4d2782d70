/*
 * The weekly personal summary: once a week at the community's hour, every
 * active member with a private chat gets a direct message — check-ins and
 * streak, points and rank change, tasks done and waiting for review,
 * progress to the next level, badges and titles gained, and their next
 * suggestion (next.h).  /summary shows it on demand; /summary off stops it.
 *
 * Thousands of direct messages must not crowd out group replies: the run
 * queues at most summary.per_second messages per second (below the
 * platform's overall limit, e.g. Telegram's ~30/s), so the outbox never
 * holds a backlog a group reply would wait behind.  The run's cursor (the
 * last member id done) commits with the messages it queued: after a crash
 * the run goes on where it stopped, and nobody gets a summary twice.
 */
#ifndef KB_CORE_SUMMARY_H
#define KB_CORE_SUMMARY_H

#include "ctx.h"

/* The member's summary for the week of now (Monday up to now), in lang. */
int summary_render(struct engine *e, const struct community *comm, int64_t member_id, int64_t now,
                   const char *lang, struct sbuf *out);

extern const struct kb_module summary_module;

#endif
