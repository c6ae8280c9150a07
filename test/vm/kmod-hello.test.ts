// The kmod path for real: a module kbuilt on this machine against the VM
// kernel's tree (/lib/modules/<rel>/build from linux-headers-amd64) loads in
// the VM's kernel, runs, and unloads.
import test from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { guestExec, Payload, prepareVm, VmHost, type VmKernel } from './vm-host.js';

const fixture = fileURLToPath(new URL('../../../test/vm/fixtures/hello', import.meta.url));
const buildDir = mkdtempSync(join(tmpdir(), 'tapfleet-hello-'));
const payload = new Payload();
let kernel: VmKernel;
let vm: VmHost;
let shell: number;

test.before(async (t) => {
	t.timeout(480_000, 'a first preparation downloads the kernel; TCG boots slowly on a loaded machine');
	kernel = await prepareVm();
	cpSync(fixture, buildDir, { recursive: true });
	// Plain kbuild: the module is not a tapfleet one (controller/build/kmod-kbuild.ts builds those).
	await promisify(execFile)('make', ['-s', '-C', kernel.tree, `M=${buildDir}`, 'modules']);
	payload.addFile(join(buildDir, 'tapfleet_hello.ko'), 'tapfleet_hello.ko');
	shell = payload.addGuestShell();
	vm = await VmHost.boot({ payload });
});

test.after.always(async () => {
	await vm?.shutdown();
	payload.remove();
	rmSync(buildDir, { recursive: true, force: true });
});

const run = (...argv: string[]) => guestExec(vm.ports[shell]!, argv);
const text = async (...argv: string[]) => (await run(...argv)).stdout.toString('utf8');

test('the module records the VM kernel as its target (vermagic)', (t) => {
	const ko = execFileSync('strings', [join(buildDir, 'tapfleet_hello.ko')], { encoding: 'utf8' });
	t.regex(ko, new RegExp(`^vermagic=${kernel.release.replace(/\./g, '\\.')} SMP `, 'm'));
});

test.serial('insmod runs its init, its procfs file appears, rmmod runs its exit', async (t) => {
	const load = await run('insmod', '/payload/tapfleet_hello.ko');
	t.is(load.status, 0, load.stderr);
	t.regex(await text('cat', '/proc/modules'), /^tapfleet_hello /m);
	t.is(await text('cat', '/proc/tapfleet_hello'), 'hello from tapfleet_hello\n');
	t.regex(await text('dmesg'), /tapfleet_hello: loaded/);

	const unload = await run('rmmod', 'tapfleet_hello');
	t.is(unload.status, 0, unload.stderr);
	t.regex(await text('dmesg'), /tapfleet_hello: unloaded/);
	t.is((await run('cat', '/proc/tapfleet_hello')).status, 1, 'the procfs file is gone');
	t.notRegex(await text('cat', '/proc/modules'), /^tapfleet_hello /m);
});

test.serial('a module that is not loaded cannot be removed: the kernel says so', async (t) => {
	const r = await run('rmmod', 'tapfleet_hello');
	t.not(r.status, 0);
	t.regex(r.stderr, /tapfleet_hello/);
});
