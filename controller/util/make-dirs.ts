// Creating a directory and its missing parents, for paths users give us.
// Node's own `mkdirSync(p, { recursive: true })` loops forever under /proc
// (where mkdir fails with ENOENT on an existing parent), so a mistyped
// `--audit-db /proc/x/audit.db` would hang the command. This walks the path
// itself: each level is created once, and the first failure is reported.
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export function makeDirs(path: string, mode = 0o777): void {
	const target = resolve(path);
	const missing: string[] = [];
	for (let dir = target; ; dir = dirname(dir)) {
		let isDir: boolean | undefined;
		try {
			isDir = statSync(dir).isDirectory();
		} catch (e) {
			// ENOTDIR: a parent is a file; going up names it ("X is not a directory")
			const code = (e as NodeJS.ErrnoException).code;
			if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
		}
		if (isDir === true) break;
		if (isDir === false) throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR', path: dir });
		missing.push(dir);
		if (dirname(dir) === dir) break;
	}
	for (const dir of missing.reverse()) {
		try {
			mkdirSync(dir, { mode });
		} catch (e) {
			// Another process may have made it meanwhile; anything else is the user's to know.
			if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
		}
	}
}
