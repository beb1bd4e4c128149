/**
 * The public half of the key MailDesk licences are signed with. It ships in the extension
 * so keys verify offline; the private half never enters this repository. Tests use their own
 * pair (test/fixtures/licence/) and pass its public key to the verifier explicitly.
 */
export const SHIPPED_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEALo7iPBrVB4g4EHnrGS+lsNletGdmDY0VWgo7twXmDQI=
-----END PUBLIC KEY-----
`;

/** The product name a MailDesk for VS Code key must carry. */
export const PRODUCT = 'maildesk-vscode';
