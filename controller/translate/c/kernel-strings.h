/*
 * Tapset string functions for kernel-side handlers of the bpf runtime.
 * They track the length they wrote instead of measuring strings again: a
 * strlen loop per append is more than the verifier will walk.
 */
const char tap_gen_hex_fmt[] = "0x%llx";

/*
 * Appends `src` (at most TAP_GEN_PIECE - 1 characters) at dst[pos]; returns
 * the new length. A constant read size keeps the bounds provable.
 */
#define TAP_GEN_PIECE 16
static __always_inline __u32 tap_gen_put(char *dst, __u32 pos, const char *src)
{
	long n;

	if (pos > MAXSTRINGLEN - TAP_GEN_PIECE)
		return pos;	/* full: truncated, as stap's strlcat */
	n = bpf_probe_read_kernel_str(dst + pos, TAP_GEN_PIECE, src);
	return n > 0 ? pos + n - 1 : pos;
}

/* user_string_quoted(): kernel-quote.h */

/*
 * stringat(s, pos), the caller having checked 0 <= pos < strlen(s): the
 * byte read by a helper (which shows the compiler no constant index past a
 * literal); on bpf the position masked to the buffer (MAXSTRINGLEN is a
 * power of two there), a bound the verifier can see
 */
static __always_inline __attribute__((unused)) tap_long tap_gen_char_at(const char *s, tap_long pos)
{
	char two[2] = { 0, 0 };

#ifdef __bpf__
	pos &= MAXSTRINGLEN - 1;
#endif
	bpf_probe_read_kernel_str(two, sizeof(two), s + pos);
	return (unsigned char)two[0];
}

/*
 * user_string_n(addr, n), kernel_string_n(addr, n): at most n characters,
 * in n + 1 bytes with the NUL, clamped as stap's uconversions.stp and
 * conversions.stp clamp them (user: below MAXSTRINGLEN - 1 bytes, kernel:
 * MAXSTRINGLEN). Non-zero on a fault, dst then "".
 */
static __always_inline __attribute__((unused)) int tap_gen_string_n(char *dst, tap_long addr,
								 tap_long n, int user)
{
	tap_long size = n + 1;
	long r;

	if (size < 1)
		size = 1;
	if (size > (user ? MAXSTRINGLEN - 1 : MAXSTRINGLEN))
		size = user ? MAXSTRINGLEN - 1 : MAXSTRINGLEN;
	/* keep the compiler from dropping the bound the verifier needs */
	asm volatile("" : "+r"(size));
	if (size < 1 || size > MAXSTRINGLEN)
		return 1;
	if (user)
		r = bpf_probe_read_user_str(dst, size, (const void *)(unsigned long)addr);
	else
		r = bpf_probe_read_kernel_str(dst, size, (const void *)(unsigned long)addr);
	if (r < 0)
		dst[0] = '\0';
	return r < 0;
}

/* tap_gen_number()'s flags: the printf flags bpf_snprintf cannot apply itself */
#define TAP_NUM_SIGNED 1	/* %d: a negative value is '-' and its magnitude */
#define TAP_NUM_PLUS 2		/* '+': a sign for non-negative values too */
#define TAP_NUM_SPACE 4		/* ' ': a space there */
#define TAP_NUM_ALT 8		/* '#': 0x, 0X for hex, 0 for octal, even before a 0 (stap's) */
#define TAP_NUM_UPPER 16	/* %X */
#define TAP_NUM_DIGITS 22	/* octal digits of 64 bits: the most of any base */

/*
 * A number of a kernel-side sprintf that bpf_snprintf cannot format (%o, a
 * precision, '#'), as stap's runtime (vsprintf.c's number()) makes it: the
 * sign, the prefix, the digits in `base` (8, 10, 16), at least one and at
 * least `precision`, and with the '0' flag and a width (`zero_width`, 0
 * otherwise) zeros between prefix and digits up to that width. The caller
 * pads it to the width with spaces, as %s.
 */
static __always_inline __attribute__((unused)) void tap_gen_number(char *dst, tap_long value, int base,
								int precision, int zero_width, int flags)
{
	char d[32];	/* a sign, a prefix and the digits from d[8], their NUL at d[30] */
	const char *digits = flags & TAP_NUM_UPPER ? "0123456789ABCDEF" : "0123456789abcdef";
	__u64 v = (__u64)value;
	char sign = 0;
	int i, n = 1, min, start, pre = 0;

	if ((flags & TAP_NUM_SIGNED) && value < 0) {
		sign = '-';
		v = -v;
	} else if (flags & TAP_NUM_SIGNED) {
		sign = flags & TAP_NUM_PLUS ? '+' : flags & TAP_NUM_SPACE ? ' ' : 0;
	}
	/*
	 * The digits, right-aligned in d[8 .. 8 + TAP_NUM_DIGITS), counted
	 * without a branch ((v | -v) >> 63 is 1 while digits remain): branches
	 * in an unrolled loop multiply the paths the verifier walks.
	 */
#pragma unroll
	for (i = TAP_NUM_DIGITS - 1; i >= 0; i--) {
		__u64 digit = v % base;

		/* clang knows digit < base and would drop the mask the verifier needs */
		asm volatile("" : "+r"(digit));
		d[8 + i] = digits[digit & 15];
		v /= base;
		if (i > 0)
			n += (int)((v | -v) >> 63);
	}
	d[8 + TAP_NUM_DIGITS] = '\0';
	if (flags & TAP_NUM_ALT)
		pre = base == 16 ? 2 : base == 8 ? 1 : 0;
	min = precision > n ? precision : n;
	if (zero_width - pre - (sign != 0) > min)
		min = zero_width - pre - (sign != 0);
	if (min > TAP_NUM_DIGITS)
		min = TAP_NUM_DIGITS;
	start = 8 + TAP_NUM_DIGITS - min;
	/* the prefix goes right before the digits, the sign before it */
	if (pre == 2)
		d[--start] = flags & TAP_NUM_UPPER ? 'X' : 'x';
	if (pre)
		d[--start] = '0';
	if (sign)
		d[--start] = sign;
	bpf_probe_read_kernel_str(dst, MAXSTRINGLEN, d + (start & 31));
}

#ifdef __bpf__
/* (the bpf kernel side's sprintf only: kmod formats with its C runtime) */
/* tap_pad()'s walk: one output character a bpf_loop() round, verified once */
struct tap_pad_walk {
	char *dst;
	const char *src;
	__u64 at;	/* where the fill goes in src */
	__u64 pad;	/* how many fill characters */
	char fill;
};

static __attribute__((unused)) long tap_pad_step(__u64 i, void *data)
{
	struct tap_pad_walk *w = data;
	char ch;

	if (i >= MAXSTRINGLEN - 1)
		return 1;
	if (i < w->at)
		ch = w->src[i & (MAXSTRINGLEN - 1)];
	else if (i < w->at + w->pad)
		ch = w->fill;
	else
		ch = w->src[(i - w->pad) & (MAXSTRINGLEN - 1)];
	w->dst[i & (MAXSTRINGLEN - 1)] = ch;
	return 0;
}

/*
 * A kernel-side sprintf's run-time width ('*'): src (a MAXSTRINGLEN buffer,
 * not dst) widened to `width` characters by `fill` put in at `at` (0: on
 * the left; src's length: on the right; after a number's sign and 0x: its
 * zeros), never cut; what passes MAXSTRINGLEN - 1 is cut, as the user side
 * cuts the whole string.
 */
static __attribute__((__noinline__, unused)) void tap_pad(char *dst, const char *src, tap_long width, tap_long at, char fill)
{
	struct tap_pad_walk w = { .dst = dst, .src = src, .fill = fill };
	tap_long len = tap_str_len(src), total;

	w.at = at < 0 ? 0 : at > len ? len : at;
	w.pad = width > len ? width - len : 0;
	total = len + w.pad;
	if (total > MAXSTRINGLEN - 1)
		total = MAXSTRINGLEN - 1;
	bpf_loop(total, tap_pad_step, &w, 0);
	dst[total & (MAXSTRINGLEN - 1)] = '\0';
}

/* Where a made number's digits begin: after its sign and its 0x or 0X */
static __always_inline __attribute__((unused)) tap_long tap_num_prefix_len(const char *s)
{
	tap_long n = s[0] == '-' || s[0] == '+' || s[0] == ' ';

	if (s[n & 1] == '0' && (s[(n & 1) + 1] | 0x20) == 'x')
		n += 2;
	return n;
}
#endif /* __bpf__ */

/* _sys_open_flag_str(flags): O_RDONLY|O_CREAT|... as stap's aux_syscalls.stp (x86_64 values) */
static __always_inline __attribute__((unused)) void tap_gen_open_flags(char *dst, tap_long f)
{
	static const struct { __u32 val; char name[12]; } flags[] = {
		{ 0100, "O_CREAT" }, { 0200, "O_EXCL" }, { 0400, "O_NOCTTY" },
		{ 01000, "O_TRUNC" }, { 02000, "O_APPEND" }, { 04000, "O_NONBLOCK" },
		{ 04010000, "O_SYNC" }, { 010000, "O_DSYNC" }, { 020000, "O_ASYNC" },
		{ 040000, "O_DIRECT" }, { 0100000, "O_LARGEFILE" },
		{ 0200000, "O_DIRECTORY" }, { 0400000, "O_NOFOLLOW" },
		{ 01000000, "O_NOATIME" }, { 02000000, "O_CLOEXEC" },
		{ 010000000, "O_PATH" },
	};
	__u32 rest = (__u32)f, pos;
	int i, any = 0;

	switch (rest & 3) {
	case 1:
		pos = tap_gen_put(dst, 0, "O_WRONLY");
		break;
	case 2:
		pos = tap_gen_put(dst, 0, "O_RDWR");
		break;
	default:
		pos = tap_gen_put(dst, 0, "O_RDONLY");
	}
	rest &= ~3u;
	if (!rest)
		return;
	pos = tap_gen_put(dst, pos, "|");
#pragma unroll
	for (i = 0; i < (int)(sizeof(flags) / sizeof(flags[0])); i++) {
		if (flags[i].val & rest) {
			if (any)
				pos = tap_gen_put(dst, pos, "|");
			pos = tap_gen_put(dst, pos, flags[i].name);
			rest &= ~flags[i].val;
			any = 1;
		}
	}
	if (rest) {
		char hex[24];
		__u64 arg = rest;

		if (any)
			pos = tap_gen_put(dst, pos, "|");
		bpf_snprintf(hex, sizeof(hex), tap_gen_hex_fmt, &arg, sizeof(arg));
		tap_gen_put(dst, pos, hex);
	}
}
