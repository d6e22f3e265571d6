// A member's day in German on a 390 px phone: the installation, a charger whose car starts charging
// while the page is open (it changes without a reload), Stop on the connector's own card. On every
// page nothing is wider than the screen. Started by crates/server/tests/portal/browser.rs.
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
const EMAIL = env('VOLTGATE_OWNER_EMAIL');
const PASSWORD = env('VOLTGATE_OWNER_PASSWORD');
const INSTALLATION = env('VOLTGATE_INSTALLATION_NAME');
const CHARGER = env('VOLTGATE_CHARGER_ID');

const fitsTheScreen = async (page, what) => {
  const { scroll, width, wide } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
    wide: [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
      .map((el) => el.tagName + (el.id ? '#' + el.id : '') + ' ' + (el.textContent || '').slice(0, 30))
      .slice(0, 5),
  }));
  assert.ok(scroll <= width, `${what}: ${scroll}px wide on a ${width}px screen: ${wide.join(' | ')}`);
};

// With VOLTGATE_SCREENSHOTS=<dir>, the pages are also photographed there (docs/screenshots).
const SHOTS = process.env.VOLTGATE_SCREENSHOTS;
const shoot = async (page, name) => {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
};

// axe-core (WCAG 2 A and AA) finds nothing on the page.
const accessible = async (page, what) => {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa'] });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  });
  assert.deepEqual(violations, [], `${what}: ${violations.join('\n')}`);
};

test("a member's day in German at 390 px", async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    // The pages forbid inline scripts; axe-core is injected as one, so the test lifts that rule.
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'de-DE', bypassCSP: true });
    await page.goto(`${BASE}/login?lang=de`);
    assert.equal(await page.getAttribute('html', 'lang'), 'de');
    await page.getByLabel('E-Mail').fill(EMAIL);
    await page.getByLabel('Passwort').fill(PASSWORD);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.waitForURL((url) => url.pathname === '/installations');
    await fitsTheScreen(page, 'Installationen');
    await accessible(page, 'Installationen');
    await page.getByRole('link', { name: INSTALLATION }).click();
    await page.getByRole('heading', { name: INSTALLATION }).waitFor();
    assert.equal(await page.getAttribute('nav.tabs a[aria-current=page]', 'href'), new URL(page.url()).pathname);
    // The Overview's charts: server-drawn SVG with a German name, scaled to the phone's width.
    const charts = page.locator('svg.chart[role=img]');
    assert.equal(await charts.count(), 2, 'energy per day and power per hour');
    assert.equal(await page.locator('#energy-chart-title').textContent(), 'Energie pro Tag, letzte 30 Tage');
    const chartWidth = await charts.first().evaluate((svg) => svg.getBoundingClientRect().width);
    assert.ok(chartWidth > 200 && chartWidth <= 390, `the chart is ${chartWidth}px wide`);
    await fitsTheScreen(page, 'Übersicht');
    await accessible(page, 'Übersicht');
    await shoot(page, 'installation-390-de');

    await page.goto(`${BASE}/chargers/${CHARGER}`);
    await page.evaluate(() => { window.stillTheSamePage = true; });
    // The simulator plugs a car in and starts charging; the card changes by itself.
    await page.locator('#connector-1 [data-live=state]', { hasText: 'Lädt' }).waitFor({ timeout: 30000 });
    assert.equal(await page.evaluate(() => window.stillTheSamePage), true, 'no reload');
    await fitsTheScreen(page, 'Ladegerät');
    await accessible(page, 'Ladegerät');
    await shoot(page, 'charger-390-de');
    await page.locator('#connector-1').getByRole('button', { name: 'Laden stoppen' }).click();
    await page.getByText(/Das Ladegerät antwortete/).waitFor();
    await fitsTheScreen(page, 'Ladegerät nach dem Stoppen');

    for (const path of ['/history', '/permissions', '/audit']) {
      await page.goto(`${BASE}${new URL(page.url()).pathname.startsWith('/chargers') ? '' : ''}`
        + (await page.evaluate(() => document.querySelector('.crumbs a[href^="/installations/"]').getAttribute('href'))) + path);
      await fitsTheScreen(page, path);
      await accessible(page, path);
      if (path === '/history') {
        // The stopped session of the day is in the history's chart, in German numbers.
        assert.equal(await page.locator('svg.chart[role=img]').count(), 1, 'a chart of the sessions');
        assert.match(await page.locator('p.count').textContent(), /\d+ Ladevorg(ang|änge) · \d+,\d kWh insgesamt/);
      }
      assert.equal(await page.getAttribute('html', 'lang'), 'de');
      await shoot(page, `${path.slice(1)}-390-de`);
    }
    if (SHOTS) {
      const wide = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await wide.context().addCookies(await page.context().cookies());
      const installation = await page.evaluate(
        () => document.querySelector('.crumbs a[href^="/installations/"]').getAttribute('href'));
      for (const [path, name] of [[installation, 'installation'], [`/chargers/${CHARGER}`, 'charger'],
        [`${installation}/history`, 'history'], [`${installation}/permissions`, 'permissions'],
        [`${installation}/audit`, 'audit']]) {
        await wide.goto(`${BASE}${path}?lang=en`);
        await shoot(wide, `${name}-1280-en`);
      }
    }
  } finally {
    await browser.close();
  }
});
