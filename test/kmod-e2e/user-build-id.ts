// The kmod runtime's guard against another build of a probed user-space
// file, in the VM through the agent over gRPC, registered into
// conformance.test.ts's boot like probe-kinds.ts: a module compiled here
// for a copy of this machine's libc at a path of its own is refused by the
// guest's taprun when the guest has another ELF file at that path (stap's
// "Build-id mismatch"), with no module loaded; with the same libc there it
// loads, registers the uprobe and runs.
import test from 'ava';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { elfBuildId } from '../../controller/module/user-files.js';
import { guestExec } from '../vm/vm-host.js';
import type { VmFleet } from './vm-agent.js';

/** The same path here and in the guest; here a copy of libc. */
const DIR = `/tmp/tapfleet-build-id-vm-${process.pid}`;
const PROBED = `${DIR}/libprobed.so`;
const HOST_LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';

async function guestSh(fleet: VmFleet, command: string): Promise<string> {
	const r = await guestExec(fleet.shellPort, ['sh', '-c', command]);
	if (r.status !== 0) throw new Error(`guest: ${command}: ${r.stderr}`);
	return r.stdout.toString();
}

export function userBuildIdTests(fleet: VmFleet, release: () => string): void {
	test.after.always(() => rmSync(DIR, { recursive: true, force: true }));
	test.serial('kmod uprobes: a module compiled for one build of a library is refused where the path holds another, and runs where it holds the same', async (t) => {
		t.timeout(900_000);
		mkdirSync(DIR, { recursive: true });
		copyFileSync(HOST_LIBC, PROBED);
		const built = await fleet.tapfleet(['compile', '-p4', '--runtime', 'kmod', '-r', release(), '-e',
			`probe process("${PROBED}").function("setpriority") { println("never") } probe begin { println("started") exit() }`]);
		t.is(built.status, 0, built.stderr);
		const moduleDir = built.stdout.trim();
		const libcId = elfBuildId(readFileSync(HOST_LIBC))!;

		// libm where the module expects libc: refused before insmod
		await guestSh(fleet, `mkdir -p ${DIR} && cp /lib/x86_64-linux-gnu/libm.so.6 ${PROBED}`);
		const refused = await fleet.run(['--module', moduleDir], 300_000);
		t.not(refused.status, 0, refused.stdout);
		t.regex(refused.stderr, new RegExp(`ERROR: Build-id mismatch: "${PROBED}" \\(0x[0-9a-f]+ vs 0x${libcId}\\)`), refused.stderr);
		t.is(refused.stdout, '');
		t.false((await guestSh(fleet, 'cat /proc/modules')).includes('tapfleet_'), 'a module stayed loaded');

		// the same libc: it loads and runs
		await guestSh(fleet, `cp /lib/x86_64-linux-gnu/libc.so.6 ${PROBED}`);
		const ran = await fleet.run(['--module', moduleDir], 300_000);
		t.is(ran.status, 0, ran.stderr);
		t.is(ran.stdout, 'started\n');
	});
}
