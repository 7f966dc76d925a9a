/*
 * state.h - files under the state dir, written so that kill -9 never leaves
 * a half-written one: temp file, fsync, rename, fsync of the directory.
 */
#ifndef BH_STATE_H
#define BH_STATE_H

#include <jansson.h>
#include <stddef.h>

/* Write j as DIR/NAME atomically; 0 or -errno. */
int state_write_json(const char *dir, const char *name, const json_t *j);

/*
 * Read DIR/NAME.  Returns 0 and *out (new reference), -ENOENT when the file
 * does not exist, -EINVAL with a message in err when it is not valid JSON.
 */
int state_read_json(const char *dir, const char *name, json_t **out, char *err, size_t errlen);

/* mkdir -p DIR with mode 0700. */
int state_dir_ensure(const char *dir);

#endif
