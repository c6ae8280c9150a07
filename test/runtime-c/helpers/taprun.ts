// Running taprun as the agent does (a child process), and generating the
// kernel activity the fixture modules trace: busybox applets started
// through a symlink, so that their execname is one no other process has.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { taprunPath } from '../../fixtures/modules/build-module.js';

export interface TaprunResult {
	status: number | null;
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
}

export class TaprunProcess {
	readonly child: ChildProcess;
	stdout = '';
	stderr = '';
	readonly done: Promise<TaprunResult>;
	private waiters: (() => void)[] = [];

	constructor(args: string[]) {
		this.child = spawn(taprunPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
		this.child.stdout!.setEncoding('latin1').on('data', (d: string) => this.append('stdout', d));
		this.child.stderr!.setEncoding('utf8').on('data', (d: string) => this.append('stderr', d));
		this.done = new Promise((resolve) => {
			this.child.on('close', (status, signal) => {
				resolve({ status, signal, stdout: this.stdout, stderr: this.stderr });
				this.notify();
			});
		});
	}

	private append(stream: 'stdout' | 'stderr', data: string): void {
		this[stream] += data;
		this.notify();
	}

	private notify(): void {
		for (const w of this.waiters.splice(0)) w();
	}

	/** Resolves once `test` holds (checked on every output); rejects after `ms`. */
	async until(test: () => boolean, what: string, ms = 20000): Promise<void> {
		const deadline = Date.now() + ms;
		while (!test()) {
			if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`taprun exited before ${what}: ${this.stderr}`);
			if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms: ${this.stderr}`);
			await new Promise<void>((resolve) => {
				this.waiters.push(resolve);
				setTimeout(resolve, 50);
			});
		}
	}

	/** With -j: all probes are attached once taprun says "started". */
	started(): Promise<void> {
		return this.until(() => this.stderr.includes('{"type":"started"}'), 'started event');
	}

	/** Stops it as the agent does (SIGINT by default) and waits for the end. */
	async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<TaprunResult> {
		this.child.kill(signal);
		return this.done;
	}
}

export function runTaprun(args: string[]): Promise<TaprunResult> {
	return new TaprunProcess(args).done;
}

const busybox = '/bin/busybox';

/** A scratch directory with busybox under unusual names, and files to open. */
export class Activity {
	readonly dir = mkdtempSync(join(tmpdir(), 'taprun-activity-'));

	constructor() {
		if (!existsSync(busybox)) throw new Error(`${busybox} is missing (apt-get install busybox-static)`);
		symlinkSync(busybox, join(this.dir, 'tapfixcat'));
		symlinkSync(busybox, join(this.dir, 'tapfixdd'));
		symlinkSync('/usr/bin/uname', join(this.dir, 'tapfixuname'));
		mkdirSync(join(this.dir, 'files'));
	}

	file(name: string, text = 'x\n'): string {
		const path = join(this.dir, 'files', name);
		writeFileSync(path, text);
		return path;
	}

	/** `cat FILES` as a process whose execname is "tapfixcat"; returns its pid. */
	cat(files: string[]): number {
		return this.run('tapfixcat', 'cat', files);
	}

	/** `dd if=/dev/zero bs=BS count=N` writing to /dev/null on fd 1, as "tapfixdd". */
	dd(bs: number, count: number): number {
		return this.run('tapfixdd', 'dd', ['if=/dev/zero', `bs=${bs}`, `count=${count}`]);
	}

	/** `sleep SECONDS` as "tapfixcat": it is switched out while it sleeps. */
	sleep(seconds: number): number {
		return this.run('tapfixcat', 'sleep', [String(seconds)]);
	}

	/**
	 * `cat FILES` as "tapfixcat", held back until go() is called: its pid
	 * is known before it opens anything (for taprun -x).
	 */
	heldCat(files: string[]): { pid: number; go: () => Promise<void> } {
		const child = spawn('bash', ['-c', 'read -r; exec -a cat "$0" "$@"', join(this.dir, 'tapfixcat'), ...files], { stdio: ['pipe', 'ignore', 'ignore'] });
		const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
		return {
			pid: child.pid!,
			go: () => {
				child.stdin!.end('go\n');
				return exited;
			},
		};
	}

	/** coreutils uname (dynamic: calls libc's uname()) as "tapfixuname". */
	uname(): number {
		return this.run('tapfixuname', 'uname', []);
	}

	private run(link: string, applet: string, args: string[]): number {
		// `exec -a` sets argv[0] (busybox picks the applet by it); the kernel
		// names the process after the file executed: the symlink.
		const r = spawnSync('bash', ['-c', 'echo $$ >&2; exec -a "$0" "$@"', applet, join(this.dir, link), ...args], {
			stdio: ['ignore', 'ignore', 'pipe'],
			encoding: 'utf8',
		});
		if (r.status !== 0) throw new Error(`${applet} failed: ${r.stderr}`);
		return Number(r.stderr.split('\n')[0]);
	}
}
