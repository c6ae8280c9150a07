// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include "uprobe_multi.h"

/* bpf_attr's link_create with its uprobe_multi member (linux/bpf.h, 6.6). */
struct link_create_uprobe_multi {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__aligned_u64 path;
	__aligned_u64 offsets;
	__aligned_u64 ref_ctr_offsets;
	__aligned_u64 cookies;
	__u32 cnt;
	__u32 uprobe_flags;
	__u32 pid;
};

int uprobe_multi_supported(void)
{
	static int known = -1;
	struct bpf_insn ret0[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = TAP_BPF_TRACE_UPROBE_MULTI);
	int fd;

	if (known >= 0)
		return known;
	fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "tap_um_probe", "GPL", ret0, 2, &opts);
	known = fd >= 0;
	if (fd >= 0)
		close(fd);
	return known;
}

int uprobe_multi_attach(int prog_fd, const char *path, const __u64 *offsets,
			const __u64 *ref_ctrs, const __u64 *cookies, __u32 cnt,
			int retprobe)
{
	union {
		struct link_create_uprobe_multi lc;
		char attr[sizeof(union bpf_attr)];
	} u;

	memset(&u, 0, sizeof(u));
	u.lc.prog_fd = prog_fd;
	u.lc.attach_type = TAP_BPF_TRACE_UPROBE_MULTI;
	u.lc.path = (unsigned long)path;
	u.lc.offsets = (unsigned long)offsets;
	u.lc.ref_ctr_offsets = (unsigned long)ref_ctrs;
	u.lc.cookies = (unsigned long)cookies;
	u.lc.cnt = cnt;
	u.lc.uprobe_flags = retprobe ? TAP_BPF_F_UPROBE_MULTI_RETURN : 0;
	return (int)syscall(__NR_bpf, BPF_LINK_CREATE, &u, sizeof(u));
}
