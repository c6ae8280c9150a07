// Boots the tapfleet test VM (scripts/vm/boot.sh: Debian's kernel under qemu)
// for tests, waits until its payload listens, and powers it off. Boot once per
// test file (test.before) and share the VM among that file's tests.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const scripts = join(repo, 'scripts/vm');
const READY = /^tapfleet-vm: READY\r?$/m;

/** What scripts/vm/prepare.sh prepared: the VM's kernel, its tree and image. */
export interface VmKernel {
	release: string;
	/** /lib/modules/<release>/build from linux-headers-<release> */
	tree: string;
	vmlinuz: string;
	vmlinux: string;
	systemMap: string;
	initramfs: string;
}

/**
 * Runs prepare.sh (quick when done) and says where things are. Asynchronous,
 * so that a test worker stays responsive to ava while a first preparation
 * downloads and builds.
 */
export async function prepareVm(): Promise<VmKernel> {
	const { stdout: out, stderr } = await promisify(execFile)('bash', [join(scripts, 'prepare.sh'), '--print-env'], { encoding: 'utf8' });
	if (stderr) process.stderr.write(stderr);
	const env = Object.fromEntries(out.trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]));
	return {
		release: env.TAPFLEET_VM_RELEASE!,
		tree: env.TAPFLEET_VM_TREE!,
		vmlinuz: env.TAPFLEET_VM_VMLINUZ!,
		vmlinux: env.TAPFLEET_VM_VMLINUX!,
		systemMap: env.TAPFLEET_VM_SYSTEM_MAP!,
		initramfs: env.TAPFLEET_VM_INITRAMFS!,
	};
}

/** A TCP port free on the host's loopback right now. */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			server.close(() => resolve(port));
		});
	});
}

/**
 * The guest's /payload: files plus services. Each service is a shell command
 * started by /payload/start with $PORT set to its own forwarded port (the
 * same number in guest and host); READY comes once all of them listen.
 */
export class Payload {
	readonly dir = mkdtempSync(join(tmpdir(), 'tapfleet-vm-payload-'));
	readonly services: string[] = [];

	/** Copies a file into the payload (name relative to /payload). */
	addFile(source: string, name: string, mode = 0o644): this {
		copyFileSync(source, join(this.dir, name));
		chmodSync(join(this.dir, name), mode);
		return this;
	}

	/** A service listening on $PORT; returns its index into VmHost.ports. */
	addService(command: string): number {
		this.services.push(command);
		return this.services.length - 1;
	}

	/** The guest shell (guest-shell.ts) as a service; returns its port index. */
	addGuestShell(): number {
		this.addFile(fileURLToPath(new URL('guest-shell.js', import.meta.url)), 'guest-shell.mjs');
		return this.addService('exec node /payload/guest-shell.mjs');
	}

	/** Writes /payload/start; with no service there is none, and the guest idles until powered off. */
	writeStart(): void {
		if (this.services.length === 0) return;
		const lines = ['#!/bin/sh', '# Written by test/vm/vm-host.ts: one background job per service.', 'set -- $TAPFLEET_PORTS'];
		this.services.forEach((command, i) => lines.push(`PORT=\${${i + 1}} sh -c '${command.replace(/'/g, `'\\''`)}' &`));
		lines.push('wait', '');
		writeFileSync(join(this.dir, 'start'), lines.join('\n'), { mode: 0o755 });
	}

	remove(): void {
		rmSync(this.dir, { recursive: true, force: true });
	}
}

export interface BootOptions {
	payload: Payload;
	/** The serial console goes here too (default: in the run directory). */
	logFile?: string;
	/** How long to wait for READY (default 300 s: TCG crawls on a loaded machine). */
	readyTimeoutMs?: number;
}

export class VmHost {
	private exited: Promise<void>;

	private constructor(
		private readonly qemu: ChildProcess,
		/** Forwarded ports, one per payload service, same number on both sides. */
		readonly ports: number[],
		readonly runDir: string,
		readonly logFile: string,
		private readonly consoleText: () => string,
	) {
		this.exited = new Promise((resolve) => qemu.once('exit', () => resolve()));
	}

	/** Everything the guest printed on its serial console so far. */
	get console(): string {
		return this.consoleText();
	}

	static async boot(options: BootOptions): Promise<VmHost> {
		const { payload } = options;
		payload.writeStart();
		const ports: number[] = [];
		for (const _ of payload.services) ports.push(await freePort());
		const runDir = mkdtempSync(join(tmpdir(), 'tapfleet-vm-run-'));
		const logFile = options.logFile ?? join(runDir, 'console.log');
		const args = [join(scripts, 'boot.sh'), '--payload', payload.dir, '--run-dir', runDir];
		for (const p of ports) args.push('--port', String(p));
		const qemu = spawn('bash', args, { stdio: ['pipe', 'pipe', 'pipe'] });
		const log = createWriteStream(logFile);
		let text = '';
		const onOutput = (chunk: Buffer) => {
			log.write(chunk);
			text += chunk.toString('utf8');
		};
		qemu.stdout!.on('data', onOutput);
		qemu.stderr!.on('data', onOutput);
		// A test process that dies must not leave a VM behind.
		const killOnExit = () => kill(qemu, 'SIGKILL');
		process.once('exit', killOnExit);
		qemu.once('exit', () => {
			process.removeListener('exit', killOnExit);
			log.end();
		});
		const vm = new VmHost(qemu, ports, runDir, logFile, () => text);
		await vm.waitForReady(options.readyTimeoutMs ?? 300_000);
		return vm;
	}

	private waitForReady(timeoutMs: number): Promise<void> {
		return new Promise((resolve, reject) => {
			const fail = (why: string) => {
				cleanup();
				kill(this.qemu, 'SIGKILL');
				// Keep the console log for the post-mortem, not the 100 MB initramfs.
				rmSync(join(this.runDir, 'initrd.cpio'), { force: true });
				reject(new Error(`test VM: ${why}; console (${this.logFile}):\n${this.console.slice(-4000)}`));
			};
			const check = () => {
				if (READY.test(this.console)) {
					cleanup();
					resolve();
				}
			};
			const onExit = (code: number | null) => fail(`qemu exited (status ${code}) before READY`);
			const timer = setTimeout(() => fail(`no READY within ${timeoutMs / 1000} s`), timeoutMs);
			const cleanup = () => {
				clearTimeout(timer);
				this.qemu.stdout!.off('data', check);
				this.qemu.off('exit', onExit);
			};
			this.qemu.stdout!.on('data', check);
			this.qemu.once('exit', onExit);
			check();
		});
	}

	/** Asks the guest to power off; kills qemu if it has not within timeoutMs. */
	async shutdown(timeoutMs = 30_000): Promise<void> {
		if (this.qemu.exitCode === null && this.qemu.signalCode === null) {
			this.qemu.stdin!.write('poweroff\n');
			const timer = setTimeout(() => kill(this.qemu, 'SIGKILL'), timeoutMs);
			await this.exited;
			clearTimeout(timer);
		}
		rmSync(this.runDir, { recursive: true, force: true });
	}

	/** True once the guest said it powered off (a clean shutdown, not a kill). */
	get poweredOff(): boolean {
		return /reboot: Power down/.test(this.console);
	}
}

// boot.sh execs qemu: the child's pid is qemu's.
function kill(child: ChildProcess, signal: NodeJS.Signals): void {
	if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}

export interface GuestResult {
	status: number | null;
	signal: string | null;
	stdout: Buffer;
	stderr: string;
}

/** Runs argv in the guest through its guest shell on the given forwarded port. */
export async function guestExec(port: number, argv: string[], timeoutMs = 60_000): Promise<GuestResult> {
	const response = await fetch(`http://127.0.0.1:${port}/exec`, {
		method: 'POST',
		body: JSON.stringify({ argv, timeoutMs }),
		headers: { 'content-type': 'application/json' },
	});
	const body = (await response.json()) as { status: number | null; signal: string | null; stdout: string; stderr: string; error?: string };
	if (!response.ok) throw new Error(`guest shell: ${body.error ?? response.status}`);
	return { ...body, stdout: Buffer.from(body.stdout, 'base64') };
}
