// The probe points the tapsets are built on (stap's derived_probe_builders):
// begin/end/error/never, timer.*, perf.type(N).config(M), kernel.trace,
// kernel.function / kprobe.function. Each resolves against the profile
// into concrete events and the target variables they offer.
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { ProbePoint, ProbePointComponent } from '../parse/ast.js';
import type { KernelProfile, Tracepoint, TracepointField } from '../profile/types.js';
import { noMatchError, SemanticError } from './diagnostics.js';
import { ElfError, type ElfFile, elfFile } from './elf-symbols.js';
import { globFiles } from './process-paths.js';
import { globMatch, isGlob } from './glob.js';
import { matchMarks } from './sdt-probes.js';
import { TracepointTargets } from './tracepoint-args.js';
import { FunctionArgs } from './function-args.js';
import { UserFunctionArgs } from './user-function-args.js';
import { matchProcfs, procfsTargets } from './procfs.js';
import type { ProbeEvent, TargetVar } from './program.js';

export interface PrimitiveMatch {
	readonly event: ProbeEvent;
	/** stap's pp() of the concrete point. */
	readonly point: string;
	/** The target variables available in this probe, by name with the dollar. */
	readonly targets: Map<string, TargetVar>;
}

/** First components of every primitive probe point (for "similar:" suggestions). */
/** stap's process(PATH|PID).X probes that follow a program's life rather than its code, and what to use instead. */
const PROCESS_LIFECYCLE: ReadonlyMap<string, string | null> = new Map([
	['begin', 'process.begin'],
	['end', 'process.end'],
	['syscall', 'syscall.* or kernel.trace("raw_syscalls:sys_enter")'],
	['thread', 'kprocess.start and kprocess.exit'],
	['insn', null],
]);

export const PRIMITIVE_HEADS = ['begin', 'end', 'error', 'never', 'timer', 'perf', 'kernel', 'kprobe', 'process', 'procfs'];

const TIMER_UNITS: Record<string, bigint> = {
	ns: 1n, nsec: 1n, us: 1000n, usec: 1000n, ms: 1000000n, msec: 1000000n, s: 1000000000n, sec: 1000000000n,
};

const sig = (c: ProbePointComponent): string => c.functor + (c.arg === null ? '' : c.arg.kind === 'literal_string' ? `("${c.arg.value}")` : `(${c.arg.value})`);
export const pointString = (pp: ProbePoint): string => pp.components.map(sig).join('.');

function numArg(c: ProbePointComponent, what: string): bigint {
	if (c.arg?.kind !== 'literal_number') throw new SemanticError(`expected a number argument for ${what}`, c.tok);
	return c.arg.value;
}

function strArg(c: ProbePointComponent, what: string): string {
	if (c.arg?.kind !== 'literal_string') throw new SemanticError(`expected a string argument for ${what}`, c.tok);
	return c.arg.value;
}

function noArg(c: ProbePointComponent): boolean {
	return c.arg === null;
}

const HZ_DEFAULT = 250n;

/** Try the primitives; null when none has this shape (then aliases or an error decide). */
export function matchPrimitive(pp: ProbePoint, profile: KernelProfile): PrimitiveMatch[] | null {
	const c = pp.components;
	const head = c[0]!;
	const n = c.length;
	const simple = (event: ProbeEvent): PrimitiveMatch[] => [{ event, point: pointString(pp), targets: new Map() }];
	switch (head.functor) {
		case 'begin': case 'end': case 'error':
			if (n !== 1) return null;
			return simple({ kind: head.functor, priority: head.arg === null ? 0n : numArg(head, head.functor) });
		case 'never':
			return n === 1 && noArg(head) ? simple({ kind: 'never' }) : null;
		case 'timer':
			return matchTimer(pp, profile);
		case 'perf':
			return matchPerf(pp);
		case 'procfs': {
			const event = matchProcfs(pp);
			return event && [{ event, point: pointString(pp), targets: procfsTargets(event) }];
		}
		case 'kernel':
			if (n === 2 && c[1]!.functor === 'trace') return matchTrace(strArg(c[1]!, 'kernel.trace'), c[1]!, profile);
			if (c[1]?.functor === 'function' && functionEnd(c) !== null) {
				return matchKprobe(pp, strArg(c[1]!, 'kernel.function'), functionEnd(c) === 'return', profile);
			}
			return null;
		case 'kprobe':
			if ((n === 2 || (n === 3 && c[2]!.functor === 'return')) && c[1]!.functor === 'function') {
				return matchKprobe(pp, strArg(c[1]!, 'kprobe.function'), n === 3, profile);
			}
			return null;
		case 'process': {
			if (head.arg !== null && c[1] && PROCESS_LIFECYCLE.has(c[1].functor)) {
				// stap's task-finder probes of one program or pid: not here (the tapset's process.* are every process's)
				const instead = PROCESS_LIFECYCLE.get(c[1].functor);
				throw new SemanticError(
					`${pointString(pp)}: probes of one program's or process's ${c[1].functor} are not supported by tapfleet` +
						(instead ? `; use ${instead} (every process's) with a condition on execname() or pid()` : ''),
					c[1].tok,
				);
			}
			if (head.arg?.kind !== 'literal_string') return null;
			const file = head.arg.value;
			if (c[1]?.functor === 'function' && functionEnd(c) !== null) {
				const fn = strArg(c[1]!, 'process.function');
				return userElfs(file, pp).flatMap(([elf, path]) => matchUprobe(elf, path, fn, functionEnd(c) === 'return', pp, profile, !isGlob(file)));
			}
			const mark = n === 2 && c[1]!.functor === 'mark' ? { provider: null, name: strArg(c[1]!, 'process.mark') }
				: n === 3 && c[1]!.functor === 'provider' && c[2]!.functor === 'mark' ? { provider: strArg(c[1]!, 'process.provider'), name: strArg(c[2]!, 'process.mark') }
				: null;
			if (!mark) return null;
			// a wildcard path: the files that have markers (one without is an error only when named alone)
			const elfs = userElfs(file, pp);
			const marked = isGlob(file) ? elfs.filter(([elf]) => elf.markers.length > 0) : elfs;
			if (marked.length === 0) throw new SemanticError(`no file matching '${file}' has SDT markers`, head.tok);
			return marked.flatMap(([elf, path]) => matchMarks(elf, path, mark.provider, mark.name, pp, profile));
		}
		default:
			return null;
	}
}

/**
 * Which end of a function `X.function("F")[.call|.return]` probes: `.call`
 * is its entry where it is not inlined, which without debuginfo is every
 * entry tapfleet sees (the symbol table's). Null for another suffix.
 */
function functionEnd(c: readonly ProbePointComponent[]): 'entry' | 'return' | null {
	if (c.length === 2) return 'entry';
	if (c.length !== 3) return null;
	return c[2]!.functor === 'return' ? 'return' : c[2]!.functor === 'call' ? 'entry' : null;
}

/** A program name as stap resolves it: absolute paths as they are, others through $PATH. */
function resolveExecutable(name: string): string {
	if (name.includes('/')) return path.resolve(name);
	for (const dir of (process.env.PATH ?? '').split(':')) {
		const full = path.join(dir || '.', name);
		if (existsSync(full)) return full;
	}
	return name;
}

/**
 * The ELF files process("FILE") names (through $PATH, links resolved), with
 * their canonical paths: one, or with wildcards in an absolute path every
 * ELF file they match (others are skipped; none at all is an error).
 */
function userElfs(file: string, pp: ProbePoint): [ElfFile, string][] {
	const tok = pp.components[0]!.tok;
	if (!isGlob(file) || !file.startsWith('/')) {
		// a bare name is a program on $PATH, as stap looks it up
		if (!file.includes('/') && resolveExecutable(file) === file) throw new SemanticError(`cannot find executable '${file}' in $PATH`, tok);
		try {
			const canonical = realpathSync(resolveExecutable(file));
			return [[elfFile(canonical), canonical]];
		} catch (e) {
			throw new SemanticError(`cannot read the symbols of '${file}': ${(e as Error).message}`, tok);
		}
	}
	let paths: string[];
	try {
		paths = globFiles(file);
	} catch (e) {
		throw new SemanticError((e as Error).message, tok);
	}
	const elfs = paths.flatMap((p): [ElfFile, string][] => {
		try {
			return [[elfFile(p), p]];
		} catch (e) {
			if (e instanceof ElfError) return []; // a script, a linker script (libc.so), data
			throw e;
		}
	});
	if (elfs.length === 0) throw new SemanticError(`no ELF file matches '${file}'`, tok);
	return elfs;
}

/** @param alone whether the file was named without wildcards (a miss is then an error that can suggest names) */
function matchUprobe(elf: ElfFile, canonical: string, pattern: string, isReturn: boolean, pp: ProbePoint, profile: KernelProfile, alone: boolean): PrimitiveMatch[] {
	const cap = profile.capabilities.uprobe;
	if (!cap.available && !profile.runtimes.kmod.available) {
		throw new SemanticError(`process(...).function probes need uprobes, which kernel ${profile.release} does not have${cap.reason ? ` (${cap.reason})` : ''}`, pp.components[0]!.tok);
	}
	const found = elf.functions.filter((f) => globMatch(pattern, f.name));
	// one named function of one named file: say what the file has instead
	if (found.length === 0 && alone && !isGlob(pattern)) {
		throw noMatchError('function', pattern, elf.functions.map((f) => f.name), pp.components[1]!.tok);
	}
	return found.map((f) => {
		const targets = new Map<string, TargetVar>();
		if (isReturn) targets.set('$return', { kind: 'target', name: '$return', type: 'long', cType: 'long', pointer: false, source: { kind: 'return_value' } });
		for (let i = 0; i < 6; i++) {
			targets.set(`$arg${i + 1}`, { kind: 'target', name: `$arg${i + 1}`, type: 'long', cType: 'long', pointer: false, source: { kind: 'arg', index: i } });
		}
		return {
			event: { kind: 'uprobe', path: canonical, symbol: f.name, offset: f.fileOffset, isReturn, file: elf.identity },
			point: `process("${canonical}").function("${f.name}")${isReturn ? '.return' : ''}`,
			targets: new UserFunctionArgs(targets, canonical, f.address, f.name),
		};
	});
}

function matchTimer(pp: ProbePoint, profile: KernelProfile): PrimitiveMatch[] | null {
	const c = pp.components;
	if (c.length === 2 && c[1]!.functor === 'profile' && noArg(c[1]!)) {
		return [{ event: { kind: 'profile' }, point: pointString(pp), targets: new Map() }];
	}
	if (c.length < 2 || c.length > 3) return null;
	const unit = c[1]!;
	let interval: bigint;
	const hz = BigInt(profile.config.CONFIG_HZ ?? HZ_DEFAULT);
	if (unit.functor in TIMER_UNITS) interval = numArg(unit, `timer.${unit.functor}`) * TIMER_UNITS[unit.functor]!;
	else if (unit.functor === 'hz') {
		const f = numArg(unit, 'timer.hz');
		if (f <= 0n) throw new SemanticError('timer.hz requires a positive frequency', unit.tok);
		interval = 1000000000n / f;
	} else if (unit.functor === 'jiffies') interval = numArg(unit, 'timer.jiffies') * (1000000000n / hz);
	else return null;
	if (interval <= 0n) throw new SemanticError('interval must be positive', unit.tok);
	let randomize = 0n;
	if (c.length === 3) {
		if (c[2]!.functor !== 'randomize') return null;
		const scale = unit.functor === 'jiffies' ? 1000000000n / hz : unit.functor === 'hz' ? 1n : TIMER_UNITS[unit.functor]!;
		randomize = numArg(c[2]!, 'randomize') * scale;
		if (randomize < 0n || randomize > interval) throw new SemanticError('randomization must not exceed the interval', c[2]!.tok);
	}
	return [{ event: { kind: 'timer', intervalNs: interval, randomizeNs: randomize }, point: pointString(pp), targets: new Map() }];
}

function matchPerf(pp: ProbePoint): PrimitiveMatch[] | null {
	const c = pp.components;
	if (c.length < 3 || c[1]!.functor !== 'type' || c[2]!.functor !== 'config') return null;
	let period: bigint | null = null;
	let frequency: bigint | null = null;
	let processName: string | null = null;
	for (const extra of c.slice(3)) {
		if (extra.functor === 'sample') period = numArg(extra, 'perf sample');
		else if (extra.functor === 'hz') frequency = numArg(extra, 'perf hz');
		else if (extra.functor === 'process') processName = extra.arg === null ? '' : strArg(extra, 'perf process');
		else return null;
	}
	if (period === null && frequency === null) period = 1000000n;
	return [{
		event: {
			kind: 'perf', type: Number(numArg(c[1]!, 'perf type')), config: numArg(c[2]!, 'perf config'),
			samplePeriod: period, sampleFrequency: frequency, process: processName,
		},
		point: pointString(pp), targets: new Map(),
	}];
}

/** The script-visible type of a tracepoint field. */
export function fieldTarget(f: TracepointField, name = '$' + f.name): TargetVar | null {
	const dataLoc = f.type.startsWith('__data_loc ');
	const charArray = /^(const )?(unsigned )?char\[\d*\]$/.test(f.type) || (dataLoc && /char\[\]$/.test(f.type));
	if (charArray) return { kind: 'target', name, type: 'string', cType: f.type, pointer: false, source: { kind: 'tracepoint_field', field: f, dataLoc, charArray: true } };
	if (dataLoc || f.type.includes('[') || f.size > 8) return null;
	return { kind: 'target', name, type: 'long', cType: f.type, pointer: f.type.includes('*'), source: { kind: 'tracepoint_field', field: f, dataLoc: false, charArray: false } };
}

/** $field for each field; on syscall tracepoints also $return (exit) and on raw ones $syscall/$args[N]. */
export function tracepointTargets(tp: Tracepoint): Map<string, TargetVar> {
	const m = new Map<string, TargetVar>();
	for (const f of tp.fields) {
		if (f.name === '__syscall_nr') continue;
		const t = fieldTarget(f);
		if (t) m.set(t.name, t);
	}
	const ret = tp.fields.find((f) => f.name === 'ret');
	const isSyscall = tp.system === 'syscalls' || tp.system === 'raw_syscalls';
	if (isSyscall && ret) m.set('$return', { ...fieldTarget(ret)!, name: '$return' });
	if (tp.system === 'raw_syscalls') {
		const id = tp.fields.find((f) => f.name === 'id');
		if (id) m.set('$syscall', { ...fieldTarget(id)!, name: '$syscall' });
		if (tp.name === 'sys_enter') {
			for (let i = 0; i < 6; i++) {
				m.set(`$arg${i + 1}`, { kind: 'target', name: `$arg${i + 1}`, type: 'long', cType: 'unsigned long', pointer: false, source: { kind: 'arg', index: i } });
			}
		}
	}
	return m;
}

function matchTrace(pattern: string, comp: ProbePointComponent, profile: KernelProfile): PrimitiveMatch[] {
	const colon = pattern.indexOf(':');
	const sysPat = colon >= 0 ? pattern.slice(0, colon) : '*';
	const evPat = colon >= 0 ? pattern.slice(colon + 1) : pattern;
	const out: PrimitiveMatch[] = [];
	const exact = colon >= 0 && !isGlob(pattern) ? tracepointIndex(profile).get(pattern) : undefined;
	for (const tp of exact ? [exact] : profile.tracepoints) {
		if (!globMatch(sysPat, tp.system) || !globMatch(evPat, tp.name)) continue;
		out.push({
			event: { kind: 'tracepoint', system: tp.system, event: tp.name, tracepoint: tp },
			point: `kernel.trace("${tp.system}:${tp.name}")`,
			targets: new TracepointTargets(tracepointTargets(tp), tp, profile),
		});
	}
	if (out.length === 0 && !isGlob(pattern)) {
		const names = colon >= 0 ? profile.tracepoints.map((tp) => `${tp.system}:${tp.name}`) : profile.tracepoints.map((tp) => tp.name);
		throw noMatchError('tracepoint', pattern, names, comp.tok);
	}
	return out;
}

const indexes = new WeakMap<KernelProfile, Map<string, Tracepoint>>();

/** "system:event" → tracepoint, built once per profile. */
function tracepointIndex(profile: KernelProfile): Map<string, Tracepoint> {
	let m = indexes.get(profile);
	if (!m) {
		m = new Map(profile.tracepoints.map((tp) => [`${tp.system}:${tp.name}`, tp]));
		indexes.set(profile, m);
	}
	return m;
}

function matchKprobe(pp: ProbePoint, pattern: string, isReturn: boolean, profile: KernelProfile): PrimitiveMatch[] {
	const cap = profile.capabilities.kprobe;
	if (!cap.available && !profile.runtimes.kmod.available) {
		const why = cap.reason ? ` (${cap.reason})` : '';
		throw new SemanticError(
			`${pp.components[0]!.functor}.function probes need kprobes, which kernel ${profile.release} does not have${why}; `
			+ 'use a tracepoint instead (tapfleet list \'kernel.trace("*")\')', pp.components[0]!.tok);
	}
	const pool = profile.symbols.traceable ?? profile.symbols.functions;
	const names = pattern.includes('*') || pattern.includes('?') || pattern.includes('[')
		? pool.filter((s) => globMatch(pattern, s))
		: (binaryHas(pool, pattern) ? [pattern] : []);
	if (names.length === 0 && !isGlob(pattern)) throw noMatchError('function', pattern.replace(/@.*$/, ''), pool, pp.components[1]!.tok);
	const head = pp.components[0]!.functor;
	return names.map((symbol) => {
		const targets = new Map<string, TargetVar>();
		if (isReturn) targets.set('$return', { kind: 'target', name: '$return', type: 'long', cType: 'long', pointer: false, source: { kind: 'return_value' } });
		return {
			event: { kind: 'kprobe', symbol, offset: 0n, isReturn },
			point: `${head}.function("${symbol}")${isReturn ? '.return' : ''}`,
			targets: new FunctionArgs(targets, symbol, profile),
		};
	});
}

function binaryHas(sorted: readonly string[], s: string): boolean {
	let lo = 0;
	let hi = sorted.length - 1;
	while (lo <= hi) {
		const mid = (lo + hi) >> 1;
		const v = sorted[mid]!;
		if (v === s) return true;
		if (v < s) lo = mid + 1;
		else hi = mid - 1;
	}
	return sorted.includes(s);
}
