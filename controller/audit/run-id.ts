// A run's id: 12 hex digits, random (the audit log refuses one it holds already).
import { randomBytes } from 'node:crypto';

export function newRunId(): string {
	return randomBytes(6).toString('hex');
}
