// TEMPORARY prototype (not committed): the CLI-side cost of a thin audit client.
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { ModuleSource, RunAudit } from '../../controller/dispatch/run-audit.js';
import type { ModuleOnDisk } from '../../controller/dispatch/module-dir.js';

type Public<T> = { [K in keyof T]: T[K] };

class Thin implements Public<RunAudit> {
	readonly runId = randomBytes(6).toString('hex');
	readonly opened: Promise<void>;
	private sock: Socket;
	private id = 0;
	private waiting = new Map<number, () => void>();
	private begun?: Promise<void>;
	private buf = '';
	constructor() {
		this.sock = connect(process.env.THIN_SOCK!);
		this.opened = new Promise((r) => this.sock.once('connect', () => r()));
		this.sock.on('data', (d) => {
			this.buf += d.toString();
			let i;
			while ((i = this.buf.indexOf('\n')) >= 0) {
				const m = JSON.parse(this.buf.slice(0, i));
				this.buf = this.buf.slice(i + 1);
				this.waiting.get(m.id)?.();
				this.waiting.delete(m.id);
			}
		});
	}
	private send(msg: object, wait = false): Promise<void> {
		const id = ++this.id;
		this.sock.write(JSON.stringify({ id, ...msg }) + '\n');
		return wait ? new Promise((r) => this.waiting.set(id, r)) : Promise.resolve();
	}
	private begin(mod: ModuleOnDisk): Promise<void> {
		return (this.begun ??= this.send({ op: 'begin', runId: this.runId, moduleHash: createHash('sha256').update(mod.manifestBytes).digest('hex'), script: mod.manifest.script.text }, true));
	}
	moduleSource(source: ModuleSource): ModuleSource {
		return async (...a) => {
			const m = await source(...a);
			await this.begin(m);
			return m;
		};
	}
	hostReached(): void {}
	hostLoadError(): void {}
	hostLoaded(host: string, sessionId: string): void {
		void this.send({ op: 'loaded', host, sessionId, at: Date.now() });
	}
	hostOutput(): void {}
	hostFollowed(host: string): void {
		void this.send({ op: 'ended', host, at: Date.now() });
	}
	hostFailed(): void {}
	writeAheadFor(mod: ModuleOnDisk): void {
		void this.begin(mod);
	}
	userInterrupted(): void {}
	async finish(): Promise<void> {
		await this.send({ op: 'finish' }, true);
		this.sock.end();
	}
}

export function openRunAudit(): Promise<RunAudit> {
	return Promise.resolve(new Thin() as unknown as RunAudit);
}
