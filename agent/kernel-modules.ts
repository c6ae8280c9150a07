// The kernel modules of kmod sessions, as the running kernel shows them.
// A kmod session's taprun loads `tapfleet_NAME` and unloads it when the
// session ends; a taprun killed with SIGKILL cannot, and its module stays
// loaded (its probes firing) with no reader. The module records the pid of
// the process that loaded it (`owner=` in /proc/NAME/ctl), so a restarted
// agent can tell which modules nobody owns any more and remove them.
// (The bpf runtime needs nothing of the kind: taprun pins no BPF object, so
// its programs, links and maps live only as long as its descriptors, and
// the kernel releases them when it dies, however it dies.)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Every tapfleet kernel module starts so (controller/build/kmod-module.ts names them; taprun relies on it too). */
const MODULE_PREFIX = 'tapfleet_';

export interface LoadedModule {
	name: string;
	/** The process that loaded it (its taprun), or 0 when the module does not say. */
	owner: number;
}

/** tapfleet modules in /proc/modules (none on a kernel without loadable modules). */
export function loadedTapfleetModules(procModules = '/proc/modules'): LoadedModule[] {
	let text: string;
	try {
		text = readFileSync(procModules, 'utf8');
	} catch {
		return [];
	}
	const modules: LoadedModule[] = [];
	for (const line of text.split('\n')) {
		const name = line.split(' ', 1)[0]!;
		if (name.startsWith(MODULE_PREFIX)) modules.push({ name, owner: moduleOwner(name) });
	}
	return modules;
}

function moduleOwner(name: string): number {
	try {
		const m = /\bowner=(\d+)/.exec(readFileSync(`/proc/${name}/ctl`, 'utf8'));
		return m ? Number(m[1]) : 0;
	} catch {
		return 0;
	}
}

export function isModuleLoaded(name: string, procModules = '/proc/modules'): boolean {
	return loadedTapfleetModules(procModules).some((m) => m.name === name);
}

/**
 * Unloads a module with `rmmod` (Node cannot call delete_module; every
 * host that loads modules has rmmod: kmod, or busybox). A session still
 * running in it stops without end probes: there is no reader for their
 * output. Resolves undefined when the module is gone, else why not.
 */
export function removeKernelModule(name: string): Promise<string | undefined> {
	const PATH = [process.env.PATH, '/usr/sbin', '/sbin', '/usr/bin', '/bin'].filter(Boolean).join(':');
	return new Promise((resolve) => {
		const child = spawn('rmmod', [name], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PATH } });
		let stderr = '';
		child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
		child.on('error', (e) => resolve(`cannot run rmmod: ${e.message}`));
		child.on('close', (code) => {
			if (!isModuleLoaded(name)) resolve(undefined);
			else resolve(`rmmod ${name} failed (status ${code}): ${stderr.trim() || 'no message'}`);
		});
	});
}
