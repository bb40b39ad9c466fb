/*
 * retired.c - the record of retired keys, STATE_DIR/retired-keys.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "key.h"
#include "log.h"
#include "retired.h"
#include "store.h"
#include "str.h"

#define RETIRED_MAX	(1024 * 1024)	/* some 8000 keys */
#define LOCK_WAIT	30		/* seconds */

static const char header[] =
    "# Keys acmec has retired: it never uses them again, as any key.\n"
    "# SHA-256 of the SubjectPublicKeyInfo (as in a TLSA 3 1 1 record), "
    "when (UTC), why.\n";

/* A line that holds a key id: KEY_ID_LEN hex digits, then a blank or end. */
static bool
is_key_line(const char *line, size_t len)
{
	if (len < KEY_ID_LEN)
		return false;
	for (size_t i = 0; i < KEY_ID_LEN; i++)
		if (!isxdigit((unsigned char)line[i]))
			return false;
	return len == KEY_ID_LEN || line[KEY_ID_LEN] == ' ' ||
	    line[KEY_ID_LEN] == '\t';
}

/*
 * Find id in text: the line that holds it (*found, *found_len) and the
 * number of the first damaged line (*bad, 0: none).
 */
static void
scan(const char *text, const char *id, const char **found,
    size_t *found_len, size_t *bad)
{
	const char *line = text, *end;
	size_t n = 0, len;

	*found = NULL;
	*bad = 0;
	for (; *line != '\0'; line = *end ? end + 1 : end) {
		end = strchr(line, '\n');
		if (end == NULL)
			end = line + strlen(line);
		len = (size_t)(end - line);
		n++;
		if (len == 0 || line[0] == '#')
			continue;
		if (!is_key_line(line, len)) {
			if (*bad == 0)
				*bad = n;
		} else if (*found == NULL &&
		    strncasecmp(line, id, KEY_ID_LEN) == 0) {
			*found = line;
			*found_len = len;
		}
	}
}

/* The note after the id on a line, new string (the caller checked). */
static char *
note_of(const char *line, size_t len, struct err *e)
{
	char *note;
	size_t skip = KEY_ID_LEN;

	while (skip < len && (line[skip] == ' ' || line[skip] == '\t'))
		skip++;
	if ((note = strndup(line + skip, len - skip)) == NULL)
		err_set(e, "out of memory");
	return note;
}

/* Read the record: 0 (*text new), 1 if there is none, -1 refused. */
static int
read_record(int dfd, const char *state_dir, char **text, struct err *e)
{
	size_t len;

	return store_read_at(dfd, state_dir, RETIRED_FILE, RETIRED_MAX, text,
	    &len, e);
}

int
retired_lookup(const char *state_dir, const char *id, char **note,
    struct err *e)
{
	const char *found;
	size_t found_len = 0, bad;
	char *text = NULL;
	int dfd, rc = -1;

	if (note != NULL)
		*note = NULL;
	/* No state directory yet: nothing was ever retired there. */
	if (!store_exists(state_dir))
		return 0;
	if ((dfd = store_open_dir(state_dir, e)) == -1)
		goto refused;
	rc = read_record(dfd, state_dir, &text, e);
	close(dfd);
	if (rc == 1)
		return 0;
	if (rc == -1)
		goto refused;
	scan(text, id, &found, &found_len, &bad);
	if (found != NULL)
		rc = note == NULL || (*note = note_of(found, found_len, e)) !=
		    NULL ? 1 : -1;
	else if (bad != 0) {
		err_set(e, "%s/%s, line %zu, is not a key id (%d hex digits) "
		    "and a note", state_dir, RETIRED_FILE, bad, KEY_ID_LEN);
		rc = -1;
	}
	free(text);
	if (rc != -1)
		return rc;
refused:
	err_append(e, ": acmec cannot tell which keys it has retired; repair "
	    "%s/%s (chmod 600, a regular file, one key per line) or move it "
	    "aside", state_dir, RETIRED_FILE);
	return -1;
}

/* The line for id: "ID TIME WHY\n", control characters made '?'. */
static char *
record_line(const char *id, const char *why)
{
	char when[32] = "?";
	time_t now = time(NULL);
	struct tm tm;
	char *line;

	if (gmtime_r(&now, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if ((line = str_fmt("%.*s %s %s\n", KEY_ID_LEN, id, when, why)) ==
	    NULL)
		return NULL;
	for (char *p = line; p[1] != '\0'; p++)
		if (iscntrl((unsigned char)*p) && *p != '\t')
			*p = '?';
	return line;
}

/* A record acmec cannot read goes aside, never into the void. */
static int
move_aside(int dfd, const char *state_dir, const struct err *why,
    struct err *e)
{
	char aside[64];

	snprintf(aside, sizeof(aside), "%s.aside.%lld", RETIRED_FILE,
	    (long long)time(NULL));
	if (renameat(dfd, RETIRED_FILE, dfd, aside) == -1) {
		err_errno(e, "%s (and it cannot be moved aside to %s/%s)",
		    why->msg, state_dir, aside);
		return -1;
	}
	log_error("warning: %s; moved it aside to %s/%s and started a new "
	    "record: merge the keys in it by hand", why->msg, state_dir,
	    aside);
	return 0;
}

/* Under the lock: add line for id to the record in dfd. */
static int
add_locked(int dfd, const char *state_dir, const char *id, const char *line,
    struct err *e)
{
	const char *found;
	size_t found_len, bad;
	struct err why = { "" };
	char *text = NULL, *out;
	int rc;

	if ((rc = read_record(dfd, state_dir, &text, &why)) == -1 &&
	    move_aside(dfd, state_dir, &why, e) == -1)
		return -1;
	if (rc == 0) {
		scan(text, id, &found, &found_len, &bad);
		if (found != NULL) {
			free(text);
			return 0;
		}
	}
	out = rc == 0 ? str_fmt("%s%s%s", text, *text != '\0' &&
	    text[strlen(text) - 1] != '\n' ? "\n" : "", line) :
	    str_fmt("%s%s", header, line);
	free(text);
	if (out == NULL) {
		err_set(e, "out of memory");
		return -1;
	}
	rc = store_write_at(dfd, state_dir, RETIRED_FILE, out, strlen(out),
	    0600, e);
	free(out);
	return rc;
}

int
retired_add(const char *state_dir, const char *id, const char *why,
    struct err *e)
{
	char *line = record_line(id, why), *lock_path;
	int dfd = -1, lock = -1, rc = -1;

	lock_path = str_fmt("%s/%s.lock", state_dir, RETIRED_FILE);
	if (line == NULL || lock_path == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	if ((dfd = store_open_dir(state_dir, e)) == -1 ||
	    (lock = store_lock_path(lock_path, LOCK_WAIT, e)) == -1)
		goto out;
	rc = add_locked(dfd, state_dir, id, line, e);
out:
	if (rc == -1)
		err_prefix(e, "cannot record key %.*s as retired",
		    KEY_ID_LEN, id);
	store_unlock(lock);
	if (dfd != -1)
		close(dfd);
	free(lock_path);
	free(line);
	return rc;
}
