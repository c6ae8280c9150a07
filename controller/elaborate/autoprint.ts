// stap's end-of-run display of globals the script writes but never reads
// (elaborate.cxx add_global_var_display): one synthetic `probe end` per such
// global of the user's script, printing it in stap's format. Built from the
// elaborated program, because the format depends on the inferred types;
// the caller elaborates again with these probes added.
import type * as P from './program.js';

/** The user's globals that stap would display at the end: written, never read. */
export function unreadGlobals(program: P.Program): P.GlobalVar[] {
	return program.globals.filter((g) => g.fromTapset === null && g.written && !g.read);
}

const STATS = ['@count', '@min', '@max', '@sum', '@avg'];

function displayProbe(g: P.GlobalVar): string {
	const n = g.name;
	const keys = g.keys ?? [];
	const idx = keys.map((_k, i) => `__idx${i}`);
	let format = n;
	if (keys.length) format += `[${keys.map((k) => (k === 'string' ? '\\"%#s\\"' : '%#d')).join(',')}]`;
	const value = keys.length ? (g.type === 'stats' ? `${n}[${idx.join(',')}]` : '__val') : n;
	let args: string[];
	if (g.type === 'stats') {
		format += STATS.map((s) => ` ${s}=%#d`).join('');
		args = STATS.map((s) => `${s}(${value})`);
	} else {
		format += g.type === 'string' ? '=\\"%#s\\"' : '=%d';
		args = [value];
	}
	const print = `printf("${format}\\n"${[...idx, ...args].map((a) => `, ${a}`).join('')})`;
	if (keys.length) {
		const bind = g.type === 'stats' ? '' : '__val = ';
		return `probe end {\n\tforeach (${bind}[${idx.join(', ')}] in ${n}-)\n\t\t${print}\n}\n`;
	}
	if (g.type === 'stats') return `probe end {\n\tif (@count(${n}) == 0)\n\t\tprintf("${n} @count=0x0\\n")\n\telse\n\t\t${print}\n}\n`;
	return `probe end {\n\t${print}\n}\n`;
}

/** The synthetic script (null when there is nothing to display). */
export function autoprintText(program: P.Program): string | null {
	const globals = unreadGlobals(program);
	return globals.length ? globals.map(displayProbe).join('') : null;
}
