/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SystemTap's limits, with stap's defaults. Each can be set at build time
 * with -DNAME=VALUE (tapfleet compile -D NAME=VALUE). The load-time ones
 * (MAXMAPENTRIES, MAXERRORS, MAXSKIPPED) can also be overridden by taprun -D.
 */
#ifndef TAP_LIMITS_H
#define TAP_LIMITS_H

#ifndef MAXSTRINGLEN
#define MAXSTRINGLEN 512	/* stap: 512 on 64-bit hosts */
#endif
/*
 * Bytes of a string inside an array key (stap's MAP_STRING_LENGTH, same
 * default). BPF hash maps hash every key byte: -DMAP_STRING_LENGTH=64 makes
 * a string-keyed update ~3x cheaper; longer keys are then truncated.
 */
#ifndef MAP_STRING_LENGTH
#define MAP_STRING_LENGTH MAXSTRINGLEN
#endif
#ifndef MAXACTION
#define MAXACTION 1000		/* statements per kernel-side probe hit */
#endif
#ifndef MAXACTION_INTERRUPTIBLE
#define MAXACTION_INTERRUPTIBLE (MAXACTION * 10)	/* begin/end/error/timer */
#endif
#ifndef MAXNESTING
#define MAXNESTING 10
#endif
#ifndef MAXMAPENTRIES
#define MAXMAPENTRIES 2048
#endif
#ifndef MAXERRORS
#define MAXERRORS 0
#endif
#ifndef MAXSKIPPED
#define MAXSKIPPED 100
#endif
#ifndef MAXBACKTRACE
#define MAXBACKTRACE 20		/* frames of a backtrace */
#endif
#ifndef HIST_WIDTH
#define HIST_WIDTH 50
#endif
#ifndef HIST_ELISION
#define HIST_ELISION 2
#endif

/* Histogram geometry, as in stap's runtime/stat.h. */
#define TAP_HIST_LOG_BUCKETS 128
#define TAP_HIST_LOG_BUCKET0 64
#define TAP_HIST_MAX_BUCKETS 128	/* linear: STP_MAX_BUCKETS */

/* Kernel-side statistic reads combine at most this many CPUs. */
#ifndef TAP_MAX_CPUS
#define TAP_MAX_CPUS 256
#endif

/* At most this many arguments to one printf (stap: 32). */
#define TAP_MAX_PRINTF_ARGS 32

#if MAXSTRINGLEN < 16 || MAXSTRINGLEN > 4096	/* TAP_MAXSTRINGLEN_MAX */
#error "MAXSTRINGLEN must be between 16 and 4096"
#endif
#if MAP_STRING_LENGTH < 16 || MAP_STRING_LENGTH > MAXSTRINGLEN
#error "MAP_STRING_LENGTH must be between 16 and MAXSTRINGLEN"
#endif

#endif /* TAP_LIMITS_H */
