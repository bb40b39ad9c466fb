/*
 * retired.h - the keys acmec has retired for good, in STATE_DIR/retired-keys:
 * certificate keys revoked for keyCompromise and account keys replaced by
 * a rollover.  One line per key: its id (key.h: the hex SHA-256 of its
 * SubjectPublicKeyInfo), when (UTC) and why; a line starting with '#' is
 * a comment.  acmec never uses a retired key again, as any key.
 */
#ifndef ACMEC_RETIRED_H
#define ACMEC_RETIRED_H

#include "err.h"

#define RETIRED_FILE	"retired-keys"

/*
 * Whether the key id (KEY_ID_LEN hex digits) is retired: 0 no (there is
 * no record, or it is not in it); 1 yes, and *note (unless note is NULL)
 * is the rest of its line, new ("2026-12-07T05:30:00Z keyCompromise:
 * ..."); -1 the record cannot be trusted (a link, open to other users,
 * not a regular file, too large, a damaged line): *e names it and says
 * what to do, and the caller refuses what it was about to do with the key.
 */
int retired_lookup(const char *state_dir, const char *id, char **note,
    struct err *e);

/*
 * Record id as retired because why (one line of text for humans; control
 * characters in it become '?'), under the lock STATE_DIR/retired-keys.lock,
 * atomically.  An id already there is left as it was; a damaged line is
 * kept for its owner to repair.  A record that cannot be read (a link,
 * open to other users, ...) is first moved aside to
 * retired-keys.aside.TIMESTAMP, with a warning: never emptied.
 */
int retired_add(const char *state_dir, const char *id, const char *why,
    struct err *e);

#endif
