/*
 * The schema, one migration per entry, oldest first.  A released entry is
 * never edited: a change is a new entry at the end.  PRAGMA user_version
 * holds how many have been applied (store.c runs each in a transaction).
 */
#include "store.h"

const char *const store_migrations[] = {
    /* 1: communities, chats, members, operators, the de-duplication record,
          cursors, the outbox, the ledger with its cached tallies, check-ins */
    "CREATE TABLE communities ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  locale TEXT NOT NULL,"
    "  tz TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL"
    ") STRICT;"
    "CREATE TABLE chats ("
    "  platform TEXT NOT NULL,"
    "  chat_id TEXT NOT NULL,"
    "  community_id INTEGER NOT NULL REFERENCES communities(id),"
    "  title TEXT NOT NULL DEFAULT '',"
    "  is_private INTEGER NOT NULL DEFAULT 0,"
    "  active INTEGER NOT NULL DEFAULT 1,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (platform, chat_id)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX chats_community ON chats(community_id);"
    "CREATE TABLE members ("
    "  id INTEGER PRIMARY KEY,"
    "  community_id INTEGER NOT NULL REFERENCES communities(id),"
    "  platform TEXT NOT NULL,"
    "  user_id TEXT NOT NULL,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  handle TEXT,"
    "  joined_at INTEGER NOT NULL,"
    "  last_seen INTEGER NOT NULL,"
    "  UNIQUE (community_id, platform, user_id)"
    ") STRICT;"
    "CREATE INDEX members_handle ON members(community_id, handle);"
    "CREATE INDEX members_user ON members(platform, user_id, last_seen);"
    "CREATE TABLE operators ("
    "  community_id INTEGER NOT NULL REFERENCES communities(id),"
    "  platform TEXT NOT NULL,"
    "  user_id TEXT NOT NULL,"
    "  PRIMARY KEY (community_id, platform, user_id)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE TABLE processed ("
    "  platform TEXT NOT NULL,"
    "  chat_id TEXT NOT NULL,"
    "  message_id TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  PRIMARY KEY (platform, chat_id, message_id)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX processed_at ON processed(at);"
    "CREATE TABLE cursors ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL"
    ") STRICT, WITHOUT ROWID;"
    "CREATE TABLE failed_events ("
    "  id INTEGER PRIMARY KEY,"
    "  platform TEXT NOT NULL,"
    "  chat_id TEXT,"
    "  message_id TEXT,"
    "  text TEXT,"
    "  error TEXT NOT NULL,"
    "  at INTEGER NOT NULL"
    ") STRICT;"
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  platform TEXT NOT NULL,"
    "  chat_id TEXT NOT NULL,"
    "  thread_id TEXT,"
    "  reply_to TEXT,"
    "  kind INTEGER NOT NULL DEFAULT 0,"
    "  text TEXT NOT NULL,"
    "  buttons TEXT,"
    "  edit_message_id TEXT,"
    "  callback_id TEXT,"
    "  coalesce INTEGER NOT NULL DEFAULT 0,"
    "  ref TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  not_before_ms INTEGER NOT NULL DEFAULT 0,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  state INTEGER NOT NULL DEFAULT 0," /* 0 pending, 1 sent, 2 failed,
                                                  3 being sent (at most once) */
    "  sent_message_id TEXT,"
    "  sent_at INTEGER,"
    "  error TEXT"
    ") STRICT;"
    "CREATE INDEX outbox_pending ON outbox(platform, not_before_ms) WHERE state = 0;"
    "CREATE TABLE posted ("
    "  ref TEXT NOT NULL,"
    "  platform TEXT NOT NULL,"
    "  chat_id TEXT NOT NULL,"
    "  message_id TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  PRIMARY KEY (ref, platform, chat_id)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE TABLE ledger ("
    "  id INTEGER PRIMARY KEY,"
    "  community_id INTEGER NOT NULL REFERENCES communities(id),"
    "  member_id INTEGER NOT NULL REFERENCES members(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('points','cash','gift','badge','title')),"
    "  amount INTEGER NOT NULL,"  /* points, or cash in cents; +1/-1 for items */
    "  unit TEXT NOT NULL DEFAULT ''," /* currency, gift, badge or title name */
    "  reason TEXT NOT NULL,"      /* checkin, task, poll, grant, revoke, payout */
    "  ref TEXT NOT NULL DEFAULT ''," /* what it is for: day:N, task:N, poll:N */
    "  granted_by INTEGER REFERENCES members(id),"
    "  note TEXT NOT NULL DEFAULT '',"
    "  at INTEGER NOT NULL"
    ") STRICT;"
    /* one award per (member, reason, ref, kind, unit): replays cannot pay twice */
    "CREATE UNIQUE INDEX ledger_once ON ledger(member_id, reason, ref, kind, unit)"
    "  WHERE reason NOT IN ('grant','revoke','payout');"
    "CREATE INDEX ledger_member ON ledger(member_id, kind);"
    "CREATE INDEX ledger_time ON ledger(community_id, at);"
    "CREATE TABLE tallies ("
    "  member_id INTEGER PRIMARY KEY REFERENCES members(id),"
    "  community_id INTEGER NOT NULL,"
    "  points INTEGER NOT NULL DEFAULT 0"
    ") STRICT;"
    "CREATE INDEX tallies_rank ON tallies(community_id, points DESC);"
    "CREATE TABLE checkins ("
    "  community_id INTEGER NOT NULL,"
    "  member_id INTEGER NOT NULL REFERENCES members(id),"
    "  day INTEGER NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  streak INTEGER NOT NULL,"
    "  points INTEGER NOT NULL,"
    "  PRIMARY KEY (member_id, day)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX checkins_day ON checkins(community_id, day);"
    "CREATE TABLE rate_limits ("
    "  member_id INTEGER PRIMARY KEY,"
    "  window INTEGER NOT NULL,"
    "  count INTEGER NOT NULL,"
    "  noticed INTEGER NOT NULL DEFAULT 0"
    ") STRICT;",

    /* 2: standing (levels, talent pools), the audit trail, fire-once marks */
    "CREATE TABLE member_levels ("
    "  member_id INTEGER PRIMARY KEY REFERENCES members(id),"
    "  level INTEGER NOT NULL,"
    "  since INTEGER NOT NULL"
    ") STRICT;"
    "CREATE TABLE pools ("
    "  community_id INTEGER NOT NULL REFERENCES communities(id),"
    "  name TEXT NOT NULL COLLATE NOCASE,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (community_id, name)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE TABLE pool_members ("
    "  community_id INTEGER NOT NULL,"
    "  pool TEXT NOT NULL COLLATE NOCASE,"
    "  member_id INTEGER NOT NULL REFERENCES members(id),"
    "  added_by INTEGER,"
    "  at INTEGER NOT NULL,"
    "  PRIMARY KEY (member_id, pool)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX pool_members_pool ON pool_members(community_id, pool);"
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY,"
    "  community_id INTEGER NOT NULL,"
    "  actor_member_id INTEGER,"
    "  action TEXT NOT NULL,"
    "  target TEXT NOT NULL DEFAULT '',"
    "  detail TEXT NOT NULL DEFAULT '',"
    "  at INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX audit_recent ON audit(community_id, id);"
    "CREATE TABLE fired ("
    "  key TEXT PRIMARY KEY,"
    "  at INTEGER NOT NULL"
    ") STRICT, WITHOUT ROWID;",

    /* 3: polls, their options and votes (one row per poll and voter, so a
          re-vote is an upsert; choices is a bit set of option numbers);
          posted messages found by message id (replies to the bot's posts) */
    "CREATE TABLE polls ("
    "  id INTEGER PRIMARY KEY,"
    "  community_id INTEGER NOT NULL REFERENCES communities(id),"
    "  platform TEXT NOT NULL,"
    "  chat_id TEXT NOT NULL,"
    "  thread_id TEXT,"
    "  question TEXT NOT NULL CHECK (length(question) BETWEEN 1 AND 300),"
    "  n_options INTEGER NOT NULL CHECK (n_options BETWEEN 2 AND 10),"
    "  max_choices INTEGER NOT NULL DEFAULT 1 CHECK (max_choices BETWEEN 1 AND n_options),"
    "  anonymous INTEGER NOT NULL DEFAULT 0,"
    "  hidden INTEGER NOT NULL DEFAULT 0,"          /* counts hidden until close */
    "  reason_required INTEGER NOT NULL DEFAULT 0,"
    "  min_level INTEGER NOT NULL DEFAULT 0,"
    "  pool TEXT NOT NULL DEFAULT '',"
    "  reward INTEGER NOT NULL DEFAULT 0 CHECK (reward >= 0),"
    "  closes_at INTEGER,"                          /* NULL: until closed by hand */
    "  closed_at INTEGER,"
    "  created_by INTEGER REFERENCES members(id),"
    "  created_at INTEGER NOT NULL,"
    "  last_edit_at INTEGER NOT NULL DEFAULT 0,"   /* live-count edits are throttled */
    "  edit_pending INTEGER NOT NULL DEFAULT 0"
    ") STRICT;"
    "CREATE INDEX polls_open ON polls(community_id, chat_id) WHERE closed_at IS NULL;"
    "CREATE INDEX polls_due ON polls(closes_at) WHERE closed_at IS NULL;"
    "CREATE INDEX polls_edit ON polls(last_edit_at) WHERE edit_pending = 1;"
    "CREATE TABLE poll_options ("
    "  poll_id INTEGER NOT NULL REFERENCES polls(id),"
    "  n INTEGER NOT NULL CHECK (n BETWEEN 1 AND 10),"
    "  text TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 100),"
    "  PRIMARY KEY (poll_id, n)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE TABLE poll_votes ("
    "  poll_id INTEGER NOT NULL REFERENCES polls(id),"
    "  member_id INTEGER NOT NULL REFERENCES members(id),"
    "  choices INTEGER NOT NULL CHECK (choices BETWEEN 1 AND 1023),"
    "  reason TEXT NOT NULL DEFAULT '' CHECK (length(reason) <= 500),"
    "  at INTEGER NOT NULL,"
    "  PRIMARY KEY (poll_id, member_id)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX posted_message ON posted(platform, chat_id, message_id);",

    /* 4: tasks (four tiers), who may claim them, claims, submissions */
    "CREATE TABLE tasks ("
    "  id INTEGER PRIMARY KEY,"
    "  community_id INTEGER NOT NULL REFERENCES communities(id),"
    "  tier TEXT NOT NULL CHECK (tier IN ('basic','explore','precision','cobuild')),"
    "  title TEXT NOT NULL,"
    "  brief TEXT NOT NULL DEFAULT '',"
    "  points INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0),"
    "  cash INTEGER NOT NULL DEFAULT 0 CHECK (cash >= 0),"  /* cents */
    "  currency TEXT NOT NULL DEFAULT '',"
    "  gift TEXT NOT NULL DEFAULT '',"
    "  badge TEXT NOT NULL DEFAULT '',"
    "  title_reward TEXT NOT NULL DEFAULT '',"
    "  deadline INTEGER,"                                /* NULL = none */
    "  quota INTEGER NOT NULL DEFAULT 0 CHECK (quota >= 0)," /* 0 = unlimited */
    "  access TEXT NOT NULL CHECK (access IN ('everyone','criteria','invite')),"
    "  min_level INTEGER NOT NULL DEFAULT 0,"
    "  review INTEGER NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','closed','cancelled')),"
    "  claimed INTEGER NOT NULL DEFAULT 0 CHECK (claimed >= 0)," /* live claims */
    "  note TEXT NOT NULL DEFAULT '',"
    "  created_by INTEGER,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    /* the last slot cannot be taken twice, whatever the code above does */
    "  CHECK (quota = 0 OR claimed <= quota)"
    ") STRICT;"
    "CREATE INDEX tasks_community ON tasks(community_id, state, id);"
    "CREATE TABLE task_pools ("
    "  task_id INTEGER NOT NULL REFERENCES tasks(id),"
    "  pool TEXT NOT NULL COLLATE NOCASE,"
    "  PRIMARY KEY (task_id, pool)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE TABLE task_invites ("
    "  task_id INTEGER NOT NULL REFERENCES tasks(id),"
    "  member_id INTEGER NOT NULL REFERENCES members(id),"
    "  invited_by INTEGER,"
    "  at INTEGER NOT NULL,"
    "  PRIMARY KEY (task_id, member_id)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE TABLE claims ("
    "  id INTEGER PRIMARY KEY,"
    "  task_id INTEGER NOT NULL REFERENCES tasks(id),"
    "  member_id INTEGER NOT NULL REFERENCES members(id),"
    "  community_id INTEGER NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN"
    "    ('claimed','submitted','rejected','approved','withdrawn','cancelled')),"
    "  platform TEXT NOT NULL,"   /* where the member claimed: reminders go there */
    "  chat_id TEXT NOT NULL,"
    "  claimed_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  UNIQUE (task_id, member_id)"
    ") STRICT;"
    "CREATE INDEX claims_member ON claims(member_id, state);"
    "CREATE TABLE submissions ("
    "  id INTEGER PRIMARY KEY,"
    "  claim_id INTEGER NOT NULL REFERENCES claims(id),"
    "  task_id INTEGER NOT NULL REFERENCES tasks(id),"
    "  member_id INTEGER NOT NULL REFERENCES members(id),"
    "  community_id INTEGER NOT NULL,"
    "  text TEXT NOT NULL DEFAULT '',"
    "  attachment TEXT,"
    "  platform TEXT NOT NULL,"   /* where the member submitted: the verdict goes there */
    "  chat_id TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN"
    "    ('pending','approved','rejected','superseded','withdrawn','cancelled')),"
    "  at INTEGER NOT NULL,"
    "  reviewed_by INTEGER,"
    "  reviewed_at INTEGER,"
    "  note TEXT NOT NULL DEFAULT ''"
    ") STRICT;"
    /* at most one submission of a claim waits for review */
    "CREATE UNIQUE INDEX submissions_one_pending ON submissions(claim_id) WHERE state = 'pending';"
    "CREATE INDEX submissions_review ON submissions(community_id, state, id);",

    /* 5: layering: approved tasks by tier, level history, pool applications,
          per-period leaderboard tallies (rebuildable from the ledger) */
    "CREATE TABLE task_completions ("
    "  community_id INTEGER NOT NULL,"
    "  member_id INTEGER NOT NULL REFERENCES members(id),"
    "  task_ref TEXT NOT NULL,"    /* "task:<id>", as in the ledger */
    "  tier TEXT NOT NULL,"        /* basic, explore, precision, cobuild */
    "  at INTEGER NOT NULL,"
    "  PRIMARY KEY (member_id, task_ref)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX task_completions_time ON task_completions(community_id, at);"
    "CREATE TABLE level_changes ("
    "  id INTEGER PRIMARY KEY,"
    "  community_id INTEGER NOT NULL,"
    "  member_id INTEGER NOT NULL REFERENCES members(id),"
    "  from_level INTEGER NOT NULL,"
    "  to_level INTEGER NOT NULL,"
    "  cause TEXT NOT NULL CHECK (cause IN ('rules','set')),"
    "  by_member INTEGER,"
    "  at INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX level_changes_member ON level_changes(member_id, id);"
    "CREATE TABLE pool_applications ("
    "  id INTEGER PRIMARY KEY,"
    "  community_id INTEGER NOT NULL,"
    "  pool TEXT NOT NULL COLLATE NOCASE,"
    "  member_id INTEGER NOT NULL REFERENCES members(id),"
    "  link TEXT NOT NULL DEFAULT '',"
    "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','accepted','declined')),"
    "  at INTEGER NOT NULL,"
    "  decided_by INTEGER,"
    "  decided_at INTEGER"
    ") STRICT;"
    /* one open application per member and pool */
    "CREATE UNIQUE INDEX pool_applications_open ON pool_applications(member_id, pool)"
    "  WHERE state = 'pending';"
    "CREATE INDEX pool_applications_pool ON pool_applications(community_id, pool, state);"
    /* span 0 = all time (period 0), 1 = week (period = local day number of
       its Monday), 2 = month (period = year * 100 + month) */
    "CREATE TABLE period_tallies ("
    "  community_id INTEGER NOT NULL,"
    "  span INTEGER NOT NULL CHECK (span IN (0, 1, 2)),"
    "  period INTEGER NOT NULL,"
    "  member_id INTEGER NOT NULL,"
    "  points INTEGER NOT NULL DEFAULT 0,"
    "  checkins INTEGER NOT NULL DEFAULT 0,"
    "  tasks INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (member_id, span, period)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX period_points ON period_tallies(community_id, span, period, points DESC);"
    "CREATE INDEX period_checkins ON period_tallies(community_id, span, period, checkins DESC);"
    "CREATE INDEX period_tasks ON period_tallies(community_id, span, period, tasks DESC);"
    /* all-time rows from the existing ledger (weeks and months count from
       the upgrade on, or after top_rebuild) */
    "INSERT INTO period_tallies(community_id, span, period, member_id, points, checkins)"
    "  SELECT community_id, 0, 0, member_id, sum(amount), sum(reason = 'checkin')"
    "  FROM ledger WHERE kind = 'points' GROUP BY member_id;",

    /* 6: automatic posts (schedules), their rotating lines, quiet hours.
          Rows are switched off, never deleted, so an id (and its fired
          marks "sched:<id>:<day>") is never reused. */
    "CREATE TABLE schedules ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  community_id INTEGER NOT NULL REFERENCES communities(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('greet','night','weekly','streak')),"
    "  at_min INTEGER NOT NULL CHECK (at_min BETWEEN 0 AND 1439)," /* local minutes */
    "  days INTEGER NOT NULL DEFAULT 127 CHECK (days BETWEEN 1 AND 127)," /* bit 0 = Sunday */
    "  template TEXT NOT NULL DEFAULT ''," /* '' = the catalogue's default */
    "  active INTEGER NOT NULL DEFAULT 1,"
    "  created_by INTEGER,"
    "  created_at INTEGER NOT NULL" /* occurrences before this never fire */
    ") STRICT;"
    "CREATE INDEX schedules_community ON schedules(community_id, active);"
    "CREATE TABLE schedule_lines ("
    "  id INTEGER PRIMARY KEY,"
    "  community_id INTEGER NOT NULL REFERENCES communities(id),"
    "  text TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 500),"
    "  created_at INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX schedule_lines_community ON schedule_lines(community_id);"
    "CREATE TABLE schedule_quiet ("
    "  community_id INTEGER PRIMARY KEY REFERENCES communities(id),"
    "  start_min INTEGER NOT NULL CHECK (start_min BETWEEN 0 AND 1439),"
    "  end_min INTEGER NOT NULL CHECK (end_min BETWEEN 0 AND 1439 AND end_min <> start_min)"
    ") STRICT;",

    /* 7: sends that may have arrived are counted apart from other retries:
          only those are limited to one repeat (Telegram has no idempotency key) */
    "ALTER TABLE outbox ADD COLUMN uncertain INTEGER NOT NULL DEFAULT 0;",

    /* 8: per-member rate limits are counted in memory now */
    "DROP TABLE rate_limits;",

    /* 9: fewer index writes per event.  Point balances are the all-time
          leaderboard rows (period_tallies span 0), not a second table; the
          last-seen time leaves the user index, so marking a member as seen
          rewrites one row and no index; the rank indexes hold only the rows
          a board can show (value > 0), so a member's first vote or check-in
          does not write three zero entries per period. */
    "DROP TABLE tallies;"
    "DROP INDEX members_user;"
    "CREATE INDEX members_user ON members(platform, user_id);"
    "DROP INDEX period_points;"
    "DROP INDEX period_checkins;"
    "DROP INDEX period_tasks;"
    "CREATE INDEX period_points ON period_tallies(community_id, span, period, points DESC) WHERE points > 0;"
    "CREATE INDEX period_checkins ON period_tallies(community_id, span, period, checkins DESC) WHERE checkins > 0;"
    "CREATE INDEX period_tasks ON period_tallies(community_id, span, period, tasks DESC) WHERE tasks > 0;",

    /* 10: a rejection opens a revision window (settings.revision_window_s)
           that may run past the task's deadline: the claim's own due time */
    "ALTER TABLE claims ADD COLUMN revise_until INTEGER;",

    /* 11: delivered and failed replies are pruned after a retention, oldest
           first (core/prune.c); pending rows stay out of this index */
    "CREATE INDEX outbox_done ON outbox(created_at) WHERE state <> 0;",

    /* 12: whose private chat a private chat is, so private matters
           (rejections, invitations, fees) can go to the person */
    "ALTER TABLE chats ADD COLUMN user_id TEXT;"
    "CREATE INDEX chats_private_user ON chats(platform, user_id) WHERE is_private = 1;",

    /* 13: the boards are ranked in memory (core/board.c), read once per
           period through this index: a check-in no longer moves six
           entries of three rank indexes (its UPDATE sets no column here) */
    "DROP INDEX period_points;"
    "DROP INDEX period_checkins;"
    "DROP INDEX period_tasks;"
    "CREATE INDEX period_members ON period_tallies(community_id, span, period);",

    /* 14: a constant IN list of three or more in a CHECK or an index's
           WHERE builds a temporary b-tree on every row written: the ledger's
           insert built two, a new tally row one (callgrind: 20% of a check-in's
           instructions zeroed their pages).  The same conditions as
           comparisons.  A CHECK is only text in the schema (SQLite's
           documented way to change one; every row meets the equivalent
           condition); the index is built again, and its DDL bumps the schema
           cookie for other connections. */
    "PRAGMA writable_schema = ON;"
    "UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (kind IN (''points'',''cash'',''gift'',''badge'',''title''))',"
    " 'CHECK (kind = ''points'' OR kind = ''cash'' OR kind = ''gift'' OR kind = ''badge'' OR kind = ''title'')')"
    " WHERE type = 'table' AND name = 'ledger';"
    "UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (span IN (0, 1, 2))', 'CHECK (span BETWEEN 0 AND 2)')"
    " WHERE type = 'table' AND name = 'period_tallies';"
    "PRAGMA writable_schema = RESET;"
    "DROP INDEX ledger_once;"
    "CREATE UNIQUE INDEX ledger_once ON ledger(member_id, reason, ref, kind, unit)"
    "  WHERE reason <> 'grant' AND reason <> 'revoke' AND reason <> 'payout';",

    /* 15: the prune finds old finished replies in id order (rows are
           appended as they are made), so marking a reply sent no longer
           writes an entry of a created_at index: one page less per commit */
    "DROP INDEX outbox_done;",

    /* 16: @handle is looked up ignoring case, which a BINARY index cannot
           answer: each lookup read every member of the community.  NOCASE
           now, and only members with a handle (QQ has none): a first
           contact without one writes an index less */
    "DROP INDEX members_handle;"
    "CREATE INDEX members_handle ON members(community_id, handle COLLATE NOCASE) WHERE handle IS NOT NULL;",
};

const size_t store_n_migrations = sizeof store_migrations / sizeof store_migrations[0];
