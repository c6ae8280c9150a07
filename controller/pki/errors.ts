// Errors about keys and certificates, in their own file so that loading
// credentials does not pull in the certificate generator.
export class PkiError extends Error {}
