/*
 * User memory quoted as SystemTap 4.8 quotes it, for kernel-side handlers
 * of both runtimes (the kmod prelude compiles this file too):
 *   user_string_quoted(addr)          string_quoted(user_string(addr)), and
 *                                     on a fault "0x<addr>" (uconversions.stp)
 *   kernel_string_quoted(addr)        the same of kernel memory (conversions.stp)
 *   user_buffer_quoted(addr, in, out) _stp_text_str(..., quoted, user, buffer),
 *                                     on a fault "0x<addr>" cut to out - 1
 *   __get_argv(argv, first)           ["a", "b"] as aux_syscalls.stp builds it
 * The escaping is stap's runtime/stp_string.c _stp_text_str: C escapes,
 * \ooo, \uXXXX (upper-case hex), a NUL of a buffer as \0 that costs 4 of
 * the budget, "..." after the closing quote when the input did not fit,
 * never half an escape. stap reads user memory a byte at a time; here it
 * is copied first, and `avail` says how much of it was readable, so a
 * fault hits exactly where stap's read would.
 *
 * State and buffers live in a scratch: a per-CPU map on bpf (the verifier
 * then sees unknown numbers and checks a bpf_loop() body once), an
 * allocation per call on kmod.
 */
#define TAP_QUOTE_MASK (MAXSTRINGLEN - 1)
/* bpf_loop() rounds of __get_argv: each element costs its characters + 3 */
#define TAP_ARGV_STEPS 4096

struct tap_quote_scratch {
	/* the escaper (stap's _stp_text_str locals) */
	__s64 inpos, inlen, avail, out, room, c, esc, esc_len, buffer, fault;
	/* __get_argv */
	__s64 phase, argv, reslen, len;
	unsigned char in[MAXSTRINGLEN];
	char text[MAXSTRINGLEN];
	char res[2 * MAXSTRINGLEN];	/* appends copy up to MAXSTRINGLEN at any offset */
};

#ifdef __KERNEL__
/*
 * kmod: one scratch per call (a module's static per-CPU area is a few KiB
 * shared by all modules), handed to the loop body as its data.
 */
#define tap_quote_hold() ((struct tap_quote_scratch *)kmalloc(sizeof(struct tap_quote_scratch), GFP_ATOMIC))
#define tap_quote_release(s) kfree(s)
#define tap_quote_of(data) ((struct tap_quote_scratch *)(data))
#define tap_quote_loop(n, cb, s) \
	({ __u32 _i; for (_i = 0; _i < (n); _i++) if ((cb)(_i, (s))) break; })
#define tap_quote_read_user(dst, size, uaddr) \
	copy_from_user_nofault((dst), (const void __user *)(unsigned long)(uaddr), (size))
#else
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tap_quote_scratch);
} tap_quote_scratches SEC(".maps");

static __always_inline struct tap_quote_scratch *tap_quote_this(void)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&tap_quote_scratches, &key);
}
#define tap_quote_hold() tap_quote_this()
#define tap_quote_release(s) do { } while (0)
#define tap_quote_of(data) tap_quote_this()
#define tap_quote_loop(n, cb, s) bpf_loop((n), (cb), NULL, 0)
#define tap_quote_read_user(dst, size, uaddr) \
	bpf_probe_read_user((dst), (size), (const void *)(uaddr))
#endif

/* The input byte i, or -1 where stap's read would fault. */
static __always_inline int tap_quote_byte(struct tap_quote_scratch *s, __s64 i)
{
	if (i < 0 || i >= s->avail)
		return -1;
	return s->in[i & TAP_QUOTE_MASK];
}

static __always_inline void tap_quote_put(struct tap_quote_scratch *s, char ch)
{
	s->text[s->out & TAP_QUOTE_MASK] = ch;
	s->out++;
}

/* stap's _stp_decode_utf8 at inpos: bytes used (code point in *cp), -1 on a fault */
static __always_inline int tap_quote_decode(struct tap_quote_scratch *s, int *cp)
{
	__s64 size = s->inlen;
	int b = tap_quote_byte(s, s->inpos), b2, n, c, i;

	if (size <= 0 || b < 0)
		return -1;
	size--;
	if ((b & 0xe0) == 0xc0 && size >= 1) {
		n = 2;
		c = b & 0x1f;
	} else if ((b & 0xf0) == 0xe0 && size >= 2) {
		n = 3;
		c = b & 0xf;
	} else if ((b & 0xf8) == 0xf0 && size >= 3) {
		n = 4;
		c = b & 0x7;
	} else {
		goto verbatim;
	}
	for (i = 1; i < 4; i++) {
		if (i >= n)
			break;
		b2 = tap_quote_byte(s, s->inpos + i);
		if (b2 < 0)
			return -1;
		if ((b2 & 0xc0) != 0x80)
			goto verbatim;
		c = (c << 6) | (b2 & 0x3f);
	}
	/* surrogates, beyond RFC 3629, overlong forms: shown byte by byte */
	if ((c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		goto verbatim;
	if (c < 0x80 || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000))
		goto verbatim;
	*cp = c;
	return n;
verbatim:
	*cp = b;
	return 1;
}

static __always_inline char tap_quote_letter(int c)
{
	switch (c) {
	case '\a': return 'a';
	case '\b': return 'b';
	case '\f': return 'f';
	case '\n': return 'n';
	case '\r': return 'r';
	case '\t': return 't';
	case '\v': return 'v';
	case '"': return '"';
	case '\\': return '\\';
	}
	return 0;
}

/* Starts quoting `inlen` input bytes into at most `outlen` characters. */
static __always_inline void tap_quote_begin(struct tap_quote_scratch *s,
					    __s64 inlen, __s64 outlen, int buffer)
{
	if (inlen <= 0 || inlen > MAXSTRINGLEN - 1)
		inlen = MAXSTRINGLEN - 1;
	if (outlen <= 0 || outlen > MAXSTRINGLEN - 1)
		outlen = MAXSTRINGLEN - 1;
	s->inpos = 0;
	s->inlen = inlen;
	s->out = 0;
	s->c = 0;
	s->esc = -1;
	s->esc_len = 0;
	s->buffer = buffer;
	s->fault = 0;
	s->room = (outlen > 5 ? outlen : 5) - 2;
	tap_quote_put(s, '"');
}

/* One input character (one round of stap's loop); 1 when the text is done. */
static __always_inline int tap_quote_step(struct tap_quote_scratch *s)
{
	int c = 0, n, num, i;
	char letter = 0;

	if (s->inlen <= 0)
		return 1;
	n = tap_quote_decode(s, &c);
	if (n <= 0) {
		s->fault = 1;
		return 1;
	}
	s->c = c;
	if ((c == 0 && !s->buffer) || s->room <= 0)
		return 1;
	s->inpos += n;
	s->inlen -= n;
	if (n > 1) {
		num = c <= 0xffff ? 6 : 10;
	} else if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
		s->room--;
		tap_quote_put(s, c);
		return 0;
	} else {
		letter = tap_quote_letter(c);
		num = letter ? 2 : 4;
	}
	if (s->esc < 0 && s->room - 3 < num) {
		s->esc = s->out;
		s->esc_len = num;
	}
	if (s->room < num)
		return 1;
	s->room -= num;
	tap_quote_put(s, '\\');
	if (n > 1) {
		tap_quote_put(s, num == 6 ? 'u' : 'U');
		for (i = 7; i >= 0; i--) {
			int nib = (c >> (i * 4)) & 0xf;

			if (i <= num - 3)
				tap_quote_put(s, nib < 10 ? '0' + nib : 'A' + nib - 10);
		}
	} else if (letter) {
		tap_quote_put(s, letter);
	} else if (c == 0) {
		tap_quote_put(s, '0');	/* stap's \0: two characters, budget of four */
	} else {
		tap_quote_put(s, '0' + ((c >> 6) & 3));
		tap_quote_put(s, '0' + ((c >> 3) & 7));
		tap_quote_put(s, '0' + (c & 7));
	}
	return 0;
}

/* Closes the quotes, with "..." when the input did not fit; -1 on a fault. */
static __always_inline int tap_quote_end(struct tap_quote_scratch *s)
{
	if (s->fault)
		return -1;
	if (s->c && s->inlen > 0) {
		__s64 cut = s->out - 3 + s->room;

		if (s->esc >= 0 && s->esc < cut && cut < s->esc + s->esc_len)
			s->out = s->esc;
		else
			s->out = cut;
		tap_quote_put(s, '"');
		tap_quote_put(s, '.');
		tap_quote_put(s, '.');
		tap_quote_put(s, '.');
	} else {
		tap_quote_put(s, '"');
	}
	s->text[s->out & TAP_QUOTE_MASK] = '\0';
	return 0;
}

static long tap_quote_round(__u64 index, void *data)
{
	struct tap_quote_scratch *s = tap_quote_of(data);

	return !s || tap_quote_step(s);
}

/* "0x<addr>" into the scratch text, as stap's sprintf("0x%x") */
static __always_inline void tap_quote_hex(struct tap_quote_scratch *s, tap_long addr)
{
	__u64 arg = addr;

	bpf_snprintf(s->text, MAXSTRINGLEN, tap_gen_hex_fmt, &arg, sizeof(arg));
}

/* Reads the user string at addr into the scratch; 0, or -1 on a fault. */
static __always_inline int tap_quote_load_string(struct tap_quote_scratch *s, tap_long addr, int user)
{
	/* user_string(): at most MAXSTRINGLEN - 2 characters and the NUL; kernel_string_quoted(): a buffer's worth */
	long n = user ? bpf_probe_read_user_str(s->in, MAXSTRINGLEN - 1, (const void *)addr)
		      : bpf_probe_read_kernel_str(s->in, MAXSTRINGLEN, (const void *)addr);

	if (n <= 0)
		return -1;
	tap_quote_begin(s, MAXSTRINGLEN, MAXSTRINGLEN, 0);
	s->avail = n;
	return 0;
}

/* user_string_quoted(addr) (user 1), kernel_string_quoted(addr) (user 0): "0x..." where it cannot be read */
static __always_inline __attribute__((unused)) void tap_gen_string_quoted(char *dst, tap_long addr, int user)
{
	struct tap_quote_scratch *s = tap_quote_hold();

	if (!s) {
		dst[0] = '\0';
		return;
	}
	if (tap_quote_load_string(s, addr, user)) {
		tap_quote_hex(s, addr);
	} else {
		tap_quote_loop(MAXSTRINGLEN, tap_quote_round, s);
		tap_quote_end(s);	/* a string read whole cannot fault */
	}
	bpf_probe_read_kernel_str(dst, MAXSTRINGLEN, s->text);
	tap_quote_release(s);
}

/* user_buffer_quoted(addr, inlen, outlen) */
static __always_inline __attribute__((unused)) void tap_gen_user_buffer_quoted(char *dst, tap_long addr,
									     tap_long inlen, tap_long outlen)
{
	struct tap_quote_scratch *s;
	__s64 want, first;
	/* stap passes both as ints */
	int in = (int)inlen, out = (int)outlen;

	dst[0] = '\0';
	if (out <= 0)
		return;
	if (out > MAXSTRINGLEN)
		out = MAXSTRINGLEN;
	s = tap_quote_hold();
	if (!s)
		return;
	tap_quote_begin(s, in, out, 1);
	/* each character read costs at least one of the room; then one more of up to 4 bytes */
	want = s->inlen < s->room + 4 ? s->inlen : s->room + 4;
	asm volatile("" : "+r"(want));
	want &= TAP_QUOTE_MASK;
	s->avail = 0;
	if (!tap_quote_read_user(s->in, want, addr)) {
		s->avail = want;
	} else {
		/* stap reads byte by byte: what precedes an absent page still counts */
		first = 4096 - (addr & 4095);
		asm volatile("" : "+r"(first));
		first &= TAP_QUOTE_MASK;
		if (first < want && !tap_quote_read_user(s->in, first, addr))
			s->avail = first;
	}
	tap_quote_loop(MAXSTRINGLEN, tap_quote_round, s);
	if (tap_quote_end(s)) {
		tap_quote_hex(s, addr);
		s->text[(out - 1) & TAP_QUOTE_MASK] = '\0';	/* snprintf(ret, outlen, ...) */
	}
	bpf_probe_read_kernel_str(dst, MAXSTRINGLEN, s->text);
	tap_quote_release(s);
}

/* str .= src in __get_argv: at most MAXSTRINGLEN - 1 characters in all */
static __always_inline void tap_argv_append(struct tap_quote_scratch *s, const char *src)
{
	__s64 pos = s->reslen;
	long n;

	if (pos < 0 || pos >= MAXSTRINGLEN - 1)
		return;
	n = bpf_probe_read_kernel_str(s->res + (pos & TAP_QUOTE_MASK), MAXSTRINGLEN, src);
	if (n > 1)
		pos += n - 1;
	s->reslen = pos < MAXSTRINGLEN - 1 ? pos : MAXSTRINGLEN - 1;
}

const char tap_argv_open[] = "[";
const char tap_argv_sep[] = ", ";
const char tap_argv_close[] = "]";

enum { TAP_ARGV_NEXT, TAP_ARGV_QUOTE, TAP_ARGV_APPEND };

/*
 * One round of __get_argv's loop: read the next pointer (a fault appends
 * the array's address), quote its string one character per round, append
 * it; stop at NULL or once the string stopped growing (full).
 */
static long tap_argv_round(__u64 index, void *data)
{
	struct tap_quote_scratch *s = tap_quote_of(data);
	__u64 p = 0;

	if (!s)
		return 1;
	if (s->phase == TAP_ARGV_QUOTE) {
		if (tap_quote_step(s)) {
			tap_quote_end(s);	/* a string read whole cannot fault */
			s->phase = TAP_ARGV_APPEND;
		}
		return 0;
	}
	if (s->phase == TAP_ARGV_APPEND) {
		if (s->len)
			tap_argv_append(s, tap_argv_sep);
		tap_argv_append(s, s->text);
		if (s->reslen == s->len)
			return 1;
		s->len = s->reslen;
		s->argv += 8;
		s->phase = TAP_ARGV_NEXT;
		return 0;
	}
	if (!s->argv)
		return 1;
	if (tap_quote_read_user(&p, sizeof(p), s->argv)) {
		if (s->len)
			tap_argv_append(s, tap_argv_sep);
		tap_quote_hex(s, s->argv);
		tap_argv_append(s, s->text);
		return 1;
	}
	if (!p)
		return 1;
	if (tap_quote_load_string(s, p, 1)) {
		tap_quote_hex(s, p);	/* user_string_quoted's fault form */
		s->phase = TAP_ARGV_APPEND;
	} else {
		s->phase = TAP_ARGV_QUOTE;
	}
	return 0;
}

/* __get_argv(argv, first): the strings of a user argv/envp array (64-bit) */
static __always_inline __attribute__((unused)) void tap_gen_argv(char *dst, tap_long argv, tap_long first)
{
	struct tap_quote_scratch *s = tap_quote_hold();

	dst[0] = '\0';
	if (!s)
		return;
	s->argv = first && argv ? argv + 8 * first : argv;
	s->phase = TAP_ARGV_NEXT;
	s->reslen = 0;
	s->len = 0;
	tap_argv_append(s, tap_argv_open);
	tap_quote_loop(TAP_ARGV_STEPS, tap_argv_round, s);
	tap_argv_append(s, tap_argv_close);
	s->res[s->reslen & TAP_QUOTE_MASK] = '\0';
	bpf_probe_read_kernel_str(dst, MAXSTRINGLEN, s->res);
	tap_quote_release(s);
}
