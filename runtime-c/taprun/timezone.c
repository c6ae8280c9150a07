// SPDX-License-Identifier: GPL-2.0-or-later
#include <ctype.h>
#include <time.h>
#include "timezone.h"

void tap_local_timezone(long long *west, char *name, int len)
{
	time_t now = time(NULL);
	struct tm tm;
	const char *zone = "";
	int i, n = 0;

	*west = 0;
	if (localtime_r(&now, &tm)) {
		*west = -(long long)tm.tm_gmtoff;
		zone = tm.tm_zone ? tm.tm_zone : "";
	}
	for (i = 0; zone[i] && n < len - 1; i++)
		if (isalnum((unsigned char)zone[i]) || zone[i] == '+' || zone[i] == '-')
			name[n++] = zone[i];
	name[n] = '\0';
}
