// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The module's own build-id check (as SystemTap's _stp_module_check): the
 * GNU build-id of the running kernel, from /sys/kernel/notes, must equal
 * TAP_BUILD_ID, the build-id of the kernel image of the tree the module
 * was compiled against (pass 4 passes it with -DTAP_BUILD_ID="hex").
 */
#include <linux/elf.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include "kmod_rt.h"

#ifndef TAP_BUILD_ID
#error "compile with -DTAP_BUILD_ID=\"<hex>\": the target kernel's GNU build-id"
#endif

#define NT_GNU_BUILD_ID 3	/* not in the kernel's elf.h */
#define NOTES_PATH "/sys/kernel/notes"
#define NOTES_MAX 4096

/* The GNU build-id note's descriptor in a notes blob; its length, or 0. */
static size_t find_build_id(const char *p, size_t len, const u8 **id)
{
	size_t off = 0;

	while (off + sizeof(Elf64_Nhdr) <= len) {
		const Elf64_Nhdr *n = (const Elf64_Nhdr *)(p + off);
		size_t name = ALIGN(n->n_namesz, 4), desc = ALIGN(n->n_descsz, 4);
		size_t at = off + sizeof(*n);

		if (at + name + desc > len)
			break;
		if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
		    !memcmp(p + at, "GNU", 4)) {
			*id = (const u8 *)p + at + name;
			return n->n_descsz;
		}
		off = at + name + desc;
	}
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int tap_buildid_check(char *err, size_t errsize)
{
	static const char want_hex[] = TAP_BUILD_ID;
	size_t want_len = (sizeof(want_hex) - 1) / 2, have_len, i;
	char have_hex[2 * 64 + 1];
	struct file *f;
	const u8 *have;
	loff_t pos = 0;
	ssize_t len;
	char *buf;

	f = filp_open(NOTES_PATH, O_RDONLY, 0);
	if (IS_ERR(f)) {
		scnprintf(err, errsize, "Build-id check: cannot open %s (%pe)",
			  NOTES_PATH, f);
		return -1;
	}
	buf = kmalloc(NOTES_MAX, GFP_KERNEL);
	len = buf ? kernel_read(f, buf, NOTES_MAX, &pos) : -ENOMEM;
	filp_close(f, NULL);
	have_len = len > 0 ? find_build_id(buf, len, &have) : 0;
	if (!have_len || have_len > 64) {
		scnprintf(err, errsize, "Build-id check: no GNU build-id in %s",
			  NOTES_PATH);
		kfree(buf);
		return -1;
	}
	bin2hex(have_hex, have, have_len);
	have_hex[2 * have_len] = '\0';
	for (i = 0; i < max(want_len, have_len); i++) {
		int hi = i < want_len ? hexval(want_hex[2 * i]) : 0;
		int lo = i < want_len ? hexval(want_hex[2 * i + 1]) : 0;
		int want = i < want_len ? hi * 16 + lo : -1;
		int got = i < have_len ? have[i] : -1;

		if (want == got)
			continue;
		scnprintf(err, errsize,
			  "Build-id mismatch: \"kernel\" vs. \"vmlinux\" byte %zu (0x%02x vs 0x%02x): the running kernel is %s, this module was built for %s; rebuild it against the running kernel's tree",
			  i, got & 0xff, want & 0xff, have_hex, want_hex);
		kfree(buf);
		return -1;
	}
	kfree(buf);
	return 0;
}
