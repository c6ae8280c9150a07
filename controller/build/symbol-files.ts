// -d FILE (compile, run): the programs and libraries whose symbols a
// module carries for naming user-space addresses (user-symbol-files.ts), by
// their canonical paths: the path a traced process maps the file at, which
// is what the module's lookup compares.
import { realpathSync } from 'node:fs';
import { elfFile } from '../elaborate/elf-symbols.js';

/** The canonical paths of `given`; an error naming the first that is missing or not ELF. */
export function symbolFiles(given: readonly string[] | undefined): string[] {
	return (given ?? []).map((f) => {
		let path: string;
		try {
			path = realpathSync(f);
		} catch (e) {
			throw new Error(`-d ${f}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
		}
		try {
			elfFile(path);
		} catch (e) {
			throw new Error(`-d ${f}: ${(e as Error).message}`);
		}
		return path;
	});
}
