// `tapfleet run SCRIPT` on this host: the module runs in a taprun child
// whose stdout is ours byte for byte and whose stderr carries stap's
// ERROR/WARNING lines. With -c CMD the command's process exists before the
// module loads (its pid is target(), begin probes included, as in stap) but
// runs only once every probe is attached (taprun -j says "started"); the
// session stops when it exits,
// as with stap -c.
//
// Audited like every run (controller/audit/local-run.ts): the write-ahead
// record is committed before taprun starts; taprun's JSON events (-j) say
// when it attached, why it stopped and how many records it lost; stdout
// passes through here to be counted (-o FILE: the file is counted at the end).
import { passClock, passNote } from '../../controller/util/pass-report.js';
import { spawn } from 'node:child_process';
import { signalTree } from '../../controller/util/process-tree.js';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LocalRunAudit, type LocalEnd } from '../../controller/audit/local-run.js';
import type { EndReason } from '../../controller/audit/types.js';
import { parseDefines } from '../../controller/build/defines.js';
import { runPipeline } from '../../controller/build/script-pipeline.js';
import { taprunPath } from '../../controller/build/toolchain.js';
import { MANIFEST_FILE, parseManifest } from '../../controller/module/manifest.js';
import { parseTargetPid } from './target-pid.js';
import { spawnGatedCommand } from './gated-command.js';
import { processExists } from '../../controller/util/pid.js';
import { withoutWarnings } from '../../controller/parse/diagnostics.js';

export interface LocalRunOptions {
	/** -T: stop after this many seconds (0: no limit). */
	timeLimit: number;
	/** -o FILE */
	output?: string;
	/** -c CMD: run through /bin/sh while tracing; stop when it exits. */
	command?: string;
	/** -x PID: target() is this running process (without -c). */
	target?: number;
	/** Script arguments. */
	args: string[];
	taprun?: string;
	/** -w: taprun prints no warnings */
	quietWarnings?: boolean;
	/** -s: MiB between the kernel side and taprun; 0: taprun's default */
	kernelBufferMib?: number;
	/** The run's audit, its write-ahead record already committed. */
	audit?: LocalRunAudit;
}

interface TaprunEvent {
	type?: string;
	message?: string;
	location?: string;
	reason?: string;
	lost?: number;
}

/** taprun's -j stderr line as stap's text (null: nothing to show). */
function stapText(ev: TaprunEvent | null, line: string): string | null {
	if (ev === null) return line; // libbpf or loader text: pass it on
	if (ev.type === 'error') return `ERROR: ${ev.message}${ev.location ? ` near ${ev.location}` : ''}`;
	if (ev.type === 'warning') return `WARNING: ${ev.message}`;
	return null;
}

function parseEvent(line: string): TaprunEvent | null {
	try {
		const ev = JSON.parse(line);
		return ev && typeof ev === 'object' ? (ev as TaprunEvent) : null;
	} catch {
		return null;
	}
}

function newlines(chunk: Buffer): number {
	let n = 0;
	for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) n++;
	return n;
}

/** Bytes and lines of the -o file (a regular file only: a device or pipe cannot be read back). */
async function countFile(path: string): Promise<{ bytes: number; lines: number; lastByte?: number }> {
	try {
		if (!statSync(path).isFile()) return { bytes: 0, lines: 0 };
	} catch {
		return { bytes: 0, lines: 0 };
	}
	let bytes = 0;
	let lines = 0;
	let lastByte: number | undefined;
	for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
		bytes += chunk.length;
		lines += newlines(chunk);
		lastByte = chunk[chunk.length - 1];
	}
	return { bytes, lines, lastByte };
}

/** How taprun's session ended, for the audit. */
function endOf(stopping: string | undefined, o: { interrupted: boolean; commandExit?: string; status: number; signal: NodeJS.Signals | null; lastError?: string }): Pick<LocalEnd, 'endedBy' | 'message'> {
	const failed = o.status !== 0 || o.signal !== null;
	const why = o.signal ? `taprun was killed by ${o.signal}` : `taprun exited with status ${o.status}`;
	let endedBy: EndReason;
	if (o.interrupted) endedBy = 'interrupt';
	else if (stopping === 'timeout') endedBy = 'time-limit';
	else if (stopping === 'exit' || (stopping === 'signal' && o.commandExit !== undefined)) endedBy = 'exit';
	else endedBy = 'error';
	if (endedBy === 'error') return { endedBy, message: o.lastError ?? (stopping === undefined && !failed ? 'taprun ended without stopping' : why) };
	const notes = [o.commandExit && o.commandExit !== 'status 0' ? `-c command exited with ${o.commandExit}` : undefined, failed ? `${why}${o.lastError ? `: ${o.lastError}` : ''}` : undefined].filter(Boolean);
	return { endedBy, ...(notes.length ? { message: notes.join('; ') } : {}) };
}

export async function runModuleLocally(moduleDir: string, o: LocalRunOptions): Promise<number> {
	const argv: string[] = ['-j'];
	if (o.timeLimit > 0) argv.push('-T', String(o.timeLimit));
	if (o.output) argv.push('-o', o.output);
	if (o.quietWarnings) argv.push('-w');
	if (o.kernelBufferMib) argv.push('-s', String(o.kernelBufferMib));
	const cmd = o.command !== undefined ? spawnGatedCommand(o.command) : undefined;
	let cmdPid: number | undefined;
	if (cmd) {
		try {
			cmdPid = await cmd.started;
		} catch (e) {
			process.stderr.write(`tapfleet run: -c: ${(e as Error).message}\n`);
			o.audit?.ended({ endedBy: 'error', message: `-c: ${(e as Error).message}`, outputBytes: 0, outputLines: 0, dropped: 0 });
			return 1;
		}
		argv.push('-x', String(cmdPid));
	} else if (o.target !== undefined) argv.push('-x', String(o.target));
	argv.push(moduleDir, ...o.args);
	passNote('Pass 5: starting run.');
	const pass5 = passClock();
	const child = spawn(o.taprun ?? taprunPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
	let commandExit: string | undefined;
	let stopping = false;
	let interrupted = false;
	let stopReason: string | undefined;
	let lastError: string | undefined;
	let lost = 0;
	let outputBytes = 0;
	let outputLines = 0;
	let firstOutputAtMs: number | undefined;
	let lastByte: number | undefined;
	const stop = () => {
		if (!stopping && child.exitCode === null) child.kill('SIGINT');
		stopping = true;
	};
	// Our stdout going away (`| head`): stop taprun (end probes run) and drop the rest quietly.
	let stdoutGone = false;
	const onStdoutError = (e: NodeJS.ErrnoException) => {
		if (stdoutGone) return;
		stdoutGone = true;
		if (e.code !== 'EPIPE') process.stderr.write(`tapfleet: cannot write the output: ${e.message}\n`);
		stop();
	};
	process.stdout.on('error', onStdoutError);
	const stdoutDone = new Promise<void>((resolve) => {
		child.stdout!.on('data', (chunk: Buffer) => {
			firstOutputAtMs ??= Date.now();
			outputBytes += chunk.length;
			outputLines += newlines(chunk);
			lastByte = chunk[chunk.length - 1];
			if (stdoutGone) return;
			if (!process.stdout.write(chunk)) {
				child.stdout!.pause();
				process.stdout.once('drain', () => child.stdout!.resume());
			}
		});
		child.stdout!.on('end', resolve);
		child.stdout!.on('error', () => resolve());
	});
	createInterface({ input: child.stderr! }).on('line', (line) => {
		const ev = parseEvent(line);
		if (ev?.type === 'started') {
			// Begin probes run before taprun says "started": their output may be here first.
			o.audit?.loaded(`taprun-${child.pid}`, Math.min(Date.now(), firstOutputAtMs ?? Infinity));
			cmd?.release();
			return;
		}
		if (ev?.type === 'stopping') stopReason = ev.reason;
		if (ev?.type === 'summary' && typeof ev.lost === 'number') lost = ev.lost;
		if (ev?.type === 'error' && ev.message) lastError = ev.message;
		const text = stapText(ev, line);
		if (text !== null) process.stderr.write(text + '\n');
	});
	cmd?.onExit((code, signal) => {
		commandExit = signal ? `signal ${signal}` : `status ${code}`;
		stop();
	});
	// taprun handles the signals (end probes run); we only pass them on
	const forward = (sig: NodeJS.Signals) => () => {
		interrupted = true;
		if (child.exitCode === null) child.kill(sig);
	};
	const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
	for (const [s, h] of handlers) process.on(s, h);
	return new Promise((resolve) => {
		let started = true;
		child.on('error', (e) => {
			started = false;
			process.stderr.write(`tapfleet run: cannot start taprun (${o.taprun ?? taprunPath}): ${e.message}; build it with \`make -C runtime-c\`\n`);
			o.audit?.ended({ endedBy: 'error', message: `cannot start taprun: ${e.message}`, outputBytes: 0, outputLines: 0, dropped: 0 });
			resolve(1);
		});
		child.on('close', async (code, signal) => {
			pass5.done('Pass 5: run completed ', false);
			for (const [s, h] of handlers) process.off(s, h);
			process.stdout.off('error', onStdoutError);
			// The command and whatever it started (a pipeline, a background job under its shell).
			if (cmdPid !== undefined && cmd?.running()) signalTree(cmdPid, 'SIGTERM');
			const status = code ?? (signal ? 1 : 0);
			if (started && o.audit) {
				await stdoutDone;
				if (o.output) {
					const file = await countFile(o.output);
					outputBytes += file.bytes;
					outputLines += file.lines;
					lastByte = file.lastByte ?? lastByte;
				}
				// A last line without its newline is a line too (as the agent counts).
				if (lastByte !== undefined && lastByte !== 10) outputLines++;
				const how = endOf(stopReason, { interrupted, commandExit, status: code ?? 0, signal, lastError });
				o.audit.ended({ ...how, outputBytes, outputLines, ...(firstOutputAtMs !== undefined ? { firstOutputAtMs } : {}), dropped: lost });
			}
			resolve(status);
		});
	});
}

export interface LocalScriptOptions {
	e?: string;
	c?: string;
	x?: string;
	o?: string;
	T?: string;
	D?: string[];
	/** -d FILE: symbol tables the module carries (canonical paths, symbol-files.ts) */
	d?: string[];
	I?: string[];
	g?: boolean;
	/** -w: no warnings (stap -w) */
	w?: boolean;
	/** -s: MiB between the kernel side and taprun (checked); 0: the default */
	s?: number;
	taprun?: string;
	/** --audit-db (default: $TAPFLEET_AUDIT_DB, else the SQLite file under $XDG_STATE_HOME). */
	auditDb?: string;
}

/** Command-line text (UTF-16 in JS) as the byte string the lexer works on. */
function toBytes(s: string): string {
	return Buffer.from(s, 'utf8').toString('latin1');
}

/** `tapfleet run (-e SCRIPT | FILE) [ARGS...]` on this host: passes 1-4, then taprun. */
export async function runScriptLocally(script: string | undefined, args: string[], o: LocalScriptOptions): Promise<number> {
	const positional = script === undefined ? [...args] : [script, ...args];
	let name: string;
	let text: string | null;
	if (o.e !== undefined) {
		name = '<input>';
		text = toBytes(o.e);
	} else {
		const file = positional.shift();
		if (file === undefined) throw new Error('a script is needed: -e SCRIPT or FILE');
		name = file;
		text = file === '-' ? readFileSync(0, 'latin1') : null;
		if (file === '-') name = '<input>';
	}
	const timeLimit = o.T === undefined ? 0 : Number(o.T);
	if (!Number.isSafeInteger(timeLimit) || timeLimit < 0) throw new Error(`-T ${JSON.stringify(o.T)}: expected whole seconds`);
	const target = o.x === undefined ? undefined : targetPid(o.x);
	// The log opens while the script compiles (or is found in the cache).
	const audit = new LocalRunAudit(
		o.auditDb,
		{ args: positional, timeLimitSeconds: timeLimit, ...(o.c !== undefined ? { command: o.c } : {}), ...(target !== undefined ? { target } : {}), ...(o.o !== undefined ? { output: o.o } : {}) },
		(text) => process.stderr.write(`tapfleet: ${text}\n`),
	);
	try {
		const r = await runPipeline({ name, text, args: positional.map(toBytes), includePaths: o.I, guru: o.g }, 4, { defines: parseDefines(o.D ?? []), symbolFiles: o.d });
		const diagnostics = o.w ? withoutWarnings(r.stderr) : r.stderr;
		if (diagnostics) process.stderr.write(Buffer.from(diagnostics, 'latin1'));
		if (!r.ok || !r.moduleDir) {
			// Nothing to load, but the run is recorded, as a run through agents is.
			const written = audit.begin({ scriptText: o.e ?? readScript(name, text) }, false);
			await written.catch((e) => process.stderr.write(`tapfleet: audit: ${(e as Error).message}\n`));
			audit.ended({ endedBy: 'error', message: 'not loaded: no module (the script did not compile)', outputBytes: 0, outputLines: 0, dropped: 0 });
			return 1;
		}
		const manifestBytes = readFileSync(join(r.moduleDir, MANIFEST_FILE));
		await audit.begin({ manifestBytes, manifest: parseManifest(manifestBytes) }, !r.cached);
		return await runModuleLocally(r.moduleDir, { timeLimit, output: o.o, command: o.c, target, args: positional, taprun: o.taprun, quietWarnings: !!o.w, kernelBufferMib: o.s, audit });
	} finally {
		await audit.finish();
	}
}

/** -x PID: a process of this host, checked before anything compiles or loads (-c with -x: run.ts refuses). */
function targetPid(text: string): number {
	const pid = parseTargetPid(text);
	if (!processExists(pid)) throw new Error(`-x ${pid}: no such process`);
	return pid;
}

/** The script's text for the record of a run that did not compile (empty if unreadable). */
function readScript(file: string, stdinBytes: string | null): string {
	if (stdinBytes !== null) return Buffer.from(stdinBytes, 'latin1').toString('utf8');
	try {
		return readFileSync(file, 'utf8');
	} catch {
		return '';
	}
}
