// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The verifier's reason for refusing a program, from libbpf's load log:
 *
 *   libbpf: prog 'probe_0': -- BEGIN PROG LOAD LOG --
 *   ...listing: "12: (bf) r3 = r7 ; R3=...", "; source", "from 6 to 9: ..."
 *   R4 unbounded memory access, make sure to bounds check any such access
 *   processed 1606 insns (limit 1000000) max_states_per_insn 4 ...
 *   -- END PROG LOAD LOG --
 *
 * The reason is the verifier's messages after the last line of listing,
 * statistics aside (at most the last REASON_LINES, joined with "; ").
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "verifier_log.h"

#define REASON_LINES 2

static char prog_name[128];
static char reason[512];
static char failed_map[128];

enum line_kind { MESSAGE, LISTING, STATISTICS };

static int starts(const char *line, size_t len, const char *prefix)
{
	return len >= strlen(prefix) && !strncmp(line, prefix, strlen(prefix));
}

/*
 * An instruction, a register state or a state-walk line is LISTING; the
 * counts after the reason are STATISTICS; anything else is the verifier
 * speaking.
 */
static enum line_kind classify(const char *line, size_t len)
{
	static const char *const statistics[] = {
		"processed ", "verification time", "stack depth", "Func#",
		"func#", "Validating", "Live regs",
	};
	static const char *const listing[] = {
		";", "from ", "mark_precise", "last_idx", "regs=", "parent ",
		"caller", "callee", "frame", "insn ", "propagating",
	};
	size_t i;

	if (len == 0)
		return STATISTICS;
	for (i = 0; i < sizeof(statistics) / sizeof(statistics[0]); i++)
		if (starts(line, len, statistics[i]))
			return STATISTICS;
	if (isdigit((unsigned char)line[0]))
		return LISTING;
	for (i = 0; i < sizeof(listing) / sizeof(listing[0]); i++)
		if (starts(line, len, listing[i]))
			return LISTING;
	/* a register's state: "R1_w=ctx() R10=fp0" */
	if (line[0] == 'R' && len > 1 && isdigit((unsigned char)line[1])) {
		i = 1;
		while (i < len && (isalnum((unsigned char)line[i]) || line[i] == '_'))
			i++;
		if (i < len && line[i] == '=')
			return LISTING;
	}
	return MESSAGE;
}

void verifier_log_note(const char *message)
{
	const char *begin = strstr(message, "-- BEGIN PROG LOAD LOG --");
	const char *end, *line, *lines[REASON_LINES];
	size_t lens[REASON_LINES];
	int n = 0, i;

	if (!begin) {
		if (!failed_map[0] &&
		    sscanf(message, "libbpf: map '%127[^']': failed to create", failed_map) != 1)
			failed_map[0] = '\0';
		return;
	}
	if (sscanf(message, "libbpf: prog '%127[^']'", prog_name) != 1 &&
	    sscanf(message, "prog '%127[^']'", prog_name) != 1)
		prog_name[0] = '\0';
	begin = strchr(begin, '\n');
	end = begin ? strstr(begin, "-- END PROG LOAD LOG --") : NULL;
	if (!end)
		return;
	/* the last REASON_LINES lines that are not listing, in order */
	for (line = begin + 1; line < end;) {
		const char *nl = memchr(line, '\n', end - line);
		size_t len = (nl ? nl : end) - line;
		enum line_kind kind = classify(line, len);

		if (kind == MESSAGE) {
			if (n == REASON_LINES) {
				memmove(lines, lines + 1, sizeof(lines[0]) * (REASON_LINES - 1));
				memmove(lens, lens + 1, sizeof(lens[0]) * (REASON_LINES - 1));
				n--;
			}
			lines[n] = line;
			lens[n] = len;
			n++;
		} else if (kind == LISTING) {
			/* the walk went on after those messages: they were not its last word */
			n = 0;
		}
		line = nl ? nl + 1 : end;
	}
	reason[0] = '\0';
	for (i = 0; i < n; i++)
		snprintf(reason + strlen(reason), sizeof(reason) - strlen(reason), "%s%.*s",
			 i ? "; " : "", (int)lens[i], lines[i]);
}

int verifier_log_reason(const char **prog, const char **why)
{
	if (!reason[0])
		return 0;
	*prog = prog_name;
	*why = reason;
	return 1;
}

const char *verifier_log_failed_map(void)
{
	return failed_map[0] ? failed_map : NULL;
}
