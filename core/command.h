/*
 * Command parsing: message text -> command name + argument string.
 * "/checkin", "/CheckIn@OurBot  args", "　/me" (full-width space), a
 * configured plain-text trigger ("签到") are commands; "/x@OtherBot" is
 * addressed to another bot and not ours; anything else is chatter.
 */
#ifndef KB_CORE_COMMAND_H
#define KB_CORE_COMMAND_H

#include <stddef.h>

#define COMMAND_NAME_MAX 32
#define COMMAND_TEXT_MAX 8192   /* longer command texts are refused */

enum command_status {
    COMMAND_NONE = 0,     /* not a command: ignore silently */
    COMMAND_OK,
    COMMAND_NOT_OURS,     /* /cmd@someone_else */
    COMMAND_BAD_UTF8,     /* looks like a command but is not valid UTF-8 */
    COMMAND_TOO_LONG      /* a command over COMMAND_TEXT_MAX bytes */
};

struct command {
    char name[COMMAND_NAME_MAX + 1]; /* lower-case ASCII, without '/' */
    char *args;                      /* trimmed argument text, owned ("" if none) */
};

/* Parse text (may be NULL).  bot_username may be NULL (then any @name is
   accepted).  triggers: plain-text aliases of /checkin.  On COMMAND_OK the
   caller frees cmd with command_clear. */
enum command_status command_parse(const char *text, const char *bot_username,
                                  char *const *triggers, size_t n_triggers,
                                  struct command *cmd);
void command_clear(struct command *cmd);

/* 1 when cp is a space we accept between words (ASCII, NBSP, U+3000). */
int command_is_space(unsigned cp);
/* Trim spaces at both ends of s[0..n): returns the first kept byte and
   its length in *out_len. */
const char *command_trim_span(const char *s, size_t n, size_t *out_len);
/* Skip leading spaces. */
const char *command_skip_space(const char *s);
/* Split the next word off *p (a "double-quoted phrase" counts as one word).
   Returns an owned string or NULL at the end; advances *p. */
char *command_next_word(const char **p);
/* The English keyword a Chinese one stands for in commands' fixed words
   (本周 -> week, 全部 -> all, 积分 -> points, 导出 -> export …), else w
   itself.  For keyword positions only, never for free text. */
const char *command_keyword(const char *w);

#endif
