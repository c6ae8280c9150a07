// test/fixtures/argstr/argstr-probe.c: its build, and the syscall argstr
// lines stap 4.8 prints for its calls (shared by the bpf test here and the
// kmod one in the VM, test/kmod-e2e/argstr.ts).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('../../../test/fixtures/argstr/argstr-probe.c', import.meta.url));

/** Builds the program into `dir` (static: for a VM whose libc may differ); returns its path. */
export function buildArgstrProbe(dir: string, opts: { static?: boolean } = {}): string {
	const out = join(dir, 'argstr-probe');
	execFileSync('cc', ['-O1', ...(opts.static ? ['-static', '-s'] : []), '-o', out, SOURCE]);
	return out;
}

/** The script: name(argstr) of the program's writes, openats and execves. */
export const ARGSTR_SCRIPT = 'probe syscall.write, syscall.openat, syscall.execve {'
	+ ' if (pid() == target() && execname() == "argstr-probe") printf("%s(%s)\\n", name, argstr) }';

/** A write's address past a mapped page ends in ffb (page + 4091): shown as 0x...ffb. */
export function maskPageAddress(lines: string[]): string[] {
	return lines.map((l) => l.replace(/^write\(9, 0x[0-9a-f]+ffb, 10\)$/, 'write(9, 0x...ffb, 10)'));
}

/** stap's argstr for the program's calls, in order. */
export const ARGSTR_LINES: readonly string[] = [
	'write(9, "hello\\n", 6)',
	'write(9, "a\\0b\\001\\177\\u00E9\\377\\"\\\\\\t", 11)',
	// syscall_string_trunc = 50 characters: 45 of the 60 and "...
	`write(9, "${'x'.repeat(45)}"..., 60)`,
	'write(9, 0x1000, 5)',
	'write(9, "tail!", 5)',
	// 5 readable bytes of 10: stap's byte-wise read faults, and shows the address
	'write(9, 0x...ffb, 10)',
	'openat(AT_FDCWD, 0x1000, O_RDONLY)',
	'openat(AT_FDCWD, 0x0, O_RDONLY)',
	'execve("/nonexistent/x", [0x1000], ["K=V"])',
	// the 600-byte variable: 506 characters and "... quoted, then all cut at MAXSTRINGLEN - 1
	`execve(${`"/nonexistent/y", ["y"], ["${'v'.repeat(600)}`.slice(0, 511)})`,
	'execve("/bin/true", ["/bin/true", "one", "t\\two", "\\u00E9"], ["K=V"])',
];
