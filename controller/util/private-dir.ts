// Directories that hold this user's sockets (audit keepers, warm runners):
// whoever can enter one can talk to what listens there, as this user.
import { chmodSync, lstatSync } from 'node:fs';
import { makeDirs } from './make-dirs.js';

/** Makes `dir` (0700) if missing; true when it is a real directory of this user that no one else can enter. */
export function privateDir(dir: string): boolean {
	try {
		makeDirs(dir, 0o700);
		const st = lstatSync(dir);
		if (!st.isDirectory() || st.uid !== process.getuid?.()) return false;
		if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
		return true;
	} catch {
		return false;
	}
}

/** Without making or changing anything: `path` is a socket of this user in a directory of this user that no one else can enter. */
export function ownSocket(path: string, dir: string): boolean {
	const uid = process.getuid?.();
	const d = lstatSync(dir, { throwIfNoEntry: false });
	if (!d?.isDirectory() || d.uid !== uid || (d.mode & 0o077) !== 0) return false;
	const s = lstatSync(path, { throwIfNoEntry: false });
	return !!s?.isSocket() && s.uid === uid;
}
