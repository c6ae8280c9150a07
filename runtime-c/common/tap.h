/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one header generated code includes. Which runtime implements it
 * depends on the include path: -I runtime-c/bpf (bpf runtime; clang
 * -target bpf builds the kernel side, the host compiler the user part) or
 * -I runtime-c/kmod (kernel module runtime). See docs/runtime-api.md.
 *
 * After it, TAP_SIDE_KERNEL and TAP_SIDE_USER say which probes this
 * compilation carries: kernel-side probes (tracepoints, uprobes, perf) and
 * user-side probes (begin, end, error, timers). The bpf runtime compiles
 * the module source twice, once per side; kmod compiles both at once.
 */
#ifndef TAP_H
#define TAP_H

#include "tap_runtime.h"

#ifndef TAP_SIDE_KERNEL
#error "tap_runtime.h must define TAP_SIDE_KERNEL and TAP_SIDE_USER"
#endif

#endif /* TAP_H */
