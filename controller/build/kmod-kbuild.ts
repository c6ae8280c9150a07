// The kbuild step of the kmod runtime: one generated C file plus the kmod
// runtime (runtime-c/kmod/tap_kmod_runtime.c, which pulls in
// runtime-c/common) become one kernel module, built against a kernel tree
// (/lib/modules/RELEASE/build or --kernel-tree DIR) with -Werror. The
// tree's build-id is compiled in: the module refuses to start on any other
// kernel build, and modinfo shows it (build_id:).
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ModuleFile } from '../module/manifest.js';
import { BuildError, compilerError, runtimeDir, sha256 } from './toolchain.js';

export const kmodRuntimeIncludes = [join(runtimeDir, 'kmod'), join(runtimeDir, 'common')];

export interface KbuildRequest {
	/** The generated C file (pass 3 for kmod). */
	source: string;
	/** Kernel module name: tapfleet_[a-z0-9_]+ (stale-module cleanup relies on the prefix). */
	name: string;
	/** The kernel tree: a directory with kbuild's Makefile (/lib/modules/REL/build). */
	tree: string;
	/** GNU build-id of the tree's kernel image, lowercase hex. */
	buildId: string;
	/** sha256 of the script, for modinfo. */
	scriptHash?: string;
	/** -D NAME=VALUE (build-time limits such as MAXACTION). */
	defines?: Record<string, string | number>;
	/** Scratch directory for kbuild (its files stay for inspection). */
	workDir: string;
}

const MODULE_NAME_RE = /^tapfleet_[a-z0-9_]{1,46}$/;
const BUILD_ID_RE = /^[0-9a-f]{8,128}$/;

/** The Kbuild file: the module is the script plus the runtime. */
function kbuildFile(req: KbuildRequest, sourceObject: string): string {
	const flags = [...kmodRuntimeIncludes.map((d) => `-I${d}`), '-Werror', `-DTAP_BUILD_ID='"${req.buildId}"'`];
	if (req.scriptHash) flags.push(`-DTAP_SCRIPT_HASH='"${req.scriptHash}"'`);
	for (const k of Object.keys(req.defines ?? {}).sort()) {
		const v = String(req.defines![k]);
		if (!/^[A-Z_][A-Z0-9_]*$/.test(k) || !/^[0-9]+$/.test(v)) throw new BuildError(`-D ${k}=${v}: the kmod runtime takes numeric limits only`);
		flags.push(`-D${k}=${v}`);
	}
	// the script's own C only: a script's `x == x` is C's self-comparison, which -Werror would refuse
	const scriptFlags = `CFLAGS_${sourceObject} := -Wno-tautological-compare`;
	return [`obj-m := ${req.name}.o`, `${req.name}-y := ${sourceObject} tap_kmod_runtime.o`, `ccflags-y := ${flags.join(' ')}`, scriptFlags, ''].join('\n');
}

function make(args: string[], copied: string, original: string): Promise<void> {
	return new Promise((resolve, reject) => {
		execFile('make', args, { maxBuffer: 16 * 1024 * 1024 }, (err, _stdout, stderr) => {
			if (!err) return resolve();
			if ((err as NodeJS.ErrnoException).code === 'ENOENT') return reject(new BuildError('make is not installed (kbuild needs make and gcc)'));
			// kbuild's own messages (compiler errors with file:line:col) are the diagnosis
			// messages name the generated file where it is, not kbuild's copy
			reject(compilerError('kbuild', (stderr || err.message).split(copied).join(original)));
		});
	});
}

/** Builds WORK_DIR/NAME.ko and returns its manifest entry (role kernel-module). */
export async function kbuildModule(req: KbuildRequest): Promise<ModuleFile> {
	if (!MODULE_NAME_RE.test(req.name)) throw new BuildError(`kernel module name ${JSON.stringify(req.name)}: must match ${MODULE_NAME_RE.source}`);
	if (!BUILD_ID_RE.test(req.buildId)) throw new BuildError(`build-id ${JSON.stringify(req.buildId)}: expected lowercase hex`);
	if (!existsSync(join(req.tree, 'Makefile'))) throw new BuildError(`${req.tree}: not a kernel tree (no Makefile; install linux-headers-RELEASE or pass --kernel-tree)`);
	mkdirSync(req.workDir, { recursive: true });
	// the generated file under a name that cannot collide with the module's
	const sourceBase = `script_${basename(req.source).replace(/[^A-Za-z0-9_]/g, '_').replace(/_c$/, '')}`;
	copyFileSync(req.source, join(req.workDir, `${sourceBase}.c`));
	copyFileSync(join(runtimeDir, 'kmod', 'tap_kmod_runtime.c'), join(req.workDir, 'tap_kmod_runtime.c'));
	writeFileSync(join(req.workDir, 'Kbuild'), kbuildFile(req, `${sourceBase}.o`));
	await make(['-s', '-C', req.tree, `M=${req.workDir}`, 'modules'], join(req.workDir, `${sourceBase}.c`), req.source);
	const file = `${req.name}.ko`;
	const data = readFileSync(join(req.workDir, file));
	return { name: file, role: 'kernel-module', size: data.length, sha256: sha256(data) };
}
