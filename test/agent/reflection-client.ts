// What grpcurl does first against a server: ask the reflection service for
// the services it offers and the file that defines one of them.
import { credentials, loadPackageDefinition, type ChannelCredentials } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';
import { REPO } from './helpers.js';

export interface ReflectionAnswer {
	services: string[];
	/** Serialized FileDescriptorProtos for the symbol asked about. */
	files: Buffer[];
}

export async function reflect(address: string, creds: ChannelCredentials, symbol: string): Promise<ReflectionAnswer> {
	const def = loadSync(join(REPO, 'node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto'), { keepCase: true });
	const pkg: any = loadPackageDefinition(def);
	// The agent certificates name localhost too; an IP address is no valid TLS server name.
	const client = new pkg.grpc.reflection.v1.ServerReflection(address, creds, { 'grpc.ssl_target_name_override': 'localhost' });
	try {
		const ask = (request: object) =>
			new Promise<any>((resolve, reject) => {
				const call = client.ServerReflectionInfo();
				call.on('data', (r: any) => {
					resolve(r);
					call.end();
				});
				call.on('error', reject);
				call.write(request);
			});
		const list = await ask({ list_services: '' });
		const file = await ask({ file_containing_symbol: symbol });
		return {
			services: list.list_services_response.service.map((s: any) => s.name).sort(),
			files: file.file_descriptor_response?.file_descriptor_proto ?? [],
		};
	} finally {
		client.close();
	}
}

export { credentials };
