/*
 * Credentials an adapter obtained itself (the access token of a password
 * login), kept beside the database as "<db path>-<key>.secret": mode 0600,
 * written to a temporary file, synced and renamed into place, never in the
 * database (whose backups travel further) and never logged.
 */
#ifndef KB_BOT_SECRETS_H
#define KB_BOT_SECRETS_H

#include <stddef.h>

/* Read the secret into buf ("" when there is none).  KB_EDENIED when the
   file is readable by others (it is not trusted then), KB_ETOOBIG when it
   does not fit, KB_EINVAL for a bad key. */
int secret_load(const char *db_path, const char *key, char *buf, size_t cap);
/* Write it durably.  0 or a negative KB_E*. */
int secret_save(const char *db_path, const char *key, const char *value);

#endif
