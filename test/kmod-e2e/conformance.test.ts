// The run conformance corpus (../shared/conformance/run) on the kmod
// runtime: every case compiled here by passes 1-4 for the VM's kernel
// (kbuild against its tree) and run in the VM through the agent over gRPC
// (mTLS), compared byte for byte with NAME.out (and NAME.err's lines) as
// test/run/conformance.test.ts does for bpf on this host. The set that must
// pass is the bpf runtime's: its PASSING list, read from that test file
// (importing it would register its tests here). The rest is reported.
import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../controller/build/toolchain.js';
import { prepareVm, type VmKernel } from '../vm/vm-host.js';
import { VmFleet } from './vm-agent.js';

const corpus = path.join(repoRoot, '../shared/conformance/run');
const cases = existsSync(corpus) ? readdirSync(corpus).filter((f) => f.endsWith('.stp')).map((f) => f.slice(0, -4)).sort() : [];

/** The bpf runtime's passing cases, from the PASSING list in test/run/conformance.test.ts. */
function bpfPassing(): string[] {
	const text = readFileSync(path.join(repoRoot, 'test', 'run', 'conformance.test.ts'), 'utf8');
	const list = /export const PASSING: readonly string\[\] = \[([^\]]*)\]/.exec(text);
	if (!list) throw new Error('test/run/conformance.test.ts: no PASSING list');
	return [...list[1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
}
const PASSING = bpfPassing();

const fleet = new VmFleet();
let kernel: VmKernel;

test.before(async (t) => {
	t.timeout(900_000, 'first prepare downloads the kernel image; the agent bundle; boot under TCG on a busy machine');
	kernel = await prepareVm();
	fleet.prepare();
	await fleet.boot();
	// the VM's kernel profile, fetched once from its agent, lets compile -p4 -r resolve against it
	const hello = await fleet.run(['-e', 'probe begin { exit() }']);
	if (hello.status !== 0) throw new Error(`first run in the VM failed: ${hello.stderr}`);
});

test.after.always(() => fleet.close());

/** Shell words of NAME.args (single quotes, double quotes, bare words), as the bpf corpus test reads them. */
function shellWords(line: string): string[] {
	const words: string[] = [];
	const re = /'([^']*)'|"((?:\\.|[^"\\])*)"|(\S+)/g;
	for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] ?? m[2]?.replace(/\\(.)/g, '$1') ?? m[3]!);
	return words;
}

interface Outcome {
	ok: boolean;
	why: string;
}

/** NAME.err's lines must appear in stderr, in order, as line prefixes. */
function stderrLacks(name: string, file: string, stderr: string): string | null {
	const errFile = path.join(corpus, `${name}.err`);
	if (!existsSync(errFile)) return null;
	const lines = stderr.split('\n');
	let at = 0;
	for (const want of readFileSync(errFile, 'latin1').split('\n').filter((l) => l.length > 0)) {
		const prefix = want.replace(/\{FILE\}/g, file);
		while (at < lines.length && !lines[at]!.startsWith(prefix)) at++;
		if (at === lines.length) return `stderr lacks ${JSON.stringify(prefix)}`;
		at++;
	}
	return null;
}

async function runCase(name: string): Promise<Outcome> {
	const argsFile = path.join(corpus, `${name}.args`);
	const args = existsSync(argsFile) ? shellWords(readFileSync(argsFile, 'utf8').trim()) : [];
	const file = path.join(corpus, `${name}.stp`);
	const built = await fleet.tapfleet(['compile', '-p4', '--runtime', 'kmod', '-r', kernel.release, file, ...args]);
	if (built.status !== 0) return { ok: false, why: `compile: ${built.stderr.slice(0, 600)}` };
	const r = await fleet.run(['--module', built.stdout.trim()]);
	const expected = readFileSync(path.join(corpus, `${name}.out`), 'latin1');
	const stdout = Buffer.from(r.stdout, 'utf8').toString('latin1');
	if (stdout !== expected) return { ok: false, why: `stdout differs (status ${r.status}): ${JSON.stringify(stdout.slice(0, 200))} ${r.stderr.slice(0, 300)}` };
	const lacks = stderrLacks(name, file, r.stderr);
	return lacks ? { ok: false, why: lacks } : { ok: true, why: '' };
}

// Each case once, two at a time (kbuild is CPU-bound; the guest has one CPU).
const results = new Map<string, Promise<Outcome>>();
const waiting: (() => void)[] = [];
let running = 0;
function schedule(name: string): Promise<Outcome> {
	let p = results.get(name);
	if (!p) {
		p = (async () => {
			while (running >= 2) await new Promise<void>((r) => waiting.push(r));
			running++;
			try {
				return await runCase(name);
			} finally {
				running--;
				waiting.shift()?.();
			}
		})();
		results.set(name, p);
	}
	return p;
}

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
