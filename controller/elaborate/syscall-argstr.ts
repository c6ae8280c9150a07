// argstr as stap's syscall tapsets (SystemTap 4.8, tapset/linux/sysc_*.stp)
// format it for the calls people trace most; every other call gets the
// generic form: quoted user strings, pointers in hex, numbers in decimal.
// Each entry names the tracepoint's fields in braces; an entry whose fields
// this kernel's tracepoint lacks falls back to the generic form.

/** One argument: its printf directive and a stap expression over {field} variables. */
type Piece = readonly [directive: string, expr: string];

interface ArgstrFormat {
	readonly pieces: readonly Piece[];
	/** stap appends ", %#o" of this mode field only when the flags field has O_CREAT. */
	readonly creatMode?: { flags: string; mode: string };
}

const S = (f: string): Piece => ['%s', `{${f}}`];
const D = (f: string): Piece => ['%d', `{${f}}`];
const U = (f: string): Piece => ['%u', `{${f}}`];
const P = (f: string): Piece => ['%p', `{${f}_addr}`];
const DFD = (f: string): Piece => ['%s', `_dfd_str({${f}})`];
const OCT = (f: string): Piece => ['%s', `_mode_octal_str({${f}})`];
const OPEN_FLAGS = (f: string): Piece => ['%s', `_sys_open_flag_str({${f}})`];
/** stap's syscall_string_trunc: the characters a quoted buffer may take. */
const SYSCALL_STRING_TRUNC = 50;
const BUFFER = (f: string, count: string): Piece => ['%s', `user_buffer_quoted({${f}_addr}, {${count}}, ${SYSCALL_STRING_TRUNC})`];
const ARGV = (f: string): Piece => ['%s', `__get_argv({${f}_addr}, 0)`];
/** A struct sockaddr of `len` bytes (sockaddr.stp), "{AF_INET, 127.0.0.1, 80}". */
const SOCKADDR = (f: string, len: string): Piece => ['%s', `_struct_sockaddr_u({${f}_addr}, {${len}})`];

const CREAT = { flags: 'flags', mode: 'mode' };

/** open(2)'s format; also what syscall.open shows for openat (stap's open argstr). */
const OPEN: ArgstrFormat = { pieces: [S('filename'), OPEN_FLAGS('flags')], creatMode: CREAT };

const FORMATS: Record<string, ArgstrFormat> = {
	open: OPEN,
	openat: { pieces: [DFD('dfd'), S('filename'), OPEN_FLAGS('flags')], creatMode: CREAT },
	read: { pieces: [D('fd'), P('buf'), U('count')] },
	write: { pieces: [D('fd'), BUFFER('buf', 'count'), U('count')] },
	pread64: { pieces: [D('fd'), P('buf'), U('count'), D('pos')] },
	pwrite64: { pieces: [D('fd'), BUFFER('buf', 'count'), U('count'), D('pos')] },
	execve: { pieces: [S('filename'), ARGV('argv'), ARGV('envp')] },
	close: { pieces: [D('fd')] },
	dup: { pieces: [D('fildes')] },
	dup2: { pieces: [D('oldfd'), D('newfd')] },
	fchdir: { pieces: [D('fd')] },
	chdir: { pieces: [S('filename')] },
	unlink: { pieces: [S('pathname')] },
	rmdir: { pieces: [S('pathname')] },
	mkdir: { pieces: [S('pathname'), OCT('mode')] },
	mkdirat: { pieces: [DFD('dfd'), S('pathname'), OCT('mode')] },
	chmod: { pieces: [S('filename'), OCT('mode')] },
	fchmod: { pieces: [D('fd'), OCT('mode')] },
	umask: { pieces: [OCT('mask')] },
	getcwd: { pieces: [P('buf'), D('size')] },
	readlink: { pieces: [S('path'), P('buf'), D('bufsiz')] },
	readlinkat: { pieces: [DFD('dfd'), S('pathname'), P('buf'), D('bufsiz')] },
	exit: { pieces: [D('error_code')] },
	exit_group: { pieces: [D('error_code')] },
	newfstat: { pieces: [D('fd'), P('statbuf')] },
	newstat: { pieces: [S('filename'), P('statbuf')] },
	newlstat: { pieces: [S('filename'), P('statbuf')] },
	getdents64: { pieces: [D('fd'), P('dirent'), D('count')] },
	rename: { pieces: [S('oldname'), S('newname')] },
	link: { pieces: [S('oldname'), S('newname')] },
	symlink: { pieces: [S('oldname'), S('newname')] },
	munmap: { pieces: [P('addr'), U('len')] },
	connect: { pieces: [D('fd'), SOCKADDR('uservaddr', 'addrlen'), U('addrlen')] },
	bind: { pieces: [D('fd'), SOCKADDR('umyaddr', 'addrlen'), D('addrlen')] },
	// its buf, flags_str and to_str, as syscall-tapset.ts computes them (stap's argstr uses them too)
	sendto: { pieces: [D('fd'), ['%s', 'buf'], U('len'), ['%s', 'flags_str'], ['%s', 'to_str'], U('addr_len')] },
	brk: { pieces: [P('brk')] },
};

/** The format an alias uses for one call: syscall.open shows openat in open(2)'s form. */
export function knownArgstrFormat(aliasName: string, callName: string): ArgstrFormat | undefined {
	if (aliasName === 'open' && callName === 'openat') return OPEN;
	return FORMATS[callName];
}

/**
 * The stap statements that set argstr from the format, with {field} replaced
 * by the variable `varOf` names (and {field_addr} by the field's address
 * variable); null if the tracepoint lacks a field the format needs.
 */
export function argstrStatements(
	format: ArgstrFormat,
	varOf: (field: string) => string | undefined,
	addrOf: (field: string) => string | undefined,
): string[] | null {
	let missing = false;
	const fill = (expr: string): string => expr.replace(/\{(\w+)\}/g, (_m, name: string) => {
		const v = name.endsWith('_addr') ? addrOf(name.slice(0, -'_addr'.length)) : varOf(name);
		if (v === undefined) missing = true;
		return v ?? '0';
	});
	const call = (pieces: readonly Piece[]): string =>
		`sprintf("${pieces.map((p) => p[0]).join(', ')}", ${pieces.map((p) => fill(p[1])).join(', ')})`;
	const plain = `argstr = ${call(format.pieces)}`;
	if (!format.creatMode) return missing ? null : [plain];
	const { flags, mode } = format.creatMode;
	const lines = [
		`if (${fill(`{${flags}}`)} & 64) /* O_CREAT */`,
		`\targstr = ${call([...format.pieces, OCT(mode)])}`,
		'else',
		`\t${plain}`,
	];
	return missing ? null : lines;
}
