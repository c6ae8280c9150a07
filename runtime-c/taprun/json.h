/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small JSON reader for manifest.json: a tree of values, freed at once. */
#ifndef TAPRUN_JSON_H
#define TAPRUN_JSON_H

#include <stddef.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
	enum json_type type;
	char *key;		/* member name inside an object */
	char *str;		/* JSON_STRING */
	double num;		/* JSON_NUMBER, JSON_BOOL */
	struct json *child;	/* first element or member */
	struct json *next;	/* next sibling */
};

/*
 * Parses `len` bytes; NULL on error with a message ("line 3: expected ','")
 * in err. Nesting is limited to 64 levels.
 */
struct json *json_parse(const char *text, size_t len, char *err, size_t errsize);
void json_free(struct json *v);
/* The member `key` of an object, or NULL. */
const struct json *json_get(const struct json *obj, const char *key);
/* The string value of member `key`, or NULL when absent or not a string. */
const char *json_get_str(const struct json *obj, const char *key);

#endif /* TAPRUN_JSON_H */
