// Test fixtures for the agent: a throwaway PKI, modules built on the spot
// (signed or not, for this kernel or another), real agents on real sockets.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, type KeyObject } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAgent, type AgentOptions, type RunningAgent } from '../../agent/server.js';
import { runningKernelBuildId } from '../../agent/host-facts.js';
import { sleep } from '../../agent/proc.js';
import { silentLogger } from '../../agent/log.js';
import type { ModuleFileRole, ModuleManifest } from '../../controller/module/manifest.js';
import { loadClientTls, loadSigningKey, type ClientTls } from '../../controller/pki/credentials.js';
import { initPki, issueAgent, issueClient } from '../../controller/pki/keys.js';
import { agentPkiDir, clientPkiDir } from '../../controller/pki/layout.js';
import { AgentClient } from '../../controller/dispatch/agent-client.js';
import { parseHostUri } from '../../controller/dispatch/host-uri.js';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const TAPFLEET = join(REPO, 'bin', 'tapfleet');
export const TAPRUN = join(REPO, 'runtime-c', 'build', 'taprun');
export const FIXTURE_MODULES = join(REPO, 'test', 'fixtures', 'modules');

export function tempDir(prefix: string): string {
	return mkdtempSync(join(tmpdir(), `tapfleet-${prefix}-`));
}

export interface TestPki {
	dir: string;
	tls: ClientTls;
	signingKey: KeyObject;
	agentDir(name: string): string;
	observerTls: ClientTls;
}

const pkiCache = new Map<string, Promise<TestPki>>();

/** A PKI with agents a0..a9 and an observer client; one per test file (creation costs ~100 ms). */
export function testPki(agents = 10): Promise<TestPki> {
	const key = String(agents);
	let p = pkiCache.get(key);
	if (!p) {
		p = (async () => {
			const dir = join(tempDir('pki'), 'pki');
			await initPki(dir);
			for (let i = 0; i < agents; i++) await issueAgent(dir, `a${i}`);
			await issueClient(dir, 'watcher', 'observer');
			return {
				dir,
				tls: loadClientTls(dir),
				signingKey: loadSigningKey(dir),
				agentDir: (name: string) => agentPkiDir(dir, name),
				observerTls: loadClientTls(clientPkiDir(dir, 'watcher')),
			};
		})();
		pkiCache.set(key, p);
	}
	return p;
}

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

export interface ModuleSpec {
	name?: string;
	buildId?: string;
	files?: { name: string; role: ModuleFileRole; data: Buffer | string }[];
	/** The manifest says the script calls system(). */
	runsCommands?: boolean;
	/** The manifest says the script changes the kernel (guru mode). */
	guru?: boolean;
}

/** Writes a module directory with a valid manifest (not signed: dispatch signs in memory). */
export function writeModule(dir: string, spec: ModuleSpec = {}): ModuleManifest {
	mkdirSync(dir, { recursive: true });
	const files = spec.files ?? [{ name: 'probe.bpf.o', role: 'bpf-object' as const, data: 'not really an object' }];
	const script = 'probe begin { println("hello") exit() }';
	const manifest: ModuleManifest = {
		formatVersion: 1,
		name: spec.name ?? 'test_module',
		runtime: 'bpf',
		target: { buildId: spec.buildId ?? runningKernelBuildId(), release: 'test-release', arch: 'x86_64' },
		script: { text: script, sha256: sha256(script) },
		files: files.map((f) => ({ name: f.name, role: f.role, size: Buffer.byteLength(f.data), sha256: sha256(f.data) })),
		probes: [{ point: 'begin', kind: 'begin' }],
		globals: [],
		...(spec.runsCommands ? { runsCommands: true } : {}),
		...(spec.guru ? { guru: true } : {}),
		tools: { tapfleet: 'test' },
		createdAt: new Date(0).toISOString(),
	};
	for (const f of files) writeFileSync(join(dir, f.name), f.data);
	writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
	return manifest;
}

/** A fixture module from test/fixtures/modules, copied so a test may change it. */
export function fixtureModule(name: string): string | undefined {
	const src = join(FIXTURE_MODULES, name);
	if (!existsSync(join(src, 'manifest.json'))) return undefined;
	const dst = join(tempDir('mod'), name);
	cpSync(src, dst, { recursive: true });
	return dst;
}

export function fixtureModulesPresent(): boolean {
	return existsSync(TAPRUN) && existsSync(FIXTURE_MODULES) && readdirSync(FIXTURE_MODULES).some((d) => existsSync(join(FIXTURE_MODULES, d, 'manifest.json')));
}

export interface LogCapture {
	lines: Record<string, unknown>[];
}

/** An agent in this process on 127.0.0.1 with a free port. */
export async function inProcessAgent(pki: TestPki, name: string, extra: Partial<AgentOptions> = {}): Promise<RunningAgent & { stateDir: string; logs: LogCapture }> {
	const stateDir = extra.stateDir ?? tempDir('state');
	const logs: LogCapture = { lines: [] };
	const log = {
		info: (msg: string, f?: object) => logs.lines.push({ level: 'info', msg, ...f }),
		warn: (msg: string, f?: object) => logs.lines.push({ level: 'warn', msg, ...f }),
		error: (msg: string, f?: object) => logs.lines.push({ level: 'error', msg, ...f }),
	};
	const agent = await startAgent({ listen: '127.0.0.1:0', pkiDir: pki.agentDir(name), stateDir, taprunPath: TAPRUN, log: extra.log ?? log ?? silentLogger, ...extra });
	return Object.assign(agent, { stateDir, logs });
}

export function clientFor(address: string, tls: ClientTls | undefined): AgentClient {
	return new AgentClient(parseHostUri(address), tls);
}

/** Runs the CLI to completion; stdout (as UTF-8 text and as the bytes written), stderr and exit status. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 120_000): Promise<{ stdout: string; stdoutBytes: Buffer; stderr: string; status: number | null }> {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, [TAPFLEET, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
		const out: Buffer[] = [];
		let stderr = '';
		child.stdout.on('data', (d: Buffer) => out.push(d));
		child.stderr.on('data', (d) => (stderr += d));
		const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
		child.on('close', (status) => {
			clearTimeout(timer);
			const stdoutBytes = Buffer.concat(out);
			resolve({ stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr, status });
		});
	});
}

export interface SpawnedAgent {
	child: ChildProcess;
	address: string;
	stderr: () => string;
}

/** An agent as its own process (`tapfleet agent`, or another build's `cli`), for kill -9 and restart. */
export function spawnAgent(args: string[], wrapper: string[] = [], startTimeoutMs = 90_000, cli = TAPFLEET): Promise<SpawnedAgent> {
	const argv = [...wrapper, process.execPath, cli, 'agent', ...args];
	const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
	let err = '';
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`agent did not start:\n${err}`));
		}, startTimeoutMs);
		child.stderr!.setEncoding('utf8');
		child.stderr!.on('data', (d: string) => {
			err += d;
			const m = /"msg":"agent listening","address":"([^"]+)"/.exec(err);
			if (m) {
				clearTimeout(timer);
				resolve({ child, address: m[1], stderr: () => err });
			}
		});
		child.on('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`agent exited with ${code}:\n${err}`));
		});
	});
}

export function readJournal(stateDir: string): Record<string, any>[] {
	const path = join(stateDir, 'journal.jsonl');
	return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
}

/** Every taprun process whose command line mentions this directory. */
export function taprunProcessesUnder(dir: string): number[] {
	const pids: number[] = [];
	for (const p of readdirSync('/proc')) {
		if (!/^\d+$/.test(p)) continue;
		try {
			const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
			if (cmd.includes(dir) && cmd.includes('taprun')) pids.push(Number(p));
		} catch {
			/* gone */
		}
	}
	return pids;
}

export function filesUnder(dir: string): string[] {
	if (!existsSync(dir)) return [];
	return readdirSync(dir, { recursive: true }).map(String);
}

/**
 * Builds a module directory from a hand-written module source (the way
 * test/fixtures/modules/build-module.ts does for its fixtures), for this
 * host's kernel. `fixture` is a fixture name there, or "chatty" (ours).
 */
export async function buildModule(fixture: string, outRoot: string, defines: Record<string, string | number> = {}): Promise<string> {
	const { buildFixtureModule, compileModuleSource } = await import('../fixtures/modules/build-module.js');
	if (fixture !== 'chatty') return buildFixtureModule(fixture, outRoot, { defines });
	const src = join(REPO, 'test', 'agent', 'fixtures', 'chatty');
	const outDir = join(outRoot, 'chatty');
	mkdirSync(outDir, { recursive: true });
	const files = compileModuleSource(join(src, 'chatty.c'), outDir, 'chatty', { defines });
	const script = readFileSync(join(src, 'chatty.stp'), 'utf8');
	const manifest: ModuleManifest = {
		formatVersion: 1,
		name: 'chatty',
		runtime: 'bpf',
		target: { buildId: runningKernelBuildId(), release: 'test', arch: 'x86_64' },
		script: { text: script, sha256: sha256(script) },
		files,
		probes: [],
		globals: [],
		tools: { defines: JSON.stringify(defines) },
		createdAt: new Date().toISOString(),
	};
	writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, '\t') + '\n');
	return outDir;
}

// A bound, not a timing assertion: generous, because CI machines can be very busy.
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 90_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const v = await probe();
		if (v !== undefined && v !== false) return v;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await sleep(50);
	}
}

/** A TCP port on 127.0.0.1 that was just free: nothing listens there (an unreachable agent). */
export async function freePort(): Promise<number> {
	const { createServer } = await import('node:net');
	return new Promise<number>((resolve) => {
		const s = createServer().listen(0, '127.0.0.1', () => {
			const port = (s.address() as { port: number }).port;
			s.close(() => resolve(port));
		});
	});
}
