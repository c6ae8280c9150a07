#!/usr/bin/env node
// The CLI as a few bundled files (dist/bundle/), which bin/tapfleet runs when
// they are newer than the TypeScript build. Node's start-up is the same, but
// loading `tapfleet run` drops from ~400 files (each resolved, stat()ed,
// read and compiled as its own module) to a handful: ~0.1 s less per command
// on this machine. Commands and heavy parts (the compiler, the agent) stay
// lazy: esbuild's code splitting turns each dynamic import into its own
// chunk. Built from dist/ (what tsc emitted), so it runs exactly that code.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// For benchmarks only: another output directory, and modules of dist/ replaced
// by others (a JSON object, paths relative to the repository: e.g. the CLI
// without its audit, bench/audit-cli-run.ts).
const outdir = process.env.TAPFLEET_BUNDLE_OUTDIR ?? join(root, 'dist', 'bundle');
const replaced = new Map(Object.entries(JSON.parse(process.env.TAPFLEET_BUNDLE_REPLACE ?? '{}')).map(([from, to]) => [join(root, from), join(root, to)]));
const replace = {
	name: 'replace',
	setup(b) {
		b.onResolve({ filter: /\.js$/ }, (args) => {
			const path = args.resolveDir ? join(args.resolveDir, args.path) : args.path;
			return replaced.has(path) ? { path: replaced.get(path) } : undefined;
		});
	},
};

// Code that finds files relative to itself (import.meta.url in our code: the
// tapsets, the translator's C helpers, taprun; __dirname in packages: .proto
// files) must see its original location, not the chunk's: each such file
// gets that location as a path relative to the bundle, so the repository
// stays movable.
const keepLocation = {
	name: 'keep-location',
	setup(b) {
		b.onLoad({ filter: /\.(m?js|cjs)$/ }, (args) => {
			let text = readFileSync(args.path, 'utf8');
			const addon = nativeAddon(args.path, text);
			if (addon) text = addon;
			const usesUrl = text.includes('import.meta.url');
			const usesDir = /\b__(dirname|filename)\b/.test(text);
			if (!usesUrl && !usesDir) return addon ? { contents: text, loader: 'js', resolveDir: dirname(args.path) } : undefined;
			const rel = JSON.stringify(relative(outdir, args.path));
			// __tfBundleUrl (the banner's import.meta.url): a CommonJS file that mentioned import.meta would be taken for ESM
			const fileUrl = `new URL(${rel}, __tfBundleUrl).href`;
			let contents = usesUrl ? text.replaceAll('import.meta.url', `(${fileUrl})`) : text;
			if (usesDir && !args.path.startsWith(join(root, 'dist') + '/')) {
				// a CommonJS package: esbuild wraps it in a function, so these are local to it
				contents = `var __filename = __tfFileURLToPath(${fileUrl}), __dirname = __tfDirname(__filename);\n${contents}`;
			}
			return { contents, loader: 'js', resolveDir: dirname(args.path) };
		});
	},
};

// better-sqlite3's JavaScript is bundled (loaded by the CommonJS loader it
// was ~14 files, ~5 ms a run); its compiled addon is required from
// node_modules by a path relative to the bundle: the `bindings` package it
// normally uses looks for the .node file next to the calling file on disk,
// which in a bundle is the bundle's.
// (Paths as esbuild resolved them: node_modules may be a symbolic link.)
const NATIVE_ADDONS = [{ file: '/node_modules/better-sqlite3/lib/database.js', call: "require('bindings')('better_sqlite3.node')", addon: '../build/Release/better_sqlite3.node' }];

function nativeAddon(path, text) {
	const a = NATIVE_ADDONS.find((x) => path.endsWith(x.file));
	if (!a) return undefined;
	if (!text.includes(a.call)) throw new Error(`${path} no longer loads its addon with ${a.call}: update scripts/bundle-cli.mjs`);
	return text.replace(a.call, `__tfCreateRequire(__tfBundleUrl)(${JSON.stringify(relative(outdir, join(dirname(path), a.addon)))})`);
}

// grpc-js require()s @grpc/proto-loader (and protobufjs with it) only inside
// functions that tapfleet never calls (channelz, ORCA): left to Node, so
// that `tapfleet run` does not parse its 150 kB. Resolved from the bundle's
// directory, it is the same copy grpc-js would find.
const grpcProtoLoader = {
	name: 'grpc-proto-loader',
	setup(b) {
		b.onResolve({ filter: /^@grpc\/proto-loader$/ }, (args) => (/node_modules\/@grpc\/grpc-js\//.test(args.importer) ? { path: args.path, external: true } : undefined));
	},
};

// The script cache's key covers the compiler's code (controller/build/front-cache.ts):
// from dist/ it stat()s every file of passes 1-4 on each run; the bundle
// carries the hash of the code it was made from instead (the same folders).
const COMPILER_PARTS = ['parse', 'elaborate', 'translate', 'build'];
function compilerHash() {
	const h = createHash('sha256');
	const walk = (dir) => {
		for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
			const p = join(dir, e.name);
			if (e.isDirectory()) walk(p);
			else if (p.endsWith('.js')) h.update(`${relative(root, p)}\0`).update(readFileSync(p)).update('\0');
		}
	};
	for (const part of COMPILER_PARTS) walk(join(root, 'dist', 'controller', part));
	return h.digest('hex');
}

// Stamped with the time the build started: bin/tapfleet runs the bundle only
// while it is newer than tsc's last emit (dist/.tsbuildinfo), so a tsc run
// during or after this one makes it fall back to dist/ until rebuilt.
const started = new Date();
const result = await build({
	entryPoints: { tapfleet: join(root, 'dist/cli/main.js') },
	outdir,
	write: false,
	bundle: true,
	splitting: true,
	format: 'esm',
	platform: 'node',
	target: 'node20',
	// pg-native is optional (pg works without it)
	external: ['pg-native'],
	minifyWhitespace: true,
	minifySyntax: true,
	legalComments: 'none',
	sourcemap: 'linked',
	logLevel: 'warning',
	chunkNames: 'chunk-[hash]',
	define: { 'globalThis.__TAPFLEET_BUNDLED_COMPILER__': JSON.stringify(compilerHash()) },
	plugins: [...(replaced.size > 0 ? [replace] : []), grpcProtoLoader, keepLocation],
	// CommonJS packages inside an ES module bundle still call require() for Node's built-ins.
	banner: {
		js: [
			"import { createRequire as __tfCreateRequire } from 'node:module';",
			"import { fileURLToPath as __tfFileURLToPath } from 'node:url';",
			"import { dirname as __tfDirname } from 'node:path';",
			'const __tfBundleUrl = import.meta.url;',
			'const require = __tfCreateRequire(import.meta.url);',
		].join('\n'),
	},
});

// The warm runner's client (cli/warm/client.ts), which bin/tapfleet loads for
// `run` before anything else: one file of its own, no chunks shared with the
// CLI, so a run served warm loads one small module.
const warmClient = await build({
	entryPoints: { 'warm-client': join(root, 'dist/cli/warm/client.js') },
	outdir,
	write: false,
	bundle: true,
	format: 'esm',
	platform: 'node',
	target: 'node20',
	minifyWhitespace: true,
	minifySyntax: true,
	legalComments: 'none',
	logLevel: 'warning',
	plugins: [keepLocation],
	banner: { js: 'const __tfBundleUrl = import.meta.url;' },
});

// A command already running may still import chunks lazily: chunks are named
// by content and written before the entry that refers to them, each file
// replaced by a rename; chunks of earlier builds go only once they are old.
mkdirSync(outdir, { recursive: true });
const entry = join(outdir, 'tapfleet.js');
const place = (path, contents) => {
	const tmp = `${path}.tmp-${process.pid}`;
	writeFileSync(tmp, contents);
	renameSync(tmp, path);
};
for (const f of [...result.outputFiles, ...warmClient.outputFiles]) if (f.path !== entry) place(f.path, f.contents);
place(entry, result.outputFiles.find((f) => f.path === entry).contents);
utimesSync(entry, started, started);
const current = new Set([...result.outputFiles, ...warmClient.outputFiles].map((f) => f.path));
for (const name of readdirSync(outdir)) {
	const path = join(outdir, name);
	if (!current.has(path) && existsSync(path) && Date.now() - statSync(path).mtimeMs > 10 * 60_000) rmSync(path, { force: true });
}
