// `tapfleet run SCRIPT` on this host: the module runs in a taprun child
// whose stdout is ours byte for byte and whose stderr carries stap's
// ERROR/WARNING lines. With -c CMD the command starts once every probe is
// attached (taprun -j says "started"), and the session stops when it exits,
// as with stap -c.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { parseDefines } from '../../controller/build/script-module.js';
import { runPipeline } from '../../controller/build/script-pipeline.js';
import { taprunPath } from '../../controller/build/toolchain.js';

export interface LocalRunOptions {
	/** -T: stop after this many seconds (0: no limit). */
	timeLimit: number;
	/** -o FILE */
	output?: string;
	/** -c CMD: run through /bin/sh while tracing; stop when it exits. */
	command?: string;
	/** Script arguments. */
	args: string[];
	taprun?: string;
}

/** taprun's -j stderr line as stap's text. */
function stapText(line: string): string | null {
	let ev: { type?: string; message?: string; location?: string };
	try {
		ev = JSON.parse(line);
	} catch {
		return line; // libbpf or loader text: pass it on
	}
	if (ev.type === 'error') return `ERROR: ${ev.message}${ev.location ? ` near ${ev.location}` : ''}`;
	if (ev.type === 'warning') return `WARNING: ${ev.message}`;
	return null;
}

export function runModuleLocally(moduleDir: string, o: LocalRunOptions): Promise<number> {
	const argv: string[] = [];
	if (o.timeLimit > 0) argv.push('-T', String(o.timeLimit));
	if (o.output) argv.push('-o', o.output);
	if (o.command !== undefined) argv.push('-j');
	argv.push(moduleDir, ...o.args);
	const child = spawn(o.taprun ?? taprunPath, argv, { stdio: ['ignore', 'inherit', o.command !== undefined ? 'pipe' : 'inherit'] });
	let cmd: ReturnType<typeof spawn> | undefined;
	let stopping = false;
	const stop = () => {
		if (!stopping && child.exitCode === null) child.kill('SIGINT');
		stopping = true;
	};
	if (o.command !== undefined && child.stderr) {
		createInterface({ input: child.stderr }).on('line', (line) => {
			if (line.includes('"type":"started"') && !cmd) {
				cmd = spawn('/bin/sh', ['-c', o.command!], { stdio: ['inherit', 'inherit', 'inherit'] });
				cmd.on('exit', stop);
				cmd.on('error', (e) => {
					process.stderr.write(`tapfleet run: -c: ${e.message}\n`);
					stop();
				});
				return;
			}
			const text = stapText(line);
			if (text !== null) process.stderr.write(text + '\n');
		});
	}
	// taprun handles the signals (end probes run); we only pass them on
	const forward = (sig: NodeJS.Signals) => () => {
		if (child.exitCode === null) child.kill(sig);
	};
	const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
	for (const [s, h] of handlers) process.on(s, h);
	return new Promise((resolve) => {
		child.on('error', (e) => {
			process.stderr.write(`tapfleet run: cannot start taprun (${o.taprun ?? taprunPath}): ${e.message}; build it with \`make -C runtime-c\`\n`);
			resolve(1);
		});
		child.on('close', (code, signal) => {
			for (const [s, h] of handlers) process.off(s, h);
			if (cmd && cmd.exitCode === null) cmd.kill('SIGTERM');
			resolve(code ?? (signal ? 1 : 0));
		});
	});
}

export interface LocalScriptOptions {
	e?: string;
	c?: string;
	o?: string;
	T?: string;
	D?: string[];
	I?: string[];
	g?: boolean;
	taprun?: string;
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
	const r = await runPipeline({ name, text, args: positional.map(toBytes), includePaths: o.I, guru: o.g }, 4, { defines: parseDefines(o.D ?? []) });
	if (r.stderr) process.stderr.write(Buffer.from(r.stderr, 'latin1'));
	if (!r.ok || !r.moduleDir) return 1;
	return runModuleLocally(r.moduleDir, { timeLimit, output: o.o, command: o.c, args: positional, taprun: o.taprun });
}
