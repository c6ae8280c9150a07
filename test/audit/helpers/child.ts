// Runs a helper script (compiled, next to this file) as a real child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export function spawnHelper(name: string, args: string[]): ChildProcess {
	const script = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
	return spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Resolves with the first stdout line matching `pattern`; rejects if the child exits first. */
export function waitForLine(child: ChildProcess, pattern: RegExp): Promise<RegExpMatchArray> {
	return new Promise((resolve, reject) => {
		let out = '';
		let err = '';
		child.stderr!.on('data', (d) => (err += d));
		child.stdout!.on('data', (d) => {
			out += d;
			const m = out.match(pattern);
			if (m) resolve(m);
		});
		child.on('exit', (code, signal) => reject(new Error(`helper exited (${code ?? signal}) before ${pattern}: ${err}`)));
	});
}

export async function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
	if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
	const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
	return { code, signal };
}
