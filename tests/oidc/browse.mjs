// A person in a real browser, for the end-to-end tests of `connect --browser`:
//
//   node tests/oidc/browse.mjs URL LOGIN PASSWORD [--deny]
//
// Opens URL (a sign-in page of provider.mjs) in headless Chromium (Debian's, through
// playwright-core), signs in as LOGIN on the provider's dev interaction pages, consents when
// asked (or, with --deny, cancels on the consent page), and follows the redirect to the
// loopback address. Prints the text of the last page it reached and exits 0; exits 1 with
// one line on stderr if a step failed. A fresh profile folder each run, removed at the end.
// CHROMIUM overrides the browser (default /usr/bin/chromium).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { chromium } from 'playwright-core';

const [url, login, password] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const deny = process.argv.includes('--deny');
if (!url || !login || !password) {
  console.error('usage: node browse.mjs URL LOGIN PASSWORD [--deny]');
  process.exit(2);
}

const LOOPBACKS = new Set(['localhost', '127.0.0.1', '[::1]']);
const isLoopback = (u) => LOOPBACKS.has(new URL(u).hostname);
// The provider is on loopback too: the sign-in is over when the browser reaches the client.
const redirect = new URL(new URL(url).searchParams.get('redirect_uri') || 'http://redirect.invalid');
const isRedirect = (u) => new URL(u).origin === redirect.origin;
// Every step is quick on loopback: a slow one has failed.
const STEP_TIMEOUT_MS = 15000;

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'commerce-browse-'));
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  // Only loopback is reachable in tests: the provider's pages import web fonts, which would
  // otherwise hang until they time out.
  await context.route('**/*', (route) => (isLoopback(route.request().url()) ? route.continue() : route.abort()));
  const page = context.pages()[0] || (await context.newPage());
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  const consent = page.locator('input[name=prompt][value=consent]');
  const asked = await Promise.race([
    page.waitForURL(isRedirect, { waitUntil: 'domcontentloaded' }).then(() => false),
    consent.waitFor({ state: 'attached' }).then(() => true),
  ]);
  if (deny && !asked) {
    throw new Error('no consent page was shown to decline');
  }
  if (asked) {
    await page.click(deny ? 'a:has-text("Cancel")' : 'button[type=submit]');
    await page.waitForURL(isRedirect, { waitUntil: 'domcontentloaded' });
  }
  process.stdout.write(`${(await page.innerText('body')).trim()}\n`);
} catch (error) {
  console.error(`browse.mjs: ${String(error.message || error).split('\n')[0]}`);
  process.exitCode = 1;
} finally {
  await context?.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
