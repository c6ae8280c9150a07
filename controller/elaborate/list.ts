// `tapfleet list PATTERN` / `list -L PATTERN` (stap -l / -L): the probe
// points of the target kernel that match a pattern, each once, sorted; with
// -L also the variables a handler can use there: the alias's locals
// (name:type) and the target variables ($name:C type; a tracepoint's
// TP_PROTO arguments, then its fields). Where a name expands
// to several probes (syscall.open: open, openat, openat2) only the
// variables they all have are shown, as stap does.
import { elfFile } from './elf-symbols.js';
import { functionTargetList } from './function-args.js';
import { MarkTargets } from './sdt-probes.js';
import { newSession, parseFile } from '../parse/index.js';
import type { KernelProfile, Tracepoint } from '../profile/types.js';
import { profileToPreprocessorTarget } from '../profile/preprocessor-target.js';
import { runPass2 } from './index.js';
import { tracepointTargets } from './primitives.js';
import type { ConcreteProbe } from './program.js';
import { btfOf, protoParams } from './tracepoint-args.js';

export interface ListResult {
	readonly stdout: string;
	readonly stderr: string;
	readonly ok: boolean;
}

export function listProbes(pattern: string, profile: KernelProfile, withVars: boolean): ListResult {
	// A wildcard lists what resolves here, as stap -l does: an alias it matches that
	// this kernel cannot have (tcp.* needs kprobes) is left out, not the whole list.
	// Nothing at all: the pattern as given, for the error that says why.
	if (pattern.includes('*') && !/[?!]\s*$/.test(pattern)) {
		const some = listOnce(`${pattern} ?`, profile, withVars);
		if (some.ok && some.stdout) return some;
	}
	return listOnce(pattern, profile, withVars);
}

function listOnce(pattern: string, profile: KernelProfile, withVars: boolean): ListResult {
	const session = newSession(profileToPreprocessorTarget(profile));
	const text = `probe ${pattern} {}\n`;
	const file = parseFile(session, { name: '<list>', contents: text, synthetic: false }, {
		privileged: false, userFile: true, autoPath: false, errorsAsWarnings: false, checkCompatible: true,
	});
	if (!file) return { stdout: '', stderr: session.diags.render(), ok: false };
	const { program } = runPass2({ profile, session, userFiles: [file], keepUnused: true });
	if (!program) return { stdout: '', stderr: session.diags.render(), ok: false };
	const byName = new Map<string, string[][]>();
	for (const p of program.probes) {
		if (entrySide(p)) continue;
		const vars = withVars
			// pass 2's own locals (the @entry values a return probe takes over) are not the alias's
			? [...p.locals.filter((l) => !l.name.startsWith('__tapfleet_')).map((l) => `${l.name}:${l.type}`), ...targetVarsOf(p, profile)]
			: [];
		const list = byName.get(p.named) ?? [];
		list.push(vars);
		byName.set(p.named, list);
	}
	const names = [...byName.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
	const lines = names.map((n) => {
		if (!withVars) return n;
		const sets = byName.get(n)!;
		const common = sets[0]!.filter((v) => sets.every((s) => s.includes(v)));
		return [n, ...new Set(common)].join(' ');
	});
	return { stdout: lines.map((l) => l + '\n').join(''), stderr: session.diags.render(), ok: true };
}

/** The entry probe pass 2 adds to a return probe for its @entry values: no probe point of its own. */
function entrySide(p: ConcreteProbe): boolean {
	return (p.event.kind === 'kprobe' || p.event.kind === 'uprobe') && !p.event.isReturn && /\.return$/.test(p.named);
}

/** Every target variable of the probe's event (not only those the body used), as $name:ctype. */
function targetVarsOf(p: ConcreteProbe, profile: KernelProfile): string[] {
	const e = p.event;
	if (e.kind === 'tracepoint') return tracepointTargetList(e.tracepoint, profile);
	// an SDT marker's arguments, as its note gives them (stap -L: $arg1:long ...)
	if (e.kind === 'uprobe' && !e.symbol) {
		const marker = elfFile(e.path).markers.find((m) => m.fileOffset === e.offset);
		return marker ? [...new MarkTargets(marker).values()].map((t) => `${t.name}:${t.cType}`) : [];
	}
	if (e.kind === 'kprobe') return functionTargetList(e.symbol, e.isReturn, profile);
	return p.targetVars.map((t) => `${t.name}:${t.cType}`);
}

/**
 * A tracepoint's variables: its TP_PROTO arguments first, as stap lists
 * them (`$prev:struct task_struct*`; read on the kmod runtime, with their
 * members), then its format file's fields (`$prev_pid:pid_t`; both
 * runtimes). Where an argument has a field's name, the field wins, as in
 * scripts (tracepoint-args.ts).
 */
function tracepointTargetList(tp: Tracepoint, profile: KernelProfile): string[] {
	const fields = [...tracepointTargets(tp).values()].map((t) => `${t.name}:${t.cType}`);
	const btf = btfOf(profile);
	const params = btf ? protoParams(btf, tp) : [];
	if (typeof params === 'string' || !btf) return fields;
	const taken = new Set([...tracepointTargets(tp).keys()].map((k) => k.replace(/^\$/, '')));
	return [...params.filter((a) => !taken.has(a.name)).map((a) => `$${a.name}:${btf.cName(a.type)}`), ...fields];
}

