/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The bpf runtime: clang -target bpf gets the kernel side, cc the user part. */
#ifndef TAP_RUNTIME_H
#define TAP_RUNTIME_H

#ifdef __bpf__
#include "tap_kernel.h"
#else
#include "tap_user.h"
#endif

#endif /* TAP_RUNTIME_H */
