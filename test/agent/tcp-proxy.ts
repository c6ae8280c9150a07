// A TCP relay between a client and an agent that a test can cut, to break
// a connection mid-stream without touching either end. TLS passes through
// untouched (the relay sees only ciphertext).
import { createServer, connect, type Socket } from 'node:net';

export interface TcpProxy {
	address: string;
	/** Cuts every relayed connection; new ones are accepted again. */
	breakConnections(): void;
	close(): Promise<void>;
}

export function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
	const sockets = new Set<Socket>();
	const server = createServer((client) => {
		const upstream = connect(target.port, target.host);
		for (const s of [client, upstream]) {
			sockets.add(s);
			s.on('close', () => sockets.delete(s));
			s.on('error', () => {});
		}
		client.pipe(upstream);
		upstream.pipe(client);
		client.on('close', () => upstream.destroy());
		upstream.on('close', () => client.destroy());
	});
	return new Promise((resolve) =>
		server.listen(0, '127.0.0.1', () => {
			const port = (server.address() as { port: number }).port;
			resolve({
				address: `127.0.0.1:${port}`,
				breakConnections() {
					for (const s of sockets) s.destroy();
				},
				close: () =>
					new Promise<void>((r) => {
						for (const s of sockets) s.destroy();
						server.close(() => r());
					}),
			});
		}),
	);
}
