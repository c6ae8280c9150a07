/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A uprobe's place as the module names it, in the kernel's uprobe_events
 * syntax: "PATH:0xOFFSET", or "PATH:0xOFFSET(0xSEMAPHORE)" for an SDT
 * marker whose semaphore the kernel counts up while the probe is attached
 * (both offsets into the file). One parser for taprun and the kmod runtime,
 * with no library calls, so that both read a spec the same way.
 */
#ifndef TAP_UPROBE_SPEC_H
#define TAP_UPROBE_SPEC_H

struct tap_uprobe_spec {
	unsigned long path_len;		/* the path is spec[0 .. path_len) */
	unsigned long long offset;
	unsigned long long semaphore;	/* 0: none */
};

/* "0x" and 1-16 hex digits at *s; advances *s past them. 0, or -1 */
static inline int tap_spec_hex(const char **s, unsigned long long *v)
{
	const char *p = *s;
	int n = 0;

	if (p[0] != '0' || p[1] != 'x')
		return -1;
	for (p += 2, *v = 0; n < 17; p++, n++) {
		char ch = *p;

		if (ch >= '0' && ch <= '9')
			*v = (*v << 4) | (unsigned long long)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			*v = (*v << 4) | (unsigned long long)(ch - 'a' + 10);
		else
			break;
	}
	if (n == 0 || n > 16)
		return -1;
	*s = p;
	return 0;
}

/* 0 and *out filled, or -1 for a spec that is not "PATH:0xHEX[(0xHEX)]" */
static inline int tap_parse_uprobe_spec(const char *spec,
					struct tap_uprobe_spec *out)
{
	const char *colon = 0, *p;

	for (p = spec; *p; p++)
		if (*p == ':')
			colon = p;
	if (!colon || colon == spec)
		return -1;
	out->path_len = (unsigned long)(colon - spec);
	p = colon + 1;
	if (tap_spec_hex(&p, &out->offset))
		return -1;
	out->semaphore = 0;
	if (*p == '(') {
		p++;
		if (tap_spec_hex(&p, &out->semaphore) || *p != ')' ||
		    out->semaphore == 0)
			return -1;
		p++;
	}
	return *p ? -1 : 0;
}

#endif /* TAP_UPROBE_SPEC_H */
