// Who a client is and what it may do. The identity is the common name of
// the client certificate; its role (set by `tapfleet keys` in the subject's
// OU) decides the default rights, and the agent's policy may override them
// per identity.

/**
 * observe: list, stream; operate: load, unload; commands: load a module
 * whose script runs shell commands (system()); guru: load a module whose
 * script changes the kernel (guru mode: target-variable writes, embedded
 * C). No role has commands or guru unless the agent's policy grants it.
 */
export type Right = 'observe' | 'operate' | 'commands' | 'guru';
export const ALL_RIGHTS: readonly Right[] = ['observe', 'operate', 'commands', 'guru'];

/** Roles `tapfleet keys` puts into certificates (subject OU). */
export type Role = 'controller' | 'observer' | 'agent';
export const ROLE_OU: Record<Role, string> = {
	controller: 'tapfleet-controller',
	observer: 'tapfleet-observer',
	agent: 'tapfleet-agent',
};

/** Rights a role has when the agent's policy says nothing about the identity. */
export const DEFAULT_RIGHTS: Record<Role, readonly Right[]> = {
	controller: ['observe', 'operate'],
	observer: ['observe'],
	agent: [],
};

export function roleFromOu(ou: string | string[] | undefined): Role | undefined {
	const values = Array.isArray(ou) ? ou : ou === undefined ? [] : [ou];
	for (const [role, name] of Object.entries(ROLE_OU)) {
		if (values.includes(name)) return role as Role;
	}
	return undefined;
}

export function isRight(value: string): value is Right {
	return (ALL_RIGHTS as readonly string[]).includes(value);
}
