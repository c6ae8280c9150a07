// The two compilations of one bpf-runtime module source: clang -target bpf
// for the kernel side (CO-RE, against the target's vmlinux.h through its
// PCH) and the host C compiler for the user part (a shared object taprun
// opens). They run in parallel; either failing fails the build with the
// compiler's messages.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModuleFile, ModuleFileRole } from '../module/manifest.js';
import { BPF_TARGET_FLAGS, BuildError, bpfRuntimeIncludes, compilerError, sha256 } from './toolchain.js';
import type { VmlinuxHeader } from './vmlinux-pch.js';

export interface CompileOptions {
	/** -D NAME=VALUE for both compilations (build-time limits such as MAXACTION). */
	defines?: Record<string, string | number>;
}

function run(cmd: string, args: string[]): Promise<void> {
	return new Promise((resolve, reject) => {
		execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024 }, (err, _stdout, stderr) => {
			if (!err) return resolve();
			const code = (err as NodeJS.ErrnoException).code;
			if (code === 'ENOENT') return reject(new BuildError(`${cmd} is not installed (pass 4 needs clang and cc)`));
			reject(compilerError(cmd, stderr || err.message));
		});
	});
}

/** -D flags in a stable order (they are part of the cache key too). */
export function defineFlags(defines: Record<string, string | number> = {}): string[] {
	return Object.keys(defines)
		.sort()
		.map((k) => `-D${k}=${defines[k]}`);
}

/** Compiles `source` into OUT_DIR/NAME.bpf.o and OUT_DIR/NAME.user.so; returns their manifest entries. */
export async function compileModuleSource(source: string, outDir: string, name: string, vmlinux: VmlinuxHeader, opts: CompileOptions = {}): Promise<ModuleFile[]> {
	const includes = bpfRuntimeIncludes.flatMap((d) => ['-I', d]);
	const defines = defineFlags(opts.defines);
	const bpfObject = `${name}.bpf.o`;
	const userPart = `${name}.user.so`;
	// A script's `x == x` is C's self-comparison: not the user's error to see as the compiler's
	const scriptWarnings = ['-Wno-tautological-compare'];
	await Promise.all([
		run('clang', [...BPF_TARGET_FLAGS, '-Wall', '-Werror', ...scriptWarnings, ...defines, ...includes, '-I', vmlinux.dir, ...(vmlinux.pch ? ['-include-pch', vmlinux.pch] : ['-include', join(vmlinux.dir, 'vmlinux.h')]), '-c', source, '-o', join(outDir, bpfObject)]),
		run('cc', ['-O2', '-g', '-fPIC', '-shared', '-fno-strict-aliasing', '-Wall', '-Werror', '-Wno-stringop-truncation', '-Wno-stringop-overflow', ...scriptWarnings, ...defines, ...includes, source, '-o', join(outDir, userPart)]),
	]);
	const files: { file: string; role: ModuleFileRole }[] = [
		{ file: bpfObject, role: 'bpf-object' },
		{ file: userPart, role: 'user-part' },
	];
	return files.map(({ file, role }) => {
		const data = readFileSync(join(outDir, file));
		return { name: file, role, size: data.length, sha256: sha256(data) };
	});
}
