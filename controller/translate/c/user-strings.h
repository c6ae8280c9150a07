/* String functions of stap's tapset (string.stp), user side of the bpf runtime. */
#include <stdlib.h>

static __attribute__((unused)) tap_long tap_gen_strpos(const char *s, const char *t)
{
	const char *p = strstr(s, t);

	return p ? p - s : -1;
}

static __attribute__((unused)) void tap_gen_substr(char *dst, const char *s, tap_long start, tap_long len)
{
	tap_long n = (tap_long)strnlen(s, MAXSTRINGLEN - 1);

	if (start < 0 || start >= n || len <= 0) {
		dst[0] = '\0';
		return;
	}
	if (len > n - start)
		len = n - start;
	/* gcc follows a literal argument into here and warns of a read past it on the path just ruled out */
	__asm__("" : "+r"(s));
	memmove(dst, s + start, len);
	dst[len] = '\0';
}

static __attribute__((unused)) void tap_gen_str_replace(char *dst, const char *s, const char *from, const char *to)
{
	char out[MAXSTRINGLEN];
	size_t o = 0, fl = strlen(from), tl = strlen(to);

	while (*s && o < MAXSTRINGLEN - 1) {
		if (fl && strncmp(s, from, fl) == 0) {
			size_t n = tl < MAXSTRINGLEN - 1 - o ? tl : MAXSTRINGLEN - 1 - o;

			memcpy(out + o, to, n);
			o += n;
			s += fl;
		} else {
			out[o++] = *s++;
		}
	}
	out[o] = '\0';
	memcpy(dst, out, o + 1);
}

/* One character of `in` (UTF-8 sequences as one code point, as stap decodes them); its length. */
static int tap_gen_utf8(const unsigned char *in, int size, int *cp)
{
	int n, i, c;

	if ((in[0] & 0xE0) == 0xC0 && size >= 2) {
		n = 2;
		c = in[0] & 0x1F;
	} else if ((in[0] & 0xF0) == 0xE0 && size >= 3) {
		n = 3;
		c = in[0] & 0xF;
	} else if ((in[0] & 0xF8) == 0xF0 && size >= 4) {
		n = 4;
		c = in[0] & 0x7;
	} else {
		goto verbatim;
	}
	for (i = 1; i < n; i++) {
		if ((in[i] & 0xC0) != 0x80)
			goto verbatim;
		c = (c << 6) | (in[i] & 0x3F);
	}
	if ((c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF || c < 0x80 ||
	    (n == 3 && c < 0x800) || (n == 4 && c < 0x10000))
		goto verbatim;
	*cp = c;
	return n;
verbatim:
	*cp = in[0];
	return 1;
}

/*
 * text_str/text_strn/string_quoted: non-printable characters escaped as C
 * does (\n, \ooo, \uXXXX), at most outlen characters; quoted output gets
 * double quotes and "..." after them when the input did not fit, never
 * cutting an escape sequence in half (stap's _stp_text_str).
 */
static __attribute__((unused)) void tap_gen_text_str(char *dst, const char *src, int inlen, int outlen, int quoted)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *in = (const unsigned char *)src;
	char *out = dst, *esc = NULL;
	int c = 0, esc_len = 0;

	if (inlen <= 0 || inlen > MAXSTRINGLEN - 1)
		inlen = MAXSTRINGLEN - 1;
	if (outlen <= 0 || outlen > MAXSTRINGLEN - 1)
		outlen = MAXSTRINGLEN - 1;
	if (quoted) {
		outlen = (outlen > 5 ? outlen : 5) - 2;
		*out++ = '"';
	}
	while (inlen > 0) {
		int num = 1, n = tap_gen_utf8(in, inlen, &c), i;

		if (c == 0 || outlen <= 0)
			break;
		in += n;
		inlen -= n;
		if (n > 1) {
			num = c <= 0xFFFF ? 6 : 10;
			if (!esc && outlen - 3 < num) {
				esc = out;
				esc_len = num;
			}
			if (outlen < num)
				break;
			*out++ = '\\';
			*out++ = c <= 0xFFFF ? 'u' : 'U';
			for (i = num - 3; i >= 0; --i)
				*out++ = hex[(c >> (i * 4)) & 0xF];
		} else if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			*out++ = c;
		} else {
			const char *shortesc = strchr("\aa\bb\ff\nn\rr\tt\vv\"\"\\\\", c);

			num = c && shortesc && ((shortesc - "\aa\bb\ff\nn\rr\tt\vv\"\"\\\\") % 2 == 0) ? 2 : 4;
			if (!esc && outlen - 3 < num) {
				esc = out;
				esc_len = num;
			}
			if (outlen < num)
				break;
			*out++ = '\\';
			if (num == 2) {
				*out++ = shortesc[1];
			} else {
				*out++ = '0' + ((c >> 6) & 3);
				*out++ = '0' + ((c >> 3) & 7);
				*out++ = '0' + (c & 7);
			}
		}
		outlen -= num;
	}
	if (quoted) {
		if (c && inlen > 0) {
			char *trunc = out - 3 + outlen;

			out = esc && esc < trunc && trunc < esc + esc_len ? esc : trunc;
			memcpy(out, "\"...", 4);
			out += 4;
		} else {
			*out++ = '"';
		}
	}
	*out = '\0';
}

/* tolower(s), toupper(s): ASCII letters only, as the kernel's (stap's) */
static __attribute__((unused)) void tap_gen_case(char *dst, const char *s, int upper)
{
	size_t i;

	for (i = 0; i < MAXSTRINGLEN - 1 && s[i]; i++) {
		char ch = s[i];

		if (upper && ch >= 'a' && ch <= 'z')
			ch -= 'a' - 'A';
		else if (!upper && ch >= 'A' && ch <= 'Z')
			ch += 'a' - 'A';
		dst[i] = ch;
	}
	dst[i] = '\0';
}

/*
 * stringat(s, pos) in a user-side probe, the caller having checked
 * 0 <= pos < strlen(s); the pointer passed through an empty asm, so that a
 * literal string and a constant position past it do not set off the C
 * compiler's bounds warning in code the check skips
 */
static __attribute__((unused)) tap_long tap_gen_char_at_user(const char *s, tap_long pos)
{
	__asm__("" : "+r"(s));
	return (unsigned char)s[pos];
}

/*
 * kernel_string_n(addr, n) in a user-side probe: kernel_string() through
 * the module's reader, then cut to n characters (kernel-strings.h has the
 * kernel side's).
 */
static __attribute__((unused)) void tap_gen_read_kernel_string_n(char *dst, tap_long addr, tap_long n)
{
	tap_long size = n + 1;

	if (size < 1)
		size = 1;
	if (size > MAXSTRINGLEN)
		size = MAXSTRINGLEN;
	if (tap_kernel_string(dst, (const void *)(unsigned long)addr))
		dst[0] = '\0';
	else
		dst[size - 1] = '\0';
}
