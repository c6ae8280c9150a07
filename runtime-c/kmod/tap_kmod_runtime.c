// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The whole kmod runtime as one compilation unit, linked into every module
 * next to the generated C (obj-m := NAME.o; NAME-y := SCRIPT.o
 * tap_kmod_runtime.o): the runtime-neutral parts from runtime-c/common
 * (formatting, statistics, error texts) and the kernel parts from here.
 */
#include "tap_buf.c"
#include "tap_format.c"
#include "tap_stat.c"
#include "tap_errors.c"
#include "kmod_channel.c"
#include "kmod_map.c"
#include "kmod_probes.c"
#include "kmod_procfs.c"
#include "kmod_buildid.c"
#include "kmod_session.c"
#include "kmod_stack.c"
#include "kmod_ustack.c"
