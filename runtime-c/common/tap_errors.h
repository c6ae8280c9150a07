/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stap's run-time error messages (translate.cxx STAP_T_*), by error code. */
#ifndef TAP_ERRORS_H
#define TAP_ERRORS_H

#include <linux/types.h>
#include "tap_buf.h"

/*
 * Writes the bare message: "division by 0", "Array overflow, check size
 * limit (3)"... `msg` is the text of error(msg) for TAP_E_USER.
 */
void tap_error_text(struct tap_buf *o, __u32 code, __s64 arg, const char *msg);

#endif /* TAP_ERRORS_H */
