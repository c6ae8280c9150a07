// `tapfleet compile -pN [-g] (-e SCRIPT | FILE) [ARGS...]`: run the compiler
// passes up to N and print the last one's result, like `stap -pN`.
// Pass 1 (parse) is implemented; later passes plug into PASSES below.
import { reportPasses } from '../../controller/util/pass-report.js';
import { fstatSync, readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { DEFAULT_TAPSET_DIR } from '../../controller/parse/library.js';
import { dumpParseTree, hostTarget, runPass1, type Pass1Result } from '../../controller/parse/index.js';
import { type Privilege, type Runtime, SYSTEMTAP_VERSION } from '../../controller/parse/target.js';
import { strverscmp } from '../../controller/parse/versions.js';
import { runLatePasses, type LatePassOptions } from '../../controller/build/script-pipeline.js';
import { parseDefines } from '../../controller/build/defines.js';
import { pass2FromCommandLine, pass2Outcome } from '../../controller/elaborate/outcome.js';
import { compileProfile } from '../../controller/elaborate/target-profile.js';
import type { KernelProfile } from '../../controller/profile/types.js';
import { chosenLatePasses, preprocessorRuntime, runtimeChoice, targetProfile, wantsRuntimeChoice } from './compile-runtime.js';
import { runtimeLine } from '../../controller/build/runtime-choice.js';
import { symbolFiles } from '../../controller/build/symbol-files.js';
import { withoutWarnings } from '../../controller/parse/diagnostics.js';

interface CompileOptions {
	pass: string;
	/** -v: each pass's line (stap -v) */
	v?: number;
	guru?: boolean;
	/** -w: no warnings (stap -w) */
	w?: boolean;
	e?: string;
	E: string[];
	I: string[];
	D: string[];
	/** -d FILE: symbols a kmod module carries */
	d: string[];
	R?: string;
	r?: string;
	a?: string;
	runtime?: Runtime | 'auto' | 'kmod';
	kernelTree?: string;
	compatible?: string;
	privilege?: Privilege;
	unprivileged?: boolean;
	m?: string;
	profile?: string;
}

/** What a pass run prints: its output, its diagnostics, and whether it succeeded. */
interface PassOutcome {
	readonly stdout: string;
	readonly stderr: string;
	readonly ok: boolean;
}

/** Pass N's printer, given pass 1's result. Passes 2..4 register here as they land. */
const PASSES: Record<number, (p1: Pass1Result, opts: CompileOptions) => PassOutcome | Promise<PassOutcome>> = {
	1: (p1) => ({
		stdout: p1.files ? dumpParseTree(p1.files) : '',
		stderr: p1.session.diags.render() + (p1.files ? '' : 'Pass 1: parse failed.  [man error::pass1]\n')
			+ p1.session.diags.suppressionNote(),
		ok: p1.files !== null,
	}),
	2: (p1, opts) => (opts.runtime === 'auto' || opts.runtime === 'kmod' || opts.kernelTree ? pass2WithRuntime(p1, opts) : pass2FromCommandLine(p1, opts.profile, !!opts.guru)),
	3: async (p1, opts) => {
		try {
			const late = { profile: await savedProfile(opts), symbolFiles: symbolFiles(opts.d) };
			return wantsRuntimeChoice(opts) ? latePassFor(p1, 3, opts, late) : latePass(p1, 3, late);
		} catch (e) {
			return { stdout: '', stderr: `tapfleet compile: ${(e as Error).message}\n`, ok: false };
		}
	},
	4: async (p1, opts) => {
		try {
			const late = { moduleName: opts.m, defines: parseDefines(opts.D), profile: await savedProfile(opts), symbolFiles: symbolFiles(opts.d) };
			return wantsRuntimeChoice(opts) ? latePassFor(p1, 4, opts, late) : latePass(p1, 4, late);
		} catch (e) {
			return { stdout: '', stderr: `tapfleet compile: ${(e as Error).message}\n`, ok: false };
		}
	},
};

/** --profile FILE: the kernel passes 2-4 build for (read once; compile() has checked it). */
function savedProfile(opts: CompileOptions): Promise<KernelProfile | undefined> {
	return opts.profile ? compileProfile(opts.profile) : Promise.resolve(undefined);
}

/** Passes 3 and 4 (controller/build/script-pipeline.ts): -p3 prints the C, -p4 the module directory. */
async function latePass(p1: Pass1Result, pass: 3 | 4, o: LatePassOptions): Promise<PassOutcome> {
	const r = await runLatePasses(p1, pass, o);
	const stdout = pass === 3 ? r.source ?? '' : r.moduleDir ? r.moduleDir + '\n' : '';
	return { stdout, stderr: r.stderr, ok: r.ok };
}

/** -p2 for --runtime auto|kmod or a --kernel-tree: against that kernel's profile, with the runtime line first. */
async function pass2WithRuntime(p1: Pass1Result, opts: CompileOptions): Promise<PassOutcome> {
	try {
		const profile = await targetProfile(opts);
		const line = runtimeLine(await runtimeChoice(opts, profile));
		const out = pass2Outcome(p1, profile, !!opts.guru);
		return { ...out, stderr: line + out.stderr };
	} catch (e) {
		return { stdout: '', stderr: `tapfleet compile: ${(e as Error).message}\n`, ok: false };
	}
}

/** -p3/-p4 through the runtime choice (kmod: kbuild against the tree). */
async function latePassFor(p1: Pass1Result, pass: 3 | 4, opts: CompileOptions, o: LatePassOptions): Promise<PassOutcome> {
	const r = await chosenLatePasses(p1, pass, opts, o, () => runLatePasses(p1, pass, o));
	const stdout = pass === 3 ? r.source ?? '' : r.moduleDir ? r.moduleDir + '\n' : '';
	return { stdout, stderr: r.stderr, ok: r.ok };
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function registerCompile(program: Command): void {
	program
		.command('compile')
		.description('run the compiler passes and print the result of the last one (like stap -pN)')
		.usage('-pN [options] (-e SCRIPT | FILE) [ARGS...]')
		.requiredOption('-p, --pass <N>', 'stop after pass N (1: parse tree dump)')
		.option('-g, --guru', 'guru mode: allow embedded C and guru-only operators')
		.option('-w', 'print no warnings (stap -w); errors still print')
		.option('-v', 'verbose, as stap -v: a line on stderr as each pass ends, with its memory and times (repeatable; more says no more)', (_: string, n: number) => n + 1, 0)
		.option('-e <script>', 'the script text (then every positional argument is a script argument)')
		.option('-E <script>', 'an additional script, parsed after the main one', collect, [])
		.option('-I <dir>', 'add a tapset directory (after the builtin one)', collect, [])
		.option('-D <name=value>', 'C preprocessor definition for the module (no effect on pass 1)', collect, [])
		.option('-d <file>', 'carry FILE\'s symbols to name user-space addresses in it, as stap\'s -d: kmod\'s frames, usymname() and the like on both runtimes (repeatable)', collect, [])
		.option('-R <dir>', 'runtime directory (no effect on pass 1)')
		.option('-r <release>', 'target kernel release (kernel_v, kernel_vr; default: this host)')
		.option('-a <arch>', 'target architecture (arch; default: this host)')
		.addOption(new Option('--runtime <mode>', 'target runtime: auto (kmod where modules load and a matching tree is here, else bpf), bpf, kmod (= kernel)').choices(['auto', 'bpf', 'kmod', 'kernel', 'dyninst']))
		.option('--kernel-tree <dir>', 'kmod: build against this kernel tree (default with -r: /lib/modules/RELEASE/build)')
		.option('--compatible <version>', 'hold the script to an older language version')
		.addOption(new Option('--privilege <level>', 'privilege level').choices(['stapdev', 'stapsys', 'stapusr']))
		.option('--unprivileged', 'same as --privilege=stapusr')
		.option('-m <name>', 'module name (pass 4; default tap_<script hash>)')
		.option('--profile <file>', 'build for the kernel of a saved profile (tapfleet profile -o, or --host for a remote one): its release for pass 1, its probes, its BTF (default: this host)')
		.argument('[args...]', 'FILE (unless -e) and then script arguments ($1, @1, ...)')
		.action(async (positional: string[], opts: CompileOptions) => {
			process.exitCode = await compile(positional, opts);
		});
}

async function compile(positional: string[], opts: CompileOptions): Promise<number> {
	if (opts.v) reportPasses(() => process.stderr);
	const lastPass = Number(opts.pass);
	if (!Number.isInteger(lastPass) || lastPass < 1 || lastPass > 5) {
		process.stderr.write(`tapfleet compile: invalid pass number '${opts.pass}' (1-5)\n`);
		return 1;
	}
	const printer = PASSES[lastPass];
	if (!printer) {
		process.stderr.write(`tapfleet compile: pass ${lastPass} is not implemented yet\n`);
		return 1;
	}
	const args = [...positional];
	let main: { name: string; text: string | null; inode?: string };
	if (opts.e !== undefined) {
		main = { name: '<input>', text: toBytes(opts.e) };
	} else {
		const file = args.shift();
		if (file === undefined) {
			process.stderr.write('tapfleet compile: a script is needed: -e SCRIPT or FILE\n');
			return 1;
		}
		main = file === '-' ? stdinScript() : { name: file, text: null };
	}
	const extra = opts.E.map((text, i) => ({ name: `<input${i + 1}>`, text: toBytes(text) }));
	// --profile FILE: that kernel is the target from pass 1 on (kernel_v, arch), unless -r/-a say otherwise
	let saved: KernelProfile | undefined;
	try {
		saved = lastPass > 1 ? await savedProfile(opts) : undefined;
	} catch (e) {
		process.stderr.write(`tapfleet compile: ${(e as Error).message}\n`);
		return 1;
	}
	// as stap: a language version newer than this one cannot be held to
	if (opts.compatible !== undefined && strverscmp(opts.compatible, SYSTEMTAP_VERSION) > 0) {
		process.stderr.write(`ERROR: systemtap version ${SYSTEMTAP_VERSION} cannot be compatible with future version ${opts.compatible}\n`);
		return 1;
	}
	const target = hostTarget({
		kernelRelease: opts.r ?? saved?.release, arch: opts.a ?? saved?.arch, runtime: preprocessorRuntime(opts.runtime), guruMode: !!opts.guru, compatible: opts.compatible,
		privilege: opts.unprivileged ? 'stapusr' : opts.privilege,
	});
	const p1 = runPass1({
		target, args: args.map(toBytes), includePaths: [DEFAULT_TAPSET_DIR, ...opts.I], scripts: [main, ...extra],
	});
	const out = await printer(p1, opts);
	// Diagnostics first: stap prints warnings while parsing, before the dump.
	const diagnostics = opts.w ? withoutWarnings(out.stderr) : out.stderr;
	if (diagnostics) process.stderr.write(Buffer.from(diagnostics, 'latin1'));
	if (out.stdout) process.stdout.write(Buffer.from(out.stdout, 'latin1'));
	return out.ok ? 0 : 1;
}

/** The script on standard input, with what stap checks of it: whether it is a library file. */
function stdinScript(): { name: string; text: string; inode?: string } {
	let inode: string | undefined;
	try {
		const st = fstatSync(0);
		inode = `${st.dev}:${st.ino}`;
	} catch {
		// no standard input to speak of: nothing to compare
	}
	return { name: '<input>', text: readFileSync(0, 'latin1'), inode };
}

/** Command-line text (UTF-16 in JS) as the byte string the lexer works on. */
function toBytes(s: string): string {
	return Buffer.from(s, 'utf8').toString('latin1');
}
