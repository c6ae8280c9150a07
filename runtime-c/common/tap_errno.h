/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * errno_str() and errno_p(): the names of the kernel's error numbers, as
 * stap's errno tapset has them (asm-generic/errno-base.h and errno.h, 1 to
 * 131; EDEADLOCK is EDEADLK here). Each runtime defines the table where its
 * functions need it (bpf: .rodata; user space and kmod: in the function).
 */
#ifndef TAP_ERRNO_H
#define TAP_ERRNO_H

/* One past the largest error number with a name. */
#define TAP_ERRNO_MAX 132
/* The longest name ("ENOTRECOVERABLE") and its NUL. */
#define TAP_ERRNO_NAME_SIZE 16

#define TAP_ERRNO_NAMES { \
	[1] = "EPERM", \
	[2] = "ENOENT", \
	[3] = "ESRCH", \
	[4] = "EINTR", \
	[5] = "EIO", \
	[6] = "ENXIO", \
	[7] = "E2BIG", \
	[8] = "ENOEXEC", \
	[9] = "EBADF", \
	[10] = "ECHILD", \
	[11] = "EAGAIN", \
	[12] = "ENOMEM", \
	[13] = "EACCES", \
	[14] = "EFAULT", \
	[15] = "ENOTBLK", \
	[16] = "EBUSY", \
	[17] = "EEXIST", \
	[18] = "EXDEV", \
	[19] = "ENODEV", \
	[20] = "ENOTDIR", \
	[21] = "EISDIR", \
	[22] = "EINVAL", \
	[23] = "ENFILE", \
	[24] = "EMFILE", \
	[25] = "ENOTTY", \
	[26] = "ETXTBSY", \
	[27] = "EFBIG", \
	[28] = "ENOSPC", \
	[29] = "ESPIPE", \
	[30] = "EROFS", \
	[31] = "EMLINK", \
	[32] = "EPIPE", \
	[33] = "EDOM", \
	[34] = "ERANGE", \
	[35] = "EDEADLK", \
	[36] = "ENAMETOOLONG", \
	[37] = "ENOLCK", \
	[38] = "ENOSYS", \
	[39] = "ENOTEMPTY", \
	[40] = "ELOOP", \
	[42] = "ENOMSG", \
	[43] = "EIDRM", \
	[44] = "ECHRNG", \
	[45] = "EL2NSYNC", \
	[46] = "EL3HLT", \
	[47] = "EL3RST", \
	[48] = "ELNRNG", \
	[49] = "EUNATCH", \
	[50] = "ENOCSI", \
	[51] = "EL2HLT", \
	[52] = "EBADE", \
	[53] = "EBADR", \
	[54] = "EXFULL", \
	[55] = "ENOANO", \
	[56] = "EBADRQC", \
	[57] = "EBADSLT", \
	[59] = "EBFONT", \
	[60] = "ENOSTR", \
	[61] = "ENODATA", \
	[62] = "ETIME", \
	[63] = "ENOSR", \
	[64] = "ENONET", \
	[65] = "ENOPKG", \
	[66] = "EREMOTE", \
	[67] = "ENOLINK", \
	[68] = "EADV", \
	[69] = "ESRMNT", \
	[70] = "ECOMM", \
	[71] = "EPROTO", \
	[72] = "EMULTIHOP", \
	[73] = "EDOTDOT", \
	[74] = "EBADMSG", \
	[75] = "EOVERFLOW", \
	[76] = "ENOTUNIQ", \
	[77] = "EBADFD", \
	[78] = "EREMCHG", \
	[79] = "ELIBACC", \
	[80] = "ELIBBAD", \
	[81] = "ELIBSCN", \
	[82] = "ELIBMAX", \
	[83] = "ELIBEXEC", \
	[84] = "EILSEQ", \
	[85] = "ERESTART", \
	[86] = "ESTRPIPE", \
	[87] = "EUSERS", \
	[88] = "ENOTSOCK", \
	[89] = "EDESTADDRREQ", \
	[90] = "EMSGSIZE", \
	[91] = "EPROTOTYPE", \
	[92] = "ENOPROTOOPT", \
	[93] = "EPROTONOSUPPORT", \
	[94] = "ESOCKTNOSUPPORT", \
	[95] = "EOPNOTSUPP", \
	[96] = "EPFNOSUPPORT", \
	[97] = "EAFNOSUPPORT", \
	[98] = "EADDRINUSE", \
	[99] = "EADDRNOTAVAIL", \
	[100] = "ENETDOWN", \
	[101] = "ENETUNREACH", \
	[102] = "ENETRESET", \
	[103] = "ECONNABORTED", \
	[104] = "ECONNRESET", \
	[105] = "ENOBUFS", \
	[106] = "EISCONN", \
	[107] = "ENOTCONN", \
	[108] = "ESHUTDOWN", \
	[109] = "ETOOMANYREFS", \
	[110] = "ETIMEDOUT", \
	[111] = "ECONNREFUSED", \
	[112] = "EHOSTDOWN", \
	[113] = "EHOSTUNREACH", \
	[114] = "EALREADY", \
	[115] = "EINPROGRESS", \
	[116] = "ESTALE", \
	[117] = "EUCLEAN", \
	[118] = "ENOTNAM", \
	[119] = "ENAVAIL", \
	[120] = "EISNAM", \
	[121] = "EREMOTEIO", \
	[122] = "EDQUOT", \
	[123] = "ENOMEDIUM", \
	[124] = "EMEDIUMTYPE", \
	[125] = "ECANCELED", \
	[126] = "ENOKEY", \
	[127] = "EKEYEXPIRED", \
	[128] = "EKEYREVOKED", \
	[129] = "EKEYREJECTED", \
	[130] = "EOWNERDEAD", \
	[131] = "ENOTRECOVERABLE", \
}

/* |err| as an index, without overflow for the most negative value. */
#define TAP_ERRNO_INDEX(err) ((err) < 0 ? -(__u64)(err) : (__u64)(err))

#ifndef __bpf__
/*
 * User space and kmod (after their tap_str_copy): the name of err (or of
 * -err), or "" when it has none.
 */
static inline const char *tap_errno_name(tap_long err)
{
	static const char names[TAP_ERRNO_MAX][TAP_ERRNO_NAME_SIZE] = TAP_ERRNO_NAMES;
	__u64 e = TAP_ERRNO_INDEX(err);

	return e < TAP_ERRNO_MAX ? names[e] : "";
}

/* errno_p(err): |err| when it is an error number with a name, else 0 */
static inline tap_long tap_errno_p(tap_long err)
{
	return tap_errno_name(err)[0] ? (tap_long)TAP_ERRNO_INDEX(err) : 0;
}

/* errno_str(err): its name, "" when it has none */
static inline void tap_errno_str(char *dst, tap_long err)
{
	tap_str_copy(dst, tap_errno_name(err));
}
#endif

#endif /* TAP_ERRNO_H */
