// SPDX-License-Identifier: GPL-2.0-or-later
#include "tap_abi.h"
#include "tap_errors.h"
#include "tap_format.h"

static const char *const messages[TAP_E_COUNT] = {
	[TAP_E_NONE] = "",
	[TAP_E_DIV0] = "division by 0",
	[TAP_E_MAP_FULL] = "Array overflow, check MAXMAPENTRIES",
	[TAP_E_MAP_SIZE] = "Array overflow, check size limit (%lld)",
	[TAP_E_MAXACTION] = "MAXACTION exceeded",
	[TAP_E_MAXNESTING] = "MAXNESTING exceeded",
	[TAP_E_EMPTY_AGG] = "empty aggregate",
	[TAP_E_HIST_INDEX] = "histogram index out of range",
	[TAP_E_AGG_OVERFLOW] = "aggregation overflow",
	[TAP_E_USER] = "%s",
	[TAP_E_STRING] = "Position out of bounds",
	[TAP_E_KREAD_LONG] = "kernel long copy fault at 0x%x [man error::fault]",
	[TAP_E_KREAD_INT] = "kernel int copy fault at 0x%x [man error::fault]",
	[TAP_E_KREAD_SHORT] = "kernel short copy fault at 0x%x [man error::fault]",
	[TAP_E_KREAD_CHAR] = "kernel char copy fault at 0x%x [man error::fault]",
	/* stap's loc2c-runtime words for both (STAP_MSG_LOC2C_01) */
	[TAP_E_KREAD] = "read fault [man error::fault] at 0x%x",
	[TAP_E_UREAD] = "read fault [man error::fault] at 0x%x",
	[TAP_E_CPU_OFFLINE] = "cpu %d is not online",
	[TAP_E_UNWIND] = "reached end of stack before unwinding to level %d",
	/* stap's user_string_n() prints the copy's -EFAULT, the one error a fault gives */
	[TAP_E_USTRING] = "user string copy fault -14 at 0x%x [man error::fault]",
	[TAP_E_KREAD_POINTER] = "kernel pointer copy fault at 0x%x [man error::fault]",
};

void tap_error_text(struct tap_buf *o, __u32 code, __s64 arg, const char *msg)
{
	struct tap_value v = { arg, msg ? msg : "" };

	if (code >= TAP_E_COUNT) {
		struct tap_value n = { code, NULL };

		tap_format(o, TAP_STREAM_FIELD_MAX, "unknown error %lld", &n, 1);
		return;
	}
	tap_format(o, TAP_STREAM_FIELD_MAX, messages[code], &v, 1);
}
