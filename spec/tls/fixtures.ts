/** The TLS fixtures made by tools/make-test-certs.sh (spec/fixtures/tls/), found from build/ or spec/. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'spec/fixtures/tls/ca.crt'))) return join(dir, 'spec/fixtures/tls');
  }
  throw new Error('spec/fixtures/tls not found: run tools/make-test-certs.sh');
}

/** The fixture directory. */
export const FIXTURES = findRoot();

/** The password of every protected fixture. */
export const PASSWORD = 'test-password';

/** The path of a fixture file. */
export function fixturePath(name: string): string {
  return join(FIXTURES, name);
}

/** A fixture's bytes. */
export function fixture(name: string): Buffer {
  return readFileSync(fixturePath(name));
}

/** A fixture as text. */
export function fixtureText(name: string): string {
  return readFileSync(fixturePath(name), 'utf8');
}

/** Subjects of the fixture certificates, in the reference's form. */
export const SUBJECTS = Object.freeze({
  ca: 'CN=Test CA, O=wsserver-compat tests, C=US',
  serverRsa: 'CN=localhost, O=wsserver-compat tests, C=US',
  serverEcdsa: 'CN=localhost, OU=ECDSA, O=wsserver-compat tests, C=US',
  client: 'CN=Test Client, O=wsserver-compat tests, C=US',
  clientOther: 'CN=Stranger Client, O=Somebody Else, C=US',
});
