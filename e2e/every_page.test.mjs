// axe-core (WCAG 2 A and AA) on every page a member, an owner or a partner sees, at 390 px and at
// 1280 px, in English and German: login, sign-up, installations, each installation tab, the charger
// and its configuration, groups, a group, the review page, the receipt, the account, an error page.
// Nothing may be wider than the screen. Started by crates/server/tests/portal/browser.rs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const env = (name) => {
  const value = process.env[name];
  assert.ok(value, `${name} must be set (run through cargo test)`);
  return value;
};
const BASE = env('VOLTGATE_BASE_URL');
const KEY = env('VOLTGATE_LOOKUP_KEY');
const EMAIL = env('VOLTGATE_OWNER_EMAIL');
const PASSWORD = env('VOLTGATE_OWNER_PASSWORD');
const PARTNER = env('VOLTGATE_PARTNER_EMAIL');
const CHARGER = env('VOLTGATE_CHARGER_ID');

const check = async (page, what) => {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  assert.ok(scroll <= width, `${what}: ${scroll}px wide on a ${width}px screen`);
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa'] });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  });
  assert.deepEqual(violations, [], `${what}: ${violations.join('\n')}`);
};

const logIn = async (page, email) => {
  await page.goto(`${BASE}/login`);
  await page.fill('#email', email);
  await page.fill('#password', PASSWORD);
  await page.click('form[action^="/login"] button[type=submit]');
  await page.waitForURL((url) => url.pathname === '/installations');
};

for (const [width, lang] of [[390, 'de'], [1280, 'en']]) {
  test(`every page passes axe-core at ${width} px in ${lang}`, async () => {
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    const open = async () => browser.newPage({ viewport: { width, height: 900 }, bypassCSP: true });
    const visit = async (page, path, what) => {
      const join = path.includes('?') ? '&' : '?';
      await page.goto(`${BASE}${path}${join}lang=${lang}`);
      assert.equal(await page.getAttribute('html', 'lang'), lang, what);
      await check(page, `${what} (${width} px, ${lang})`);
    };
    try {
      const visitor = await open();
      await visit(visitor, '/login', 'login');
      await visit(visitor, '/signup', 'sign-up');
      await visit(visitor, `/access/request/${KEY}?partnerName=Acme`, 'login on the way to a request');

      const owner = await open();
      await logIn(owner, EMAIL);
      await visit(owner, '/installations', 'installations');
      const installation = await owner.evaluate(
        () => document.querySelector('table a[href^="/installations/"]').getAttribute('href'));
      await visit(owner, installation, 'installation overview');
      for (const tab of ['history', 'permissions', 'audit']) {
        await visit(owner, `${installation}/${tab}`, `installation ${tab}`);
      }
      await visit(owner, `/chargers/${CHARGER}`, 'charger');
      await visit(owner, `/chargers/${CHARGER}/configuration`, 'configuration');
      await visit(owner, '/groups', 'groups (empty)');
      await visit(owner, '/account', 'account');
      await visit(owner, '/no/such/page', 'error page');
      await visit(owner, `/access/request/${KEY}`, 'review');
      await owner.click('button[value=deny]');
      await owner.waitForURL((url) => url.pathname === '/access/receipt');
      await check(owner, `receipt (${width} px, ${lang})`);

      const partner = await open();
      await logIn(partner, PARTNER);
      await visit(partner, '/groups', 'groups');
      const group = await partner.evaluate(
        () => document.querySelector('table a[href^="/groups/"]').getAttribute('href'));
      await visit(partner, group, 'group');
    } finally {
      await browser.close();
    }
  });
}
