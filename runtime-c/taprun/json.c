// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"

#define MAX_DEPTH 64

struct parser {
	const char *p, *end;
	int line;
	char *err;
	size_t errsize;
	int failed;
};

static void fail(struct parser *ps, const char *what)
{
	if (!ps->failed)
		snprintf(ps->err, ps->errsize, "line %d: %s", ps->line, what);
	ps->failed = 1;
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && strchr(" \t\r\n", *ps->p)) {
		if (*ps->p == '\n')
			ps->line++;
		ps->p++;
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void put_utf8(char **o, unsigned int cp)
{
	if (cp < 0x80) {
		*(*o)++ = (char)cp;
	} else if (cp < 0x800) {
		*(*o)++ = (char)(0xc0 | cp >> 6);
		*(*o)++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*(*o)++ = (char)(0xe0 | cp >> 12);
		*(*o)++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*(*o)++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*(*o)++ = (char)(0xf0 | cp >> 18);
		*(*o)++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*(*o)++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*(*o)++ = (char)(0x80 | (cp & 0x3f));
	}
}

static unsigned int read_hex4(struct parser *ps)
{
	unsigned int cp = 0;
	int i, h;

	for (i = 0; i < 4; i++) {
		h = ps->p < ps->end ? hexval(*ps->p++) : -1;
		if (h < 0) {
			fail(ps, "bad \\u escape");
			return 0;
		}
		cp = cp << 4 | h;
	}
	return cp;
}

static char *parse_string(struct parser *ps)
{
	/* the decoded text is never longer than the source */
	char *out = malloc(ps->end - ps->p + 1), *o = out;

	if (!out) {
		fail(ps, "out of memory");
		return NULL;
	}
	ps->p++;	/* opening quote */
	while (ps->p < ps->end && *ps->p != '"') {
		unsigned char c = *ps->p++;

		if (c < 0x20) {
			fail(ps, "control character in string");
			break;
		}
		if (c != '\\') {
			*o++ = c;
			continue;
		}
		if (ps->p >= ps->end)
			break;
		c = *ps->p++;
		switch (c) {
		case '"': case '\\': case '/':
			*o++ = c;
			break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			unsigned int cp = read_hex4(ps);

			if (cp >= 0xd800 && cp < 0xdc00 && ps->p + 1 < ps->end &&
			    ps->p[0] == '\\' && ps->p[1] == 'u') {
				unsigned int lo;

				ps->p += 2;
				lo = read_hex4(ps);
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			put_utf8(&o, cp);
			break;
		}
		default:
			fail(ps, "bad escape in string");
		}
	}
	if (ps->p >= ps->end)
		fail(ps, "unterminated string");
	else
		ps->p++;
	*o = '\0';
	if (ps->failed) {
		free(out);
		return NULL;
	}
	return out;
}

static struct json *parse_value(struct parser *ps, int depth);

static struct json *new_value(struct parser *ps, enum json_type t)
{
	struct json *v = calloc(1, sizeof(*v));

	if (!v)
		fail(ps, "out of memory");
	else
		v->type = t;
	return v;
}

static int literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) >= n && !memcmp(ps->p, word, n)) {
		ps->p += n;
		return 1;
	}
	return 0;
}

static struct json *parse_container(struct parser *ps, int depth, int object)
{
	struct json *v = new_value(ps, object ? JSON_OBJECT : JSON_ARRAY);
	struct json **tail;
	char close = object ? '}' : ']';

	if (!v)
		return NULL;
	tail = &v->child;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return v;
	}
	while (!ps->failed) {
		char *key = NULL;
		struct json *item;

		skip_ws(ps);
		if (object) {
			if (ps->p >= ps->end || *ps->p != '"') {
				fail(ps, "expected a member name");
				break;
			}
			key = parse_string(ps);
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				free(key);
				fail(ps, "expected ':'");
				break;
			}
			ps->p++;
		}
		item = parse_value(ps, depth + 1);
		if (!item) {
			free(key);
			break;
		}
		item->key = key;
		*tail = item;
		tail = &item->next;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return v;
		}
		fail(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
	}
	json_free(v);
	return NULL;
}

static struct json *parse_value(struct parser *ps, int depth)
{
	struct json *v;

	if (depth > MAX_DEPTH) {
		fail(ps, "nested too deeply");
		return NULL;
	}
	skip_ws(ps);
	if (ps->p >= ps->end) {
		fail(ps, "unexpected end of input");
		return NULL;
	}
	switch (*ps->p) {
	case '{':
		return parse_container(ps, depth, 1);
	case '[':
		return parse_container(ps, depth, 0);
	case '"':
		v = new_value(ps, JSON_STRING);
		if (v && !(v->str = parse_string(ps))) {
			free(v);
			return NULL;
		}
		return v;
	}
	if (literal(ps, "true") || literal(ps, "false")) {
		v = new_value(ps, JSON_BOOL);
		if (v)
			v->num = ps->p[-1] == 'e' && ps->p[-2] == 'u';
		return v;
	}
	if (literal(ps, "null"))
		return new_value(ps, JSON_NULL);
	if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) {
		char buf[64], *endp;
		size_t n = 0;

		while (ps->p + n < ps->end && n < sizeof(buf) - 1 &&
		       strchr("+-0123456789.eE", ps->p[n]))
			n++;
		memcpy(buf, ps->p, n);
		buf[n] = '\0';
		v = new_value(ps, JSON_NUMBER);
		if (!v)
			return NULL;
		v->num = strtod(buf, &endp);
		if (*endp) {
			fail(ps, "bad number");
			free(v);
			return NULL;
		}
		ps->p += n;
		return v;
	}
	fail(ps, "unexpected character");
	return NULL;
}

struct json *json_parse(const char *text, size_t len, char *err, size_t errsize)
{
	struct parser ps = { text, text + len, 1, err, errsize, 0 };
	struct json *v = parse_value(&ps, 0);

	if (v) {
		skip_ws(&ps);
		if (ps.p != ps.end) {
			fail(&ps, "text after the value");
			json_free(v);
			v = NULL;
		}
	}
	return v;
}

void json_free(struct json *v)
{
	while (v) {
		struct json *next = v->next;

		json_free(v->child);
		free(v->key);
		free(v->str);
		free(v);
		v = next;
	}
}

const struct json *json_get(const struct json *obj, const char *key)
{
	const struct json *m;

	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (m = obj->child; m; m = m->next)
		if (m->key && !strcmp(m->key, key))
			return m;
	return NULL;
}

const char *json_get_str(const struct json *obj, const char *key)
{
	const struct json *m = json_get(obj, key);

	return m && m->type == JSON_STRING ? m->str : NULL;
}
