// The test VM as a tapfleet host: the agent bundle (with its taprun) in the
// guest, started with an mTLS certificate issued here by `tapfleet keys`,
// reached through qemu's forwarded port; and `tapfleet run` on this machine
// as the controller. One boot per test file.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../controller/build/toolchain.js';
import { freePort, guestExec, Payload, VmHost } from '../vm/vm-host.js';

const tapfleetBin = join(repoRoot, 'bin', 'tapfleet');

/** Builds the agent bundle and copies it in; a copy torn by a concurrent rebuild fails `node --check` and is taken again. */
function addAgentBundle(payload: Payload): void {
	const bundle = join(repoRoot, 'dist-agent', 'tapfleet-agent');
	execFileSync(process.execPath, [join(repoRoot, 'scripts', 'bundle-agent.mjs')], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
	for (let attempt = 0; ; attempt++) {
		payload.addFile(bundle, 'tapfleet-agent.mjs', 0o755);
		try {
			execFileSync(process.execPath, ['--check', join(payload.dir, 'tapfleet-agent.mjs')], { stdio: 'pipe' });
			return;
		} catch (e) {
			if (attempt >= 5) throw e;
			execFileSync('sleep', ['1']);
		}
	}
}

export interface RunResult {
	status: number | null;
	stdout: string;
	/** stdout as the bytes written (script output is bytes: %b, %c). */
	stdoutBytes: Buffer;
	stderr: string;
}

export class VmFleet {
	readonly work = mkdtempSync(join(tmpdir(), 'tapfleet-kmod-e2e-'));
	readonly pki = join(this.work, 'pki');
	/** The controller's caches (kernel profiles by build-id, modules). */
	readonly cache = join(this.work, 'cache');
	readonly payload = new Payload();
	vm?: VmHost;
	private agentIndex = -1;
	private shellIndex = -1;

	/** PKI here, the agent's share of it and the bundle in the payload; a guest shell too when asked. */
	prepare(opts: { guestShell?: boolean } = {}): void {
		this.tapfleetSync(['keys', 'init', '--dir', this.pki]);
		this.tapfleetSync(['keys', 'issue', '--dir', this.pki, '--agent', 'tapfleet-vm']);
		this.tapfleetSync(['keys', 'issue', '--dir', this.pki, '--agent', 'local']);
		const agentPki = join(this.pki, 'agents', 'tapfleet-vm');
		mkdirSync(join(this.payload.dir, 'pki', 'trusted-keys'), { recursive: true });
		for (const f of ['agent.crt', 'agent.key', 'ca.crt']) this.payload.addFile(join(agentPki, f), join('pki', f), 0o600);
		for (const f of readdirSync(join(agentPki, 'trusted-keys'))) this.payload.addFile(join(agentPki, 'trusted-keys', f), join('pki', 'trusted-keys', f));
		// the tests' controller may load scripts that call system() or write target variables (no role has those rights by default)
		const policy = join(this.work, 'policy.json');
		writeFileSync(policy, JSON.stringify({ identities: { controller: ['observe', 'operate', 'commands', 'guru'] } }));
		this.payload.addFile(policy, join('pki', 'policy.json'), 0o600);
		addAgentBundle(this.payload);
		this.agentIndex = this.payload.addService(
			'XDG_CACHE_HOME=/tmp/cache exec node /payload/tapfleet-agent.mjs --listen 0.0.0.0:$PORT --pki /payload/pki --state-dir /tmp/agent 2>/tmp/agent.log',
		);
		if (opts.guestShell) this.shellIndex = this.payload.addGuestShell();
	}

	async boot(): Promise<void> {
		this.vm = await VmHost.boot({ payload: this.payload });
	}

	/** The agent's address as `tapfleet run --host` takes it (mTLS). */
	get host(): string {
		return `127.0.0.1:${this.vm!.ports[this.agentIndex]}`;
	}

	get shellPort(): number {
		return this.vm!.ports[this.shellIndex]!;
	}

	private env(): NodeJS.ProcessEnv {
		return { ...process.env, XDG_CACHE_HOME: this.cache, NO_COLOR: '1' };
	}

	private tapfleetSync(args: string[]): string {
		return execFileSync(process.execPath, [tapfleetBin, ...args], { env: this.env(), encoding: 'utf8' });
	}

	/** `tapfleet ARGS...` on this machine; resolves when it exits. */
	tapfleet(args: string[], timeoutMs = 600_000): Promise<RunResult> {
		return new Promise((resolve, reject) => {
			const child = spawn(process.execPath, [tapfleetBin, ...args], { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
			const out: Buffer[] = [];
			let stderr = '';
			child.stdout.on('data', (d: Buffer) => out.push(d));
			child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
			const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
			child.on('error', reject);
			child.on('close', (status) => {
				clearTimeout(timer);
				const stdoutBytes = Buffer.concat(out);
				resolve({ status, stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr });
			});
		});
	}

	/**
	 * `tapfleet run --host VM --pki PKI ARGS...`. A run that failed has the end of
	 * the guest agent's log after its stderr (when the guest has a shell), so that a
	 * failure seen once in CI says what the agent saw.
	 */
	async run(args: string[], timeoutMs?: number): Promise<RunResult> {
		const r = await this.tapfleet(['run', '--host', this.host, '--pki', this.pki, ...args], timeoutMs);
		if (r.status !== 0 && this.shellIndex >= 0) {
			const log = await guestExec(this.shellPort, ['sh', '-c', 'tail -n 40 /tmp/agent.log'], 30_000).catch((e: Error) => ({ stdout: Buffer.from(e.message) }));
			r.stderr += `\n--- the guest agent's log, its end:\n${log.stdout.toString()}`;
		}
		return r;
	}

	/** An agent on this machine (bpf: its kernel loads no modules), on loopback with mTLS; returns its host URI. */
	async startLocalAgent(): Promise<string> {
		if (this.localListen) return this.localListen;
		const listen = `127.0.0.1:${await freePort()}`;
		const child = spawn(process.execPath, [tapfleetBin, 'agent', '--listen', listen, '--pki', join(this.pki, 'agents', 'local'), '--state-dir', join(this.work, 'local-agent')], {
			env: this.env(), stdio: ['ignore', 'ignore', 'pipe'],
		});
		this.localAgent = child;
		let log = '';
		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`local agent did not start: ${log}`)), 120_000);
			child.stderr.on('data', (d: Buffer) => {
				log += d.toString('utf8');
				if (log.includes('agent listening')) {
					clearTimeout(timer);
					resolve();
				}
			});
			child.on('exit', (code) => reject(new Error(`local agent exited with ${code}: ${log}`)));
		});
		this.localListen = listen;
		return listen;
	}

	private localAgent?: ReturnType<typeof spawn>;
	private localListen?: string;

	async close(): Promise<void> {
		this.localAgent?.kill('SIGTERM');
		await this.vm?.shutdown();
		this.payload.remove();
		rmSync(this.work, { recursive: true, force: true });
	}
}
