// procfs probe points (stapprobes(3stap), PROCFS): a file the module offers,
// whose reads and writes run the script. The kmod runtime makes it
// /proc/systemtap/MODULE/PATH; the bpf runtime, as stapbpf, a FIFO in
// /var/tmp/systemtap-USER/MODULE/PATH.
//
//   procfs[("PATH")][.umask(UMASK)].read[.maxsize(MAXSIZE)]
//   procfs[("PATH")][.umask(UMASK)].write
//
// $value is the file's text: read probes set it (`$value = ...`,
// `$value .= ...`; a buffer of MAXSIZE bytes with the NUL,
// STP_PROCFS_BUFSIZE by default), write probes read what was written.
// A file has at most one probe of each kind.
import type { ProbePoint, ProbePointComponent } from '../parse/ast.js';
import { SemanticError } from './diagnostics.js';
import type { ConcreteProbe, ProbeEvent, TargetVar } from './program.js';

/** stap's default file name (procfs.read). */
const DEFAULT_PATH = 'command';
/** Used by stap for input probes: not a procfs file's name. */
const RESERVED_PATH = '__stdin';
/** A read buffer larger than this is refused: a file is read whole into the module's memory. */
export const PROCFS_MAXSIZE_LIMIT = 1n << 20n;

export type ProcfsEvent = Extract<ProbeEvent, { kind: 'procfs' }>;

/** The target variables of a procfs probe: its $value. */
export function procfsTargets(e: ProcfsEvent): Map<string, TargetVar> {
	const value: TargetVar = { kind: 'target', name: '$value', type: 'string', cType: 'char *', pointer: false, source: { kind: 'procfs_value', writable: !e.write } };
	return new Map([['$value', value]]);
}

/** A path below the module's directory: names of letters, digits, '_', '-' and '.', separated by '/'. */
function checkPath(path: string, tok: ProbePointComponent['tok']): string {
	const names = path.split('/');
	const bad = names.find((n) => !/^[A-Za-z0-9_.-]+$/.test(n) || n === '.' || n === '..');
	if (path.length > 255 || bad !== undefined) {
		throw new SemanticError(`procfs path '${path}' is not a relative path of names made of letters, digits, '_', '-' and '.'`, tok);
	}
	if (path === RESERVED_PATH) throw new SemanticError(`procfs path '${RESERVED_PATH}' is reserved for input probes`, tok);
	return path;
}

/** The procfs event of `procfs...` components, or null when they are not that shape. */
export function matchProcfs(pp: ProbePoint): ProcfsEvent | null {
	const c = [...pp.components];
	const head = c.shift()!;
	let path = DEFAULT_PATH;
	if (head.arg !== null) {
		if (head.arg.kind !== 'literal_string') throw new SemanticError('expected a string argument for procfs', head.tok);
		path = checkPath(head.arg.value, head.tok);
	}
	let umask: number | null = null;
	if (c[0]?.functor === 'umask') {
		const u = c.shift()!;
		if (u.arg?.kind !== 'literal_number' || u.arg.value < 0n || u.arg.value > 0o777n) {
			throw new SemanticError('expected a umask from 0 to 0777 for procfs.umask', u.tok);
		}
		umask = Number(u.arg.value);
	}
	const mode = c.shift();
	if (!mode || mode.arg !== null || (mode.functor !== 'read' && mode.functor !== 'write')) return null;
	// the owner's bit of the file's direction: without it the file is useless (and procfs would make it 0444)
	if (umask !== null && (umask & (mode.functor === 'write' ? 0o200 : 0o400))) {
		throw new SemanticError(`procfs.umask(0${umask.toString(8)}) takes the owner's ${mode.functor} permission from a ${mode.functor} probe's file`, head.tok);
	}
	let maxsize: number | null = null;
	if (mode.functor === 'read' && c[0]?.functor === 'maxsize') {
		const m = c.shift()!;
		if (m.arg?.kind !== 'literal_number' || m.arg.value < 1n || m.arg.value > PROCFS_MAXSIZE_LIMIT) {
			throw new SemanticError(`expected a size from 1 to ${PROCFS_MAXSIZE_LIMIT} bytes for procfs.read.maxsize`, m.tok);
		}
		maxsize = Number(m.arg.value);
	}
	if (c.length > 0) return null;
	return { kind: 'procfs', path, write: mode.functor === 'write', umask, maxsize };
}

/**
 * stap's rule: one read probe and one write probe per file at most; and
 * a path cannot be a file and another file's directory ("a" and "a/b").
 */
export function procfsConflicts(probes: readonly ConcreteProbe[]): SemanticError[] {
	const seen = new Set<string>();
	const errors: SemanticError[] = [];
	const files = probes.flatMap((p) => (p.event.kind === 'procfs' ? [{ p, e: p.event }] : []));
	for (const { p, e } of files) {
		const mode = e.write ? 'write' : 'read';
		const key = `${mode} ${e.path}`;
		if (seen.has(key)) errors.push(new SemanticError(`only one ${mode} procfs probe can exist for procfs path "${e.path}"`, p.tok));
		seen.add(key);
		const under = files.find((o) => o.e.path.startsWith(`${e.path}/`));
		if (under) errors.push(new SemanticError(`procfs path "${e.path}" is a file and a directory of "${under.e.path}"`, p.tok));
	}
	return errors;
}
