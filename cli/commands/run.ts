// `tapfleet run`: pass 5. Dispatches a module to hosts (or to an embedded
// local agent when no --host is given), streams the merged output, and
// unloads everywhere at the end. Ctrl-C once: unload with end probes (their
// output is shown); twice: force. The module comes from --module DIR, or
// from a script compiled per kernel build-id (`moduleSource`).
import { passClock, passNote, reportPasses, type PassClock } from '../../controller/util/pass-report.js';
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { loadSigningKey } from '../../controller/pki/credentials.js';
import type { connectOptions } from '../../controller/dispatch/connect.js';
import type { HostOutcome } from '../../controller/dispatch/fanout.js';
import { parseDefines } from '../../controller/build/defines.js';
import { readModuleDir, type ModuleOnDisk } from '../../controller/dispatch/module-dir.js';
import type { OutputFormat } from '../../controller/dispatch/output-sink.js';
import { Progress } from '../../controller/dispatch/progress.js';
import type { EmbeddedAgent } from '../../controller/dispatch/embedded.js';
import { parseHostUri } from '../../controller/dispatch/host-uri.js';
import { join } from 'node:path';
import { PKI_FILES } from '../../controller/pki/layout.js';
import type { HostInfo } from '../../proto/gen/tapfleet/v1/agent.js';
import type { AgentClient } from '../../controller/dispatch/agent-client.js';
import { collectHosts, runCommand } from './fleet-cli.js';
import type { openRunAudit } from '../../controller/dispatch/run-audit.js';
import { closeOutputFile, openOutputFile } from './output-file.js';
import { parseTargetPid } from './target-pid.js';
import { ScriptCompileError } from '../../controller/dispatch/compile-error.js';
import { symbolFiles } from '../../controller/build/symbol-files.js';
import { diagnosticsText } from './compile-diagnostics.js';
import { KERNEL_BUFFER_MIB_MAX } from '../../agent/upload.js';

const NOTHING_TO_RUN = 'nothing to run: give a script (FILE or -e SCRIPT) or a module directory (--module DIR)';

interface RunOptions {
	/** -v: each pass's line (stap -v) */
	v?: number;
	host: string[];
	pki?: string;
	module?: string;
	e?: string;
	c?: string;
	x?: string;
	o?: string;
	D: string[];
	/** -d FILE: symbols a kmod module carries */
	d: string[];
	I: string[];
	g?: boolean;
	/** -w: no warnings, the compiler's or the sessions' (stap -w) */
	w?: boolean;
	/** -s: MiB between the kernel side and taprun (stap -s) */
	s?: string;
	prefix?: boolean;
	json?: boolean;
	T?: string;
	lease: string;
	detach?: boolean;
	taprun?: string;
	runtime?: 'auto' | 'bpf' | 'kmod';
	auditDb?: string;
}

/**
 * Where the module for a build-id comes from: a prebuilt directory
 * (--module), or the script compiled by passes 1-4. Compiling runs once per
 * distinct build-id (the dispatch asks once per build-id; the module cache of
 * pass 4 makes a repeat free): for this host's kernel directly, for another
 * against that kernel's profile, fetched from one of its agents and cached.
 */
interface RunModules {
	source: (buildId: string, info: HostInfo, client: AgentClient) => Promise<ModuleOnDisk>;
	/** The module known before any host asks (--module, or this host's): its write-ahead record need not wait for the hosts. */
	known?: Promise<ModuleOnDisk>;
}

async function moduleSource(o: RunOptions, script: string | undefined, args: string[], prefetchForThisHost: boolean): Promise<RunModules> {
	if (o.module) {
		const mod = readModuleDir(o.module);
		return { source: async () => mod, known: Promise.resolve(mod) };
	}
	const input = o.e !== undefined ? { name: '<input>', text: latin1(o.e) } : script ? { name: script, text: null } : undefined;
	if (!input) throw new Error(NOTHING_TO_RUN);
	const [{ runPipeline }, { runningKernelBuildId }] = await Promise.all([
		import('../../controller/build/script-pipeline.js'),
		import('../../agent/host-facts.js'),
	]);
	const localBuildId = runningKernelBuildId();
	let forThisKernel: Promise<ModuleOnDisk> | undefined;
	const compileHere = () =>
		(forThisKernel ??= (async () => {
			const r = await runPipeline({ ...input, args: args.map(latin1), includePaths: o.I, guru: o.g }, 4, { defines: parseDefines(o.D), symbolFiles: symbolFiles(o.d) });
			// The compiler works on byte strings (latin1 in JS); its messages go out as those bytes.
			const diagnostics = diagnosticsText(r.stderr, !!o.w);
			if (!r.ok || !r.moduleDir) throw new ScriptCompileError(`compiling ${input.name}`, diagnostics.trimEnd());
			if (diagnostics) process.stderr.write(diagnostics);
			return readModuleDir(r.moduleDir);
		})());
	// This host is the target (no --host): start at once, while the embedded agent and the audit start.
	const known = prefetchForThisHost ? compileHere() : undefined;
	known?.catch(() => {}); // its error is reported when the dispatch asks
	const source = async (buildId: string, info: HostInfo, client: AgentClient) => {
		if (buildId !== localBuildId) {
			// against that kernel's profile, fetched once per build-id (then cached); kmod or bpf as --runtime says
			const { compileForHost } = await import('./run-compile.js');
			return compileForHost({ ...input, args: args.map(latin1), includePaths: o.I, guru: o.g }, o.runtime ?? 'auto',
				{ defines: parseDefines(o.D), symbolFiles: symbolFiles(o.d) }, buildId, info, client, !!o.w);
		}
		return compileHere();
	};
	return { source, known };
}

/** Command-line text as the byte string the compiler's lexer works on. */
function latin1(s: string): string {
	return Buffer.from(s, 'utf8').toString('latin1');
}

/** -s MIB: 0 (taprun's default) without it; else a power of two from 1 to 1024, as taprun takes it. */
function kernelBufferMib(v: string | undefined): number {
	if (v === undefined) return 0;
	const n = Number(v);
	if (!Number.isSafeInteger(n) || n < 1 || n > KERNEL_BUFFER_MIB_MAX || (n & (n - 1)) !== 0) throw new Error(`-s ${JSON.stringify(v)}: expected a power of two from 1 to ${KERNEL_BUFFER_MIB_MAX} (MiB)`);
	return n;
}

function seconds(name: string, v: string | undefined): number {
	if (v === undefined) return 0;
	const n = Number(v);
	if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} ${JSON.stringify(v)}: expected whole seconds`);
	return n;
}

export function registerRun(program: Command): void {
	program
		.command('run')
		.description('run a module (or script) on hosts and stream the merged output; Ctrl-C unloads (twice: forces)')
		.argument('[SCRIPT]', 'script file, compiled by passes 1-4 for each distinct kernel build (unless -e or --module)')
		.argument('[ARGS...]', 'script arguments ($1, @1 ...)')
		.option('--host <URI>', 'HOST:PORT (mTLS), unix:/PATH or plaintext://HOST:PORT, or @FILE with one per line (# comments); repeatable, each host once; none = this host through an embedded agent', collectHosts, [])
		.option('--pki <DIR>', 'PKI directory from `tapfleet keys init` (default: XDG config dir)')
		.option('-m, --module <DIR>', 'a compiled module directory (manifest.json and its files)')
		.option('-e <SCRIPT>', 'the script text (then every positional argument is a script argument)')
		.option('--prefix', 'prefix each output line with its host (like stap --remote-prefix)')
		.option('--json', 'one JSON object per output record: host, session, seq, stream, and text (when the bytes are UTF-8) or base64')
		.option('-T <SECONDS>', 'stop after SECONDS everywhere (end probes run)')
		.option('--lease <SECONDS>', 'how long a session survives if this controller goes away', '30')
		.option('--detach', 'leave the sessions running (no lease) and print their ids')
		.option('--taprun <PATH>', 'taprun for the embedded local agent')
		.option('-c <CMD>', 'run CMD while tracing and stop when it exits; target() is its pid. With --host, each host runs it (as the agent\'s user, stdin /dev/null, its output in the host\'s) and the caller needs the agent\'s "commands" right')
		.option('-x <PID>', 'target() is PID, a process already running on this host, or with one --host on that host (the session does not stop when it exits)')
		.option('-o <FILE>', 'write the output to FILE instead of stdout (created or truncated); with --host, the merged output of every host, as --prefix or --json format it')
		.option('-D <NAME=VALUE>', 'build-time limit for the module, e.g. MAXSTRINGLEN=1024 (repeatable)', (v: string, p: string[]) => [...p, v], [])
		.option('-I <DIR>', 'add a tapset directory (repeatable)', (v: string, p: string[]) => [...p, v], [])
		.option('-d <FILE>', 'carry FILE\'s symbols to name user-space addresses in it (a program only sampled, a library), as stap\'s -d: kmod\'s frames, usymname() and the like on both runtimes; the files a script probes are carried anyway (repeatable)', (v: string, p: string[]) => [...p, v], [])
		.option('-g', 'guru mode')
		.option('-s <MIB>', 'MiB of the buffer between the kernel side and taprun (stap -s): the bpf ring buffer, kmod\'s output channel; a power of two up to 1024 (default 16; an agent allows 256 unless its --max-kernel-buffer-mib says more). Raise it when taprun reports lost events')
		.option('-w', 'print no warnings, as stap -w: neither the compiler\'s nor the running script\'s (warn(), the errors-and-skipped count); errors still print')
		.option('-v', 'verbose, as stap -v: a line on stderr as each pass ends (for each kernel a script is compiled for), with its memory and times, and pass 5\'s start and end (repeatable; more says no more)', (_: string, n: number) => n + 1, 0)
		.option(
			'--audit-db <URL>',
			'audit log: a SQLite file or postgres://... (default: $TAPFLEET_AUDIT_DB, else $XDG_STATE_HOME/tapfleet/audit.db); a PostgreSQL log is reached through a background keeper process that holds its connection for $TAPFLEET_AUDIT_KEEP seconds after the last run (default 300; 0: none)',
		)
		.option('--runtime <mode>', 'for hosts of another kernel: auto (kmod where modules load and a matching kernel tree is here, else bpf), bpf, kmod', 'auto')
		.action((script: string | undefined, args: string[], o: RunOptions) => runCommand('run', () => run(script, args, o)));
}

async function run(script: string | undefined, args: string[], o: RunOptions): Promise<number> {
	if (o.v) reportPasses(() => process.stderr);
	parseDefines(o.D); // a bad -D is refused before anything starts (compiled with each module below)
	const timeLimit = seconds('-T', o.T);
	const bufferMib = kernelBufferMib(o.s);
	const lease = seconds('--lease', o.lease);
	// -x and -c with --host: the agent passes them to taprun there (SessionOptions.target_pid, target_command)
	const remoteTarget = o.x !== undefined && o.host.length > 0;
	const remoteCommand = o.c !== undefined && o.host.length > 0 ? o.c : undefined;
	if (o.c !== undefined && o.c.trim() === '') throw new Error('-c: the command is empty');
	if (o.x !== undefined && o.c !== undefined) throw new Error('-c and -x both name the target process: give one of them');
	if (remoteTarget && o.host.length !== 1) throw new Error(`-x ${o.x} names a process of one host: give one --host, not ${o.host.length}`);
	const targetPid = remoteTarget ? parseTargetPid(o.x!) : 0;
	if (o.o !== undefined && o.detach) throw new Error('-o with --detach: a detached run streams no output (`tapfleet attach` does)');
	if (o.host.length === 0 && (o.c !== undefined || o.o !== undefined || o.x !== undefined)) {
		// -c, -x and -o need taprun as a direct child (its "started" event, its output file): the local path of pass 5.
		const flag = o.o !== undefined ? '-o' : o.c !== undefined ? '-c' : '-x';
		if (o.module) throw new Error(`${flag} runs a script given as text or a file, compiled here: leave out --module`);
		const { runScriptLocally } = await import('./run-local.js');
		return runScriptLocally(script, args, { e: o.e, c: o.c, x: o.x, o: o.o, T: o.T, D: o.D, d: symbolFiles(o.d), I: o.I, g: o.g, w: o.w, s: bufferMib, taprun: o.taprun, auditDb: o.auditDb });
	}
	// With -e, every positional argument is a script argument.
	if (o.e !== undefined && script !== undefined) args = [script, ...args];
	let hostArgs = o.host;
	const local = hostArgs.length === 0;
	if (local && o.detach) throw new Error('--detach needs --host: an embedded agent ends with this command');
	if (!o.module && o.e === undefined && !script) throw new Error(NOTHING_TO_RUN);
	// -o FILE with --host: opened before anything is recorded or dispatched
	const outputFile = o.o !== undefined ? openOutputFile(o.o) : undefined;
	const output: NodeJS.WritableStream = outputFile ?? process.stdout;
	// Write-ahead audit (controller/dispatch/run-audit.ts): a run whose audit log cannot be opened does not dispatch.
	// The log starts opening first (controller/audit/run-log.ts), so that its connection is made while
	// the fleet's code loads and the module, the keys and the agent get ready.
	const { discardRunAuditLog, openRunAuditLog } = await import('../../controller/audit/run-log.js');
	// A SQLite log opens once this thread would wait: the hosts' connections or the embedded agent under way.
	let waitingBegins!: () => void;
	const auditLog = openRunAuditLog(o.auditDb, new Promise<void>((resolve) => (waitingBegins = resolve)));
	// The fleet's code is loaded from here on: -c and -o, above, need none of it (~25 ms of loading).
	const { connectOptions, Dispatch, runExitStatus, openRunAudit, createSink } = await import('./run-fleet-deps.js');
	let audit: Awaited<ReturnType<typeof openRunAudit>> | undefined;
	let embedded: EmbeddedAgent | undefined;
	let signingKey: KeyObject;
	let moduleFor: Awaited<ReturnType<typeof moduleSource>>;
	let conn: ReturnType<typeof connectOptions>;
	try {
		conn = connectOptions(hostArgs, o.pki);
		moduleFor = await moduleSource(o, o.e !== undefined ? undefined : script, args, local);
		const pkiHasKey = existsSync(join(conn.pkiDir, PKI_FILES.signingKey));
		const openAudit = (embeddedLabel?: string) =>
			openRunAudit(o, { script, args, leaseSeconds: lease, timeLimitSeconds: timeLimit, targetPid, command: remoteCommand, output: o.o, hosts: hostArgs.map(parseHostUri), embeddedLabel, tls: conn.tls }, auditLog);
		if (local) {
			// Loaded only when needed: a remote run does not pay for the agent's code.
			const { embeddedPlace, ephemeralSigningKey, startEmbeddedAgent } = await import('../../controller/dispatch/embedded.js');
			signingKey = pkiHasKey ? loadSigningKey(conn.pkiDir) : ephemeralSigningKey();
			const place = embeddedPlace();
			hostArgs = [place.uri];
			// The agent and the audit log start side by side (both wait on the disk); either failing stops the run.
			const agentStarts = startEmbeddedAgent(place, signingKey, o.taprun);
			waitingBegins();
			const [started, opened] = await Promise.allSettled([agentStarts, openAudit(place.uri)]);
			if (started.status === 'fulfilled') embedded = started.value;
			if (started.status === 'rejected' || opened.status === 'rejected') {
				await embedded?.close();
				if (opened.status === 'fulfilled') await (audit = opened.value).finish();
				throw started.status === 'rejected' ? started.reason : (opened as PromiseRejectedResult).reason;
			}
			audit = opened.value;
		} else {
			signingKey = loadSigningKey(conn.pkiDir);
			audit = await openAudit();
		}
	} catch (err) {
		// No RunAudit took the log: nothing was recorded. Closed once open, without holding up the
		// error (a PostgreSQL that does not answer would make it wait for the connect's time-out).
		waitingBegins();
		if (!audit) void discardRunAuditLog(auditLog);
		throw err;
	}
	// A module known now: its write-ahead record is written while the hosts are being connected.
	const audited = audit;
	moduleFor.known?.then((m) => audited.writeAheadFor(m), () => {});
	const format: OutputFormat = o.json ? 'json' : o.prefix ? 'prefix' : 'plain';
	// This host through the embedded agent: its socket's path means nothing to the user.
	const localHost = embedded ? parseHostUri(hostArgs[0]!).label : undefined;
	const sink = createSink(format, { stdout: output, stderr: process.stderr }, hostArgs.length);
	const progress = new Progress(process.stderr, !!process.stderr.isTTY && !o.json);
	let outputStarted = false;
	// Output piped into `head` and the like: when the reader goes away, stop everywhere (end probes run) and say nothing.
	// A file that cannot be written (a full disk): the same, saying why.
	let stdoutGone = false;
	const onStdoutError = (e: NodeJS.ErrnoException) => {
		if (stdoutGone) return;
		stdoutGone = true;
		if (e.code !== 'EPIPE') process.stderr.write(`tapfleet: cannot write the output${o.o !== undefined ? ` to ${o.o}` : ''}: ${e.message}\n`);
		void dispatch.unloadAll(false);
	};
	output.on('error', onStdoutError);
	// -v: pass 5 starts once the first module is ready (passes 1-4 before it say their own lines)
	let pass5: PassClock | undefined;
	const startingRun = <T>(m: T): T => {
		if (!pass5) {
			passNote('Pass 5: starting run.');
			pass5 = passClock();
		}
		return m;
	};
	const dispatch = new Dispatch({
		hosts: hostArgs.map(parseHostUri),
		tls: conn.tls,
		signingKey,
		moduleFor: audit.moduleSource(async (...a) => startingRun(await moduleFor.source(...a))),
		audit,
		session: { leaseSeconds: lease, timeLimitSeconds: timeLimit, args, detach: !!o.detach, runId: audit.runId, targetPid, targetCommand: remoteCommand ?? '', quietWarnings: !!o.w, kernelBufferMib: bufferMib },
		sink: {
			...sink,
			record(host, session, rec) {
				if (!outputStarted) progress.stop();
				outputStarted = true;
				return stdoutGone || sink.record(host, session, rec);
			},
			note(host, text, cause) {
				progress.stop();
				// this host through the embedded agent: a script that does not compile is the compiler's messages, as stap's
				if (host === localHost && format !== 'json') process.stderr.write(cause instanceof ScriptCompileError ? `${cause.diagnostics}\n` : `tapfleet: ${text}\n`);
				else sink.note(host, text, cause);
			},
		},
		onStage: (host, stage) => progress.update(host, stage),
	});
	setImmediate(waitingBegins); // the hosts' first calls are out

	let interrupts = 0;
	const onInterrupt = () => {
		interrupts++;
		audit.userInterrupted();
		progress.stop();
		if (interrupts === 1) {
			process.stderr.write('\ntapfleet: unloading everywhere (end probes run); press Ctrl-C again to force\n');
			void dispatch.unloadAll(false);
		} else {
			process.stderr.write('tapfleet: forcing unload\n');
			void dispatch.unloadAll(true);
		}
	};
	process.on('SIGINT', onInterrupt);
	process.on('SIGTERM', onInterrupt);
	let outcomes: HostOutcome[];
	try {
		outcomes = await dispatch.done;
		pass5?.done('Pass 5: run completed ', false);
	} finally {
		process.off('SIGINT', onInterrupt);
		process.off('SIGTERM', onInterrupt);
		progress.stop();
		if (!stdoutGone) sink.end?.(); // lines left unfinished by sessions that ended without an exit record
		if (outputFile) await closeOutputFile(outputFile);
		output.off('error', onStdoutError);
		await audit.finish();
		await embedded?.close();
	}
	if (o.detach) {
		for (const r of outcomes) if (r.sessionId) process.stdout.write(`${r.host}\t${r.sessionId}\n`);
		return outcomes.some((r) => !r.sessionId) ? (outcomes.every((r) => !r.sessionId) ? 1 : 3) : 0;
	}
	const failed = outcomes.filter((r) => r.error);
	if (failed.length > 0 && outcomes.length > 1) {
		process.stderr.write(`tapfleet: ${failed.length} of ${outcomes.length} host(s) failed: ${failed.map((f) => f.host).join(', ')}\n`);
	}
	return runExitStatus(outcomes);
}
