// The access-request flow in a real headless Chromium: link → login → review → approve → back to the
// partner's registered return URL; and the same link in German.
// Started by crates/server/tests/portal/browser.rs, which runs the server and passes these variables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  assert.ok(value, `${name} must be set (run through cargo test)`);
  return value;
};
const BASE = env('VOLTGATE_BASE_URL');
const KEY = env('VOLTGATE_LOOKUP_KEY');
const RETURN_URL = env('VOLTGATE_RETURN_URL');
const EMAIL = env('VOLTGATE_OWNER_EMAIL');
const PASSWORD = env('VOLTGATE_OWNER_PASSWORD');
const INSTALLATION = env('VOLTGATE_INSTALLATION_NAME');

const launch = () => chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});

test('an owner approves a partner through the link and lands back at the partner', async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const link = `${BASE}/access/request/${KEY}?partnerName=${encodeURIComponent('Acme Energy')}`
      + `&returnUrl=${encodeURIComponent(RETURN_URL)}&rights=control,configure`;
    await page.goto(link);
    assert.match(page.url(), /\/login\?next=/);
    await page.getByText('Acme Energy asks for access to your installation').waitFor();
    await page.getByLabel('E-mail').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL((url) => url.pathname === `/access/request/${KEY}`);
    assert.ok(page.url().includes('partnerName=Acme+Energy') || page.url().includes('partnerName=Acme%20Energy'),
      `parameters survive the login: ${page.url()}`);
    await page.getByRole('heading', { name: /Acme Charging asks for access/ }).waitFor();
    // The rights the link asks for are ticked, seeing is always given; the owner narrows and sets an end.
    const control = page.getByLabel('start, stop, restart, pause and unlock every charger of the installation');
    const configure = page.getByLabel('configure every charger: its settings, OCPP configuration and charging limits');
    const settings = page.getByLabel("change the installation's settings");
    assert.equal(await control.isChecked(), true, 'asked for by the link');
    assert.equal(await configure.isChecked(), true, 'asked for by the link');
    assert.equal(await settings.isChecked(), false, 'not asked for');
    assert.equal(await page.getByLabel('see the installation and its charging history').isDisabled(), true);
    await configure.uncheck();
    const until = new Date(Date.now() + 20 * 86400000).toISOString().slice(0, 10);
    await page.getByLabel('Until (optional)').fill(until);
    await page.getByLabel(new RegExp(INSTALLATION)).check();
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL((url) => url.href.startsWith(RETURN_URL));
    const back = new URL(page.url());
    assert.equal(back.searchParams.get('success'), 'true');
    assert.match(back.searchParams.get('installationId') ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(back.searchParams.get('lookup'), KEY);
    assert.match(await page.textContent('body'), /partner received/);
  } finally {
    await browser.close();
  }
});

test('the same link in German', async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(`${BASE}/access/request/${KEY}?partnerName=Acme&lang=de`);
    await page.getByText('Acme bittet um Zugriff auf Ihre Installation').waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'de');
    await page.getByLabel('E-Mail').fill(EMAIL);
    await page.getByLabel('Passwort').fill(PASSWORD);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.waitForURL((url) => url.pathname === `/access/request/${KEY}`);
    await page.getByRole('heading', { name: /Acme Charging bittet um Zugriff/ }).waitFor();
    await page.getByText('Acme Charging hat bereits Zugriff auf Garage Nord.').waitFor();
    assert.equal(await page.getByText('Die Gruppe kann dann').count(), 0, 'no rights listed when nothing can be granted');
    await page.getByRole('button', { name: 'Ablehnen' }).waitFor();
  } finally {
    await browser.close();
  }
});
