// The run conformance corpus (../shared/conformance/run) on the kmod
// runtime: every case compiled here by passes 1-4 for the VM's kernel
// (kbuild against its tree) and run in the VM through the agent over gRPC
// (mTLS), compared byte for byte with NAME.out (and NAME.err's lines) as
// test/run/conformance.test.ts does for bpf on this host. The set that must
// pass is the bpf runtime's PASSING list (test/run/corpus.ts). The rest is
// reported. The same boot serves probe-kinds.ts's tests (uprobes,
// tracepoint fields), which need a guest shell for their workloads.
import test from 'ava';
import path from 'node:path';
import { caseArgs, caseScheduler, corpusCases as cases, corpusDir as corpus, expectedOut, PASSING, stderrLacks } from '../run/corpus.js';
import { prepareVm, type VmKernel } from '../vm/vm-host.js';
import { argstrTests } from './argstr.js';
import { kernelLogTests } from './kernel-log.js';
import { tapsetFunctionTests } from './tapset-functions.js';
import { probeKindTests } from './probe-kinds.js';
import { guruModeTests } from './guru-mode.js';
import { userBuildIdTests } from './user-build-id.js';
import { VmFleet } from './vm-agent.js';

const fleet = new VmFleet();
let kernel: VmKernel;

test.before(async (t) => {
	t.timeout(900_000, 'first prepare downloads the kernel image; the agent bundle; boot under TCG on a busy machine');
	kernel = await prepareVm();
	fleet.prepare({ guestShell: true });
	await fleet.boot();
	// the VM's kernel profile, fetched once from its agent, lets compile -p4 -r resolve against it
	const hello = await fleet.run(['-e', 'probe begin { exit() }']);
	if (hello.status !== 0) throw new Error(`first run in the VM failed: ${hello.stderr}`);
});

test.after.always(() => fleet.close());

probeKindTests(fleet, () => kernel.release);
argstrTests(fleet, () => kernel.release);
userBuildIdTests(fleet, () => kernel.release);
guruModeTests(fleet);
kernelLogTests(fleet);
tapsetFunctionTests(fleet);

interface Outcome {
	ok: boolean;
	why: string;
}

async function runCase(name: string): Promise<Outcome> {
	const args = caseArgs(name);
	const file = path.join(corpus, `${name}.stp`);
	const built = await fleet.tapfleet(['compile', '-p4', '--runtime', 'kmod', '-r', kernel.release, file, ...args]);
	if (built.status !== 0) return { ok: false, why: `compile: ${built.stderr.slice(0, 600)}` };
	const r = await fleet.run(['--module', built.stdout.trim()]);
	const expected = expectedOut(name);
	const stdout = r.stdoutBytes.toString('latin1');
	if (stdout !== expected) return { ok: false, why: `stdout differs (status ${r.status}): ${JSON.stringify(stdout.slice(0, 200))} ${r.stderr.slice(0, 300)}` };
	const lacks = stderrLacks(name, file, r.stderr);
	return lacks ? { ok: false, why: lacks } : { ok: true, why: '' };
}

// Each case once, two at a time (kbuild is CPU-bound; the guest has one CPU).
const schedule = caseScheduler(2, runCase);

test('the corpus is here and the bpf PASSING list names its cases', (t) => {
	t.true(PASSING.length > 0);
	for (const name of PASSING) t.true(cases.includes(name), `${name} is not in the corpus`);
});

for (const name of PASSING) {
	test(`kmod run corpus: ${name}`, async (t) => {
		t.timeout(900_000, 'queued behind other cases');
		const o = await schedule(name);
		t.true(o.ok, o.why);
	});
}
