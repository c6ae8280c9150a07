// `tapfleet keys`: the PKI for mutual TLS and module signing.
import type { Command } from 'commander';
import { defaultPkiDir } from '../../controller/pki/dirs.js';
import { loadSigningKey } from '../../controller/pki/credentials.js';
import { PkiError } from '../../controller/pki/errors.js';
import { signModuleDir } from '../../controller/module/sign.js';
import { readModuleDir, ModuleDirError } from '../../controller/dispatch/module-dir.js';

// The certificate generator is loaded only by the commands that use it (it is slow to load).
const pki = () => import('../../controller/pki/keys.js');

function fail(err: unknown): void {
	// a file or directory of the user's that cannot be written or made (a --dir that is a file, a full disk): theirs to fix
	const fsError = err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((err as NodeJS.ErrnoException).code!);
	if (err instanceof PkiError || err instanceof ModuleDirError || fsError) {
		process.stderr.write(`tapfleet keys: ${err.message}\n`);
		process.exitCode = 1;
		return;
	}
	throw err;
}

const collect = (v: string, acc: string[]) => [...acc, v];

export function registerKeys(program: Command): void {
	const keys = program.command('keys').description('create the CA, certificates and the module-signing key');
	keys
		.command('init')
		.description('create a PKI directory: CA, controller certificate, ed25519 module-signing key')
		.option('--dir <PKI>', 'PKI directory', defaultPkiDir())
		.option('--name <NAME>', "the controller certificate's identity", 'controller')
		.action(async (o: { dir: string; name: string }) => {
			try {
				const r = await (await pki()).initPki(o.dir, o.name);
				process.stdout.write(`created ${r.dir}:\n${r.written.map((f) => `  ${f}\n`).join('')}`);
			} catch (e) {
				fail(e);
			}
		});
	keys
		.command('issue')
		.description('issue an agent directory (PKI/agents/NAME) or a client certificate (PKI/clients/NAME)')
		.option('--dir <PKI>', 'PKI directory', defaultPkiDir())
		.option('--agent <NAME>', 'issue for an agent: certificate, CA, trusted signing key')
		.option('--san <NAME_OR_IP>', 'extra DNS name or IP address the agent is reached at (repeatable)', collect, [])
		.option('--client <NAME>', 'issue a client certificate (a second controller, an observer)')
		.option('--role <ROLE>', 'client role: controller (observe, operate) or observer (observe)', 'controller')
		.action(async (o: { dir: string; agent?: string; san: string[]; client?: string; role: string }) => {
			try {
				if (!!o.agent === !!o.client) throw new PkiError('give exactly one of --agent NAME or --client NAME');
				if (o.agent) {
					process.stdout.write(`issued ${await (await pki()).issueAgent(o.dir, o.agent, o.san)}\n`);
				} else {
					if (o.role !== 'controller' && o.role !== 'observer') throw new PkiError(`--role ${o.role}: expected controller or observer`);
					process.stdout.write(`issued ${await (await pki()).issueClient(o.dir, o.client!, o.role)}\n`);
				}
			} catch (e) {
				fail(e);
			}
		});
	keys
		.command('sign')
		.description("sign a module directory's manifest.json (writes manifest.sig)")
		.argument('<MODULE_DIR>')
		.option('--dir <PKI>', 'PKI directory', defaultPkiDir())
		.action((dir: string, o: { dir: string }) => {
			try {
				readModuleDir(dir); // refuse to sign a module whose files do not match its manifest
				signModuleDir(dir, loadSigningKey(o.dir));
				process.stdout.write(`signed ${dir}\n`);
			} catch (e) {
				fail(e);
			}
		});
}
