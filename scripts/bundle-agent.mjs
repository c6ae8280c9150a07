#!/usr/bin/env node
// npm run bundle:agent — one file that runs the agent on a host with only
// Node installed: the agent's JavaScript and its dependencies bundled by
// esbuild, plus taprun and tapprobe (relinked with libbpf, libelf and zlib
// static, so the host needs no libbpf package) and the API descriptors for
// server reflection, all embedded. Output: dist-agent/tapfleet-agent.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist-agent');
mkdirSync(out, { recursive: true });
// A work directory of this run's own: test files build the bundle at the
// same time (each VM test prepares its payload), and a binary one run links
// while another reads it would be embedded torn.
const work = mkdtempSync(join(out, 'work-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], ...opts });

// The generated API code and the C objects, built only if missing or stale.
if (!existsSync(join(root, 'proto/gen/tapfleet/v1/agent.ts'))) run('npx', ['--no-install', 'buf', 'generate']);
run('make', ['-s', '-C', 'runtime-c/taprun']);
run('make', ['-s', '-C', 'runtime-c/probe']);

// Native libraries static, glibc dynamic (taprun dlopens each module's user part).
const staticLibs = ['-Wl,-Bstatic', '-lbpf', '-lelf', '-lz', '-Wl,-Bdynamic', '-ldl'];
const objDir = join(root, 'runtime-c/build/taprun-obj');
const objs = readdirSync(objDir).filter((f) => f.endsWith('.o')).map((f) => join(objDir, f));
run('cc', ['-rdynamic', '-o', join(work, 'taprun'), ...objs, ...staticLibs]);
run('cc', ['-O2', '-o', join(work, 'tapprobe'), join(root, 'runtime-c/probe/tapprobe.c'), ...staticLibs]);

run('npx', ['--no-install', 'buf', 'build', 'proto', '--path', 'proto/tapfleet/v1/agent.proto', '--exclude-source-info', '-o', join(work, 'agent.binpb')]);

// Files the bundle carries, by the path they get when extracted.
const files = {
	'bin/taprun': join(work, 'taprun'),
	'bin/tapprobe': join(work, 'tapprobe'),
	'api/agent.binpb': join(work, 'agent.binpb'),
	'proto/health/v1/health.proto': join(root, 'node_modules/grpc-health-check/proto/health/v1/health.proto'),
	'proto/grpc/reflection/v1/reflection.proto': join(root, 'node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto'),
	'proto/grpc/reflection/v1alpha/reflection.proto': join(root, 'node_modules/@grpc/reflection/build/proto/grpc/reflection/v1alpha/reflection.proto'),
};
const payload = {};
const hash = createHash('sha256');
for (const [name, path] of Object.entries(files)) {
	const data = readFileSync(path);
	if (name.startsWith('bin/') && data.subarray(0, 4).toString('latin1') !== '\x7fELF') throw new Error(`${path} is not an ELF executable (${data.length} bytes): not bundled`);
	hash.update(name).update(data);
	payload[name] = data.toString('base64');
}
const payloadId = hash.digest('hex').slice(0, 16);

// Runs before any bundled module: extracts the payload once per content hash
// (write to a temporary directory, then rename: concurrent starts are safe)
// and gives the CommonJS packages the require and __dirname they expect
// (grpc-health-check and @grpc/reflection load their .proto files from
// __dirname/../../proto).
const banner = `
import { createRequire as __tfRequire } from 'node:module';
import * as __tfFs from 'node:fs';
import * as __tfPath from 'node:path';
import * as __tfOs from 'node:os';
const require = __tfRequire(import.meta.url);
const __tfFilesDir = (() => {
	const payload = ${JSON.stringify(payload)};
	const cache = process.env.XDG_CACHE_HOME && process.env.XDG_CACHE_HOME.startsWith('/') ? process.env.XDG_CACHE_HOME : __tfPath.join(__tfOs.homedir(), '.cache');
	let lastError;
	for (const root of [__tfPath.join(cache, 'tapfleet'), __tfPath.join(__tfOs.tmpdir(), 'tapfleet-' + process.getuid())]) {
		const dir = __tfPath.join(root, 'agent-${payloadId}');
		try {
			if (__tfFs.existsSync(__tfPath.join(dir, '.complete'))) return dir;
			__tfFs.mkdirSync(root, { recursive: true, mode: 0o700 });
			const tmp = __tfFs.mkdtempSync(dir + '.tmp-');
			for (const [name, b64] of Object.entries(payload)) {
				__tfFs.mkdirSync(__tfPath.dirname(__tfPath.join(tmp, name)), { recursive: true });
				__tfFs.writeFileSync(__tfPath.join(tmp, name), Buffer.from(b64, 'base64'), { mode: name.startsWith('bin/') ? 0o755 : 0o644 });
			}
			__tfFs.writeFileSync(__tfPath.join(tmp, '.complete'), '');
			try { __tfFs.renameSync(tmp, dir); } catch (e) { __tfFs.rmSync(tmp, { recursive: true, force: true }); if (!__tfFs.existsSync(__tfPath.join(dir, '.complete'))) throw e; }
			return dir;
		} catch (e) { lastError = e; }
	}
	throw new Error('tapfleet-agent: cannot extract its files into a cache directory: ' + lastError.message);
})();
globalThis.__TAPFLEET_FILES_DIR__ = __tfFilesDir;
const __dirname = __tfPath.join(__tfFilesDir, 'lib', 'src');
const __filename = __tfPath.join(__dirname, 'bundle.js');
`;

const artefact = join(out, 'tapfleet-agent');
// written beside it, then renamed: a reader sees the old bundle or the new one, whole
const staged = join(work, 'tapfleet-agent');
await build({
	entryPoints: [join(root, 'agent/bundle-main.ts')],
	outfile: staged,
	bundle: true,
	platform: 'node',
	target: 'node20',
	format: 'esm',
	minify: true,
	legalComments: 'none',
	logLevel: 'warning',
	banner: { js: banner },
});
chmodSync(staged, 0o755);
renameSync(staged, artefact);
const mib = (statSync(artefact).size / 1048576).toFixed(1);
process.stdout.write(`${artefact} (${mib} MiB): run it with \`node ${artefact} --listen HOST:PORT --pki DIR\`\n`);
