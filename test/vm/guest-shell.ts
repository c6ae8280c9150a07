// A command runner for tests, run inside the test VM (copied into its payload
// as guest-shell.mjs, so it imports nothing but Node's own modules). It lets
// a test on the host run commands in the guest over the forwarded port:
// POST /exec {"argv": [...], "timeoutMs": N} -> {"status", "signal",
// "stdout" (base64: kernel files such as /sys/kernel/notes are binary), "stderr"}.
// It is a root shell by design: it exists only in the throwaway test VM, and
// qemu forwards its port on the host's loopback only.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';

const MAX_REQUEST_BYTES = 1 << 20;
const MAX_OUTPUT_BYTES = 64 << 20;
const DEFAULT_TIMEOUT_MS = 60_000;

interface ExecRequest {
	argv: string[];
	timeoutMs?: number;
}

function parseRequest(body: string): ExecRequest {
	const req = JSON.parse(body) as ExecRequest;
	if (!Array.isArray(req.argv) || req.argv.length === 0 || !req.argv.every((a) => typeof a === 'string')) {
		throw new Error('argv must be a non-empty array of strings');
	}
	return req;
}

function run(req: ExecRequest): Promise<object> {
	return new Promise((resolve) => {
		const child = spawn(req.argv[0]!, req.argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
		const out: Buffer[] = [];
		const err: Buffer[] = [];
		let size = 0;
		const keep = (into: Buffer[]) => (chunk: Buffer) => {
			size += chunk.length;
			if (size <= MAX_OUTPUT_BYTES) into.push(chunk);
			else child.kill('SIGKILL');
		};
		child.stdout.on('data', keep(out));
		child.stderr.on('data', keep(err));
		const timer = setTimeout(() => child.kill('SIGKILL'), req.timeoutMs ?? DEFAULT_TIMEOUT_MS);
		child.on('error', (e) => {
			clearTimeout(timer);
			resolve({ status: 127, signal: null, stdout: '', stderr: `${req.argv[0]}: ${e.message}\n` });
		});
		child.on('close', (status, signal) => {
			clearTimeout(timer);
			resolve({ status, signal, stdout: Buffer.concat(out).toString('base64'), stderr: Buffer.concat(err).toString('utf8') });
		});
	});
}

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) {
	process.stderr.write('guest-shell: PORT must name the TCP port to listen on\n');
	process.exit(2);
}

createServer((request, response) => {
	const reply = (code: number, body: object) => {
		response.writeHead(code, { 'content-type': 'application/json' });
		response.end(JSON.stringify(body));
	};
	if (request.method !== 'POST' || request.url !== '/exec') return reply(404, { error: 'POST /exec only' });
	let body = '';
	request.setEncoding('utf8');
	request.on('data', (chunk: string) => {
		body += chunk;
		if (body.length > MAX_REQUEST_BYTES) request.destroy();
	});
	request.on('end', () => {
		let req: ExecRequest;
		try {
			req = parseRequest(body);
		} catch (e) {
			return reply(400, { error: (e as Error).message });
		}
		void run(req).then((result) => reply(200, result));
	});
}).listen(port, () => process.stdout.write(`guest-shell: listening on ${port}\n`));
