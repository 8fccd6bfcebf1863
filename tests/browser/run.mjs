// Cube's browser tests: the server-rendered pages under /app, driven in Debian's Chromium.
//
// Eight scenarios, run in this order (see README.md and SCENARIOS below): logging in as each
// kind of user; an admin building a flow with an error, fixing and publishing it, starting
// and setting up an assignment and adding a product; a seller's keyboard-only round through
// the sales and the meeting-booking assignment; the seller's customer card, release and
// reports; a client kept out of the seller workspace; the client's reports and wallboard
// (and every set-up page answering 404); the admin's reports and the self-refreshing
// wallboard; the admin importing a customer file through its preview. On every page visited
// it fails on console errors and uncaught page errors, runs axe-core and fails on `serious`
// or `critical` violations, and takes screenshots at 1440×900 and 390×844
// (`<scenario>-<page>-<width>.png`); a page that scrolls sideways at 390 px is noted.
//
// Environment: CUBE_BASE_URL (required, e.g. http://127.0.0.1:8080), CUBE_SCREENSHOTS (the
// screenshot folder, default target/screenshots under the repository root),
// CUBE_CHROMIUM (default /usr/bin/chromium). `cargo xtask browser` starts a server over a
// fresh demo database and sets all three.
//
// Exit code: 0 when every check passed, 1 when any failed (the list is printed at the end),
// 2 on a usage error.

import { chromium } from 'playwright-core';
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');

const BASE = (process.env.CUBE_BASE_URL ?? '').replace(/\/+$/, '');
if (!BASE) {
  console.error('run.mjs: set CUBE_BASE_URL to the server under test (e.g. http://127.0.0.1:8080)');
  process.exit(2);
}
const SHOTS = path.resolve(REPO, process.env.CUBE_SCREENSHOTS ?? path.join('target', 'screenshots'));
const CHROMIUM = process.env.CUBE_CHROMIUM ?? '/usr/bin/chromium';

const PASSWORD = 'cube-demo-2025';
const USERS = {
  admin: 'admin@demo.example.com',
  seller1: 'seller1@demo.example.com',
  seller2: 'seller2@demo.example.com',
  client: 'client@demo.example.com',
};

const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
/** How long one step (a navigation, an htmx swap, a focus move) may take. */
const STEP_MS = 15_000;

// axe-core is injected with page.evaluate (a DevTools evaluation), which the page's
// Content-Security-Policy (`script-src 'self'`) does not govern, so the contexts keep
// `bypassCSP` off: the pages run under their real policy, and a script or style the policy
// blocks shows up as the console error it is. (page.addScriptTag would add an inline
// <script>, which that policy blocks.)
const AXE_SOURCE = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// ---------------------------------------------------------------------------------------
// Bookkeeping

/** Every failed check: `scenario › page: what went wrong`. */
const failures = [];
/** Every page checked, for the summary. */
const visited = [];
/** Worth knowing, not failures (printed in the summary). */
const notes = new Set();
const FAVICON_404 = /status of 404 .*\/favicon\.ico/;
let screenshots = 0;
let scenario = '';

function fail(where, message) {
  const line = `${scenario} › ${where}: ${message}`;
  failures.push(line);
  console.log(`  ✗ ${where}: ${message}`);
}

function ok(message) {
  console.log(`  ✓ ${message}`);
}

/** A check that a thrown error must not skip: records the error and goes on. */
async function soft(where, check) {
  try {
    await check();
  } catch (error) {
    fail(where, firstLines(error));
  }
}

function firstLines(error, lines = 6) {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n').slice(0, lines).join('\n      ');
}

/** Thrown by a failed assertion: stops the scenario (its message is the failure). */
class Stop extends Error {}

function check(condition, message) {
  if (!condition) throw new Stop(message);
}

// ---------------------------------------------------------------------------------------
// Browser sessions

let browser;

/**
 * A fresh context (no cookies) with one page whose console errors and page errors are
 * collected until the next `visit` checks them.
 */
async function session() {
  const context = await browser.newContext({
    viewport: DESKTOP,
    baseURL: BASE,
    locale: 'nb-NO',
    timezoneId: 'Europe/Oslo',
  });
  context.setDefaultTimeout(STEP_MS);
  context.setDefaultNavigationTimeout(STEP_MS);
  const page = await context.newPage();
  const errors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') {
      const where = message.location();
      const at = where?.url ? ` (${where.url}${where.lineNumber ? `:${where.lineNumber}` : ''})` : '';
      errors.push(`console error: ${message.text()}${at}`);
    }
  });
  page.on('pageerror', (error) => errors.push(`page error: ${firstLines(error, 3)}`));
  page.on('crash', () => errors.push('the page crashed'));
  return { context, page, errors };
}

/**
 * Checks the page as it is now, named `name` within the scenario: its console and page
 * errors since the last visit (except those matching `allow`, e.g. the 401 of a wrong
 * password), `<html lang>`, axe-core, and the two screenshots.
 */
async function visit(s, name, { allow = [] } = {}) {
  const { page } = s;
  const before = failures.length;
  await page.waitForLoadState('load').catch(() => {});
  // Let htmx finish settling (it swaps, then settles after a short delay).
  await page.waitForTimeout(150);

  reportErrors(s, name, allow);

  await soft(name, async () => {
    const lang = await page.evaluate(() => document.documentElement.lang);
    if (lang !== 'nb' && lang !== 'en') fail(name, `<html lang="${lang}">: expected "nb" or "en"`);
  });

  await soft(name, async () => {
    const violations = await axe(page);
    for (const violation of violations) {
      const nodes = violation.nodes
        .slice(0, 5)
        .map((node) => `${node.target.join(' ')}: ${(node.failureSummary ?? '').replace(/\s+/g, ' ').trim()}`);
      const more = violation.nodes.length > 5 ? [`… and ${violation.nodes.length - 5} more`] : [];
      fail(
        name,
        [`axe ${violation.impact} ${violation.id}: ${violation.help} (${violation.helpUrl})`, ...nodes, ...more].join(
          '\n      ',
        ),
      );
    }
  });

  await soft(name, async () => {
    await shoot(page, name, DESKTOP);
    await page.setViewportSize(PHONE);
    try {
      await shoot(page, name, PHONE);
      const overflow = await sideways(page);
      if (overflow) {
        const line = `${scenario}-${name} is ${overflow.scroll} px wide at ${overflow.width} px (too wide: ${overflow.culprits.join(', ')})`;
        console.log(`    note: ${line}`);
        notes.add(`scrolls sideways on a phone: ${line}`);
      }
    } finally {
      await page.setViewportSize(DESKTOP);
    }
  });

  const passed = failures.length === before;
  visited.push({ scenario, name, passed });
  if (passed) ok(`${name}: no console errors, no serious axe violations, screenshots taken`);
}

/**
 * Whether the page is wider than the viewport (it scrolls sideways): its width, the
 * viewport's, and the outermost elements that stick out. Null when it fits.
 */
async function sideways(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const scroll = document.documentElement.scrollWidth;
    if (scroll <= width) return null;
    const out = (element) => element && element.getBoundingClientRect().right > width + 0.5;
    const describe = (element) => {
      const self =
        element.tagName.toLowerCase() +
        (element.id ? `#${element.id}` : '') +
        [...element.classList].map((name) => `.${name}`).join('');
      const legend = element.tagName === 'FIELDSET' ? element.querySelector('legend')?.textContent.trim() : '';
      const within = element.id ? null : element.parentElement?.closest('[id]');
      return `${self}${legend ? ` "${legend}"` : ''}${within ? ` in #${within.id}` : ''}`;
    };
    const culprits = [...document.body.querySelectorAll('*')]
      .filter((element) => out(element) && !out(element.parentElement))
      .map(describe);
    return { width, scroll, culprits: culprits.slice(0, 4) };
  });
}

/** Fails `where` with each console or page error collected since the last check. */
function reportErrors(s, where, allow = []) {
  for (const error of s.errors.splice(0)) {
    if (allow.some((pattern) => pattern.test(error))) continue;
    // Chromium asks for /favicon.ico by itself, not the page; a 404 there is worth a note
    // (serve one, or link one with <link rel=icon>), not a failed page.
    if (FAVICON_404.test(error)) notes.add(`no favicon: ${error}`);
    else fail(where, error);
  }
}

/** axe-core's serious and critical violations of the page (minor and moderate are printed). */
async function axe(page) {
  const present = await page.evaluate(() => typeof window.axe === 'object');
  if (!present) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const results = await window.axe.run(document, { resultTypes: ['violations'] });
    return results.violations.map(({ id, impact, help, helpUrl, nodes }) => ({
      id,
      impact,
      help,
      helpUrl,
      nodes: nodes.map(({ target, failureSummary }) => ({ target: target.map(String), failureSummary })),
    }));
  });
  for (const violation of violations) {
    if (violation.impact !== 'serious' && violation.impact !== 'critical') {
      console.log(`    note: axe ${violation.impact} ${violation.id}: ${violation.help} (${violation.nodes.length} node(s))`);
    }
  }
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

// Playwright hides the text caret for a screenshot by styling every input and textarea,
// and leaves them with an empty `style` attribute. htmx settles `style` when a swap keeps an
// element's id, and setting that attribute breaks the pages' `style-src 'self'`: a console
// error of ours, not the page's. So the caret is left as it is.
const SCREENSHOT = { fullPage: true, caret: 'initial' };

async function shoot(page, name, size) {
  const file = path.join(SHOTS, `${scenario}-${name}-${size.width}.png`);
  await page.screenshot({ ...SCREENSHOT, path: file });
  screenshots += 1;
}

/** A screenshot of where a scenario stopped, to see why. */
async function shootFailure(page, name) {
  try {
    await page.screenshot({ ...SCREENSHOT, path: path.join(SHOTS, `${scenario}-${name}-failure-${DESKTOP.width}.png`) });
    console.log(`    (screenshot ${scenario}-${name}-failure-${DESKTOP.width}.png)`);
  } catch {
    // The page may be gone; the failure itself is already recorded.
  }
}

/** The page's path (`/app/login`), for messages and waits. */
function pathOf(page) {
  return new URL(page.url()).pathname;
}

// ---------------------------------------------------------------------------------------
// Steps shared by the scenarios

/** Fills the login form and submits it with Enter; the page is then at the user's start
 * page (/app; a client's is /app/reports) or failing. */
async function submitLogin(page, email, password) {
  const response = await page.goto('/app/login');
  check(response?.status() === 200, `GET /app/login answered ${response?.status()}`);
  await page.locator('form#login input#email').fill(email);
  await page.locator('form#login input#password').fill(password);
  await page.locator('form#login input#password').press('Enter');
}

async function logIn(s, who) {
  const { page } = s;
  await submitLogin(page, USERS[who], PASSWORD);
  try {
    const start = who === 'client' ? ['/app/reports'] : ['/app', '/app/'];
    await page.waitForURL((url) => start.includes(url.pathname), { timeout: STEP_MS });
  } catch {
    const error = await page
      .locator('#login-error')
      .textContent({ timeout: 1000 })
      .catch(() => null);
    throw new Stop(
      `logging in as ${USERS[who]} did not reach the start page (still at ${pathOf(page)}` +
        `${error?.trim() ? `; #login-error says "${error.trim()}"` : ''})`,
    );
  }
  ok(`logged in as ${USERS[who]}`);
}

/** The `a.assignment` links of the home page: name and href. */
async function assignmentLinks(page) {
  return page.locator('a.assignment').evaluateAll((links) =>
    links.map((link) => ({ name: link.textContent.trim(), href: link.getAttribute('href') })),
  );
}

const UUID = /^\/app\/assignments\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The sales and the meeting-booking assignment among seller1's links (by the demo's names). */
function pickAssignments(links) {
  const meeting = links.filter((link) => /møte|meeting/i.test(link.name));
  const sales = links.filter((link) => !/møte|meeting/i.test(link.name));
  check(
    meeting.length === 1 && sales.length >= 1,
    `expected the demo's sales and meeting-booking assignments among a.assignment, got ${JSON.stringify(links)}`,
  );
  for (const link of [...meeting, ...sales]) {
    check(UUID.test(link.href ?? ''), `a.assignment "${link.name}" links to ${link.href}, not /app/assignments/{uuid}`);
  }
  return { sales: sales.find((link) => /strøm/i.test(link.name)) ?? sales[0], meeting: meeting[0] };
}

/** The URLs of the assignments seller1 works, for the client's 404 check. */
let sellerAssignmentUrls = [];

/**
 * Runs `action` (a key press) and waits until `#work` shows something new: the customer,
 * `p.registered`, `.empty` or `.problem`. What was in `#work` before is marked first, so a
 * swap that keeps the same kind of element is still seen. Answers the kind and its text.
 */
async function swapWork(page, action, what) {
  await page.evaluate(() => {
    for (const element of document.querySelectorAll('#work, #work *')) element.__cubeOld = true;
  });
  await action();
  let handle;
  try {
    handle = await page.waitForFunction(
      () => {
        const kinds = [
          ['problem', '#work .problem'],
          ['registered', '#work p.registered'],
          ['empty', '#work .empty'],
          ['customer', '#work #customer'],
        ];
        for (const [kind, selector] of kinds) {
          for (const element of document.querySelectorAll(selector)) {
            const visible = element.checkVisibility ? element.checkVisibility() : true;
            if (!element.__cubeOld && visible) return { kind, text: element.innerText.trim() };
          }
        }
        return null;
      },
      undefined,
      { timeout: STEP_MS },
    );
  } catch {
    const work = await page
      .locator('#work')
      .innerText({ timeout: 1000 })
      .catch(() => '(no #work on the page)');
    throw new Stop(
      `${what}: #work showed nothing new within ${STEP_MS / 1000} s ` +
        `(focus on ${await activeElement(page)}; #work: "${work.replace(/\s+/g, ' ').slice(0, 200)}")`,
    );
  }
  return handle.jsonValue();
}

/** The focused element, described for a message (`input#follow_up_at`, `body`). */
async function activeElement(page) {
  return page.evaluate(() => {
    const element = document.activeElement;
    if (!element) return 'nothing';
    const id = element.id ? `#${element.id}` : '';
    const name = element.getAttribute('name') ? `[name=${element.getAttribute('name')}]` : '';
    return `${element.tagName.toLowerCase()}${id}${name}`;
  });
}

/** Presses `n` and expects a customer in `#work` with the outcome form; answers its text. */
async function nextCustomer(page, what) {
  const shown = await swapWork(page, () => page.keyboard.press('n'), `${what}: pressing n`);
  check(shown.kind !== 'empty', `${what}: pressing n showed an empty queue (#work .empty: "${shown.text}")`);
  check(shown.kind !== 'problem', `${what}: pressing n showed a problem: "${shown.text}"`);
  check(shown.kind === 'customer', `${what}: pressing n showed ${shown.kind}, not #customer`);
  await page.locator('#work form#outcome-form').waitFor({ state: 'visible' });
  return shown.text;
}

/**
 * Chooses the outcome `slug` by pressing its digit key, checks where the focus went, and
 * registers with Enter; expects `p.registered`.
 */
async function register(page, slug, focus, what) {
  const outcomes = await page
    .locator('#work form#outcome-form input[name=outcome]')
    .evaluateAll((radios) => radios.map((radio) => ({ slug: radio.dataset.outcome, key: radio.dataset.key })));
  const outcome = outcomes.find((candidate) => candidate.slug === slug);
  check(
    outcome,
    `${what}: no input[name=outcome][data-outcome="${slug}"] in form#outcome-form (outcomes: ${outcomes
      .map((candidate) => `${candidate.key}=${candidate.slug}`)
      .join(', ')})`,
  );
  check(/^[1-9]$/.test(outcome.key ?? ''), `${what}: the ${slug} radio has data-key="${outcome.key}", not 1..9`);
  await page.keyboard.press(outcome.key);

  const radio = page.locator(`#work input[name=outcome][data-outcome="${slug}"]`);
  try {
    await page.waitForFunction(
      (selector) => document.querySelector(selector)?.checked === true,
      `#work input[name=outcome][data-outcome="${slug}"]`,
      { timeout: STEP_MS },
    );
  } catch {
    throw new Stop(`${what}: pressing ${outcome.key} did not check the ${slug} radio (focus on ${await activeElement(page)})`);
  }
  await radio.waitFor({ state: 'attached' });

  if (focus) {
    try {
      await page.waitForFunction((id) => document.activeElement?.id === id, focus, { timeout: STEP_MS });
    } catch {
      throw new Stop(`${what}: after pressing ${outcome.key} (${slug}) the focus is on ${await activeElement(page)}, not #${focus}`);
    }
  }
  const values = await page.evaluate((selector) => {
    const value = (selector) => document.querySelector(selector)?.value ?? null;
    return {
      // "personal" or "shared" when the outcome schedules a follow-up (the lead's markup).
      followUp: document.querySelector(selector)?.dataset.followUp ?? null,
      follow_up_at: value('#work input#follow_up_at'),
      product: value('#work select#product'),
      quantity: value('#work input#quantity'),
      meeting_slot: value('#work select#meeting_slot'),
    };
  }, `#work input[name=outcome][data-outcome="${slug}"]`);
  if (focus === 'follow_up_at') {
    check(values.follow_up_at, `${what}: input#follow_up_at has no default time`);
  }
  if (focus === 'product') {
    check(values.product, `${what}: select#product has no product selected`);
    check(values.quantity === '1', `${what}: input#quantity is "${values.quantity}", not 1`);
  }
  if (focus === 'meeting_slot') {
    check(values.meeting_slot, `${what}: select#meeting_slot has no slot selected`);
  }

  const shown = await swapWork(page, () => page.keyboard.press('Enter'), `${what}: pressing Enter`);
  check(shown.kind !== 'problem', `${what}: registering showed a problem: "${shown.text}"`);
  check(shown.kind === 'registered', `${what}: registering showed ${shown.kind}, not p.registered`);
  await page.locator('#work p.registered').first().waitFor({ state: 'visible' });
  ok(`${what}: ${slug} registered with the keyboard (key ${outcome.key}${focus ? `, focus on #${focus}` : ''})`);
  return values;
}

/**
 * Runs one scenario. Its body gets `open` (a fresh session), `at(step)` (names the step
 * running now) and `part(step, fn)` (a step whose failure is recorded without stopping the
 * scenario). Any other thrown error stops the scenario; it is recorded with a screenshot.
 */
async function runScenario(name, title, body) {
  scenario = name;
  console.log(`\n== ${name}: ${title}`);
  const sessions = [];
  let step = 'start';
  const stopped = async (error) => {
    const last = sessions.at(-1);
    // The console errors of the step that stopped are part of its failure, not failures
    // of their own (a missing page also logs its 404).
    const errors = last ? last.errors.splice(0).filter((line) => !FAVICON_404.test(line)) : [];
    const message = error instanceof Stop ? error.message : firstLines(error);
    fail(step, [message, ...errors.map((line) => `also ${line}`)].join('\n      '));
    if (last) await shootFailure(last.page, step);
  };
  const steps = {
    open: async () => {
      const s = await session();
      sessions.push(s);
      return s;
    },
    at: (label) => {
      step = label;
    },
    part: async (label, fn) => {
      step = label;
      try {
        await fn();
      } catch (error) {
        await stopped(error);
      }
    },
  };
  try {
    await body(steps);
  } catch (error) {
    await stopped(error);
  } finally {
    for (const s of sessions) {
      reportErrors(s, `${step} (after the last check)`);
      await s.context.close().catch(() => {});
    }
  }
}

// ---------------------------------------------------------------------------------------
// Scenarios

async function scenarioLogin({ open, part }) {
  await part('login', async () => {
    const s = await open();
    const response = await s.page.goto('/app/login');
    check(response?.status() === 200, `GET /app/login answered ${response?.status()}`);
    for (const selector of ['form#login', 'form#login input#email', 'form#login input#password']) {
      check(await s.page.locator(selector).count(), `/app/login has no ${selector}`);
    }
    const submit = 'form#login button[type=submit], form#login button:not([type]), form#login input[type=submit]';
    check(await s.page.locator(submit).count(), '/app/login has no submit button in form#login');
    await visit(s, 'login');
  });

  await part('wrong-password', async () => {
    // seller2 is not used by the other scenarios: the failed attempt counts towards no
    // lock-out that matters.
    const s = await open();
    await submitLogin(s.page, USERS.seller2, 'not-the-password');
    const error = s.page.locator('#login-error');
    try {
      await error.filter({ hasText: /\S/ }).waitFor({ state: 'visible' });
    } catch {
      throw new Stop(`a wrong password showed no text in #login-error (page at ${pathOf(s.page)})`);
    }
    check(pathOf(s.page) === '/app/login', `a wrong password left /app/login for ${pathOf(s.page)}`);
    ok(`a wrong password shows #login-error: "${(await error.innerText()).trim()}"`);
    // The login script's POST answered 401; Chromium logs that as a console error.
    await visit(s, 'wrong-password', { allow: [/status of 401/, /status of 429/] });
  });

  for (const who of ['admin', 'seller1', 'client']) {
    let home;
    await part(`${who}-home`, async () => {
      const s = await open();
      await logIn(s, who);
      const { page } = s;
      check(await page.locator('button#logout').count(), `${who}'s home has no button#logout`);
      const myWork = await page
        .locator('a#nav-my-work')
        .getAttribute('href', { timeout: 1000 })
        .catch(() => null);
      if (who !== 'client') {
        check(myWork === '/app/my-work', `${who}'s home: a#nav-my-work links to ${myWork}, not /app/my-work`);
      }
      const links = await assignmentLinks(page);
      if (who === 'seller1') {
        const { sales, meeting } = pickAssignments(links);
        sellerAssignmentUrls = [sales.href, meeting.href];
        ok(`seller1 sees ${links.length} assignment(s): ${links.map((link) => link.name).join(', ')}`);
      }
      if (who === 'client') {
        check(links.length === 0, `the client's start page lists assignments to work: ${JSON.stringify(links)}`);
        check(!(await page.locator('a#nav-my-work').count()), "the client's start page links to My Work");
        ok('the client starts on the reports, with no assignment to work');
      }
      await visit(s, `${who}-home`);
      home = s;
    });

    if (who === 'admin' && home) {
      const { page } = home;
      for (const [id, lang] of [
        ['lang-en', 'en'],
        ['lang-nb', 'nb'],
      ]) {
        await part(`admin-home-${lang}`, async () => {
          const href = await page
            .locator(`a#${id}`)
            .getAttribute('href', { timeout: 1000 })
            .catch(() => null);
          check(href, `the home page has no a#${id}`);
          await page.goto(new URL(href, page.url()).href);
          const at = pathOf(page);
          check(at === '/app' || at === '/app/', `a#${id} did not return to /app (at ${at})`);
          const now = await page.evaluate(() => document.documentElement.lang);
          check(now === lang, `after a#${id} the page is <html lang="${now}">, not "${lang}"`);
          ok(`a#${id} switches the page to <html lang="${lang}">`);
          await visit(home, `admin-home-${lang}`);
        });
      }
    }
  }
}

async function scenarioSeller({ open, at }) {
  at('login');
  const s = await open();
  const { page } = s;
  await logIn(s, 'seller1');
  const { sales, meeting } = pickAssignments(await assignmentLinks(page));
  sellerAssignmentUrls = [sales.href, meeting.href];

  // From here on: the keyboard only (navigation by the links' URLs).
  at('sales-workspace');
  let response = await page.goto(sales.href);
  check(response?.status() === 200, `GET ${sales.href} answered ${response?.status()}`);
  check(await page.locator('#work').count(), `${sales.href} has no #work`);
  await visit(s, 'sales-workspace');

  // The common outcomes, then a Lead: a call-back from "To Call" is a shared
  // follow-up, which My Work lists only once it is due today (the default time is later), so
  // the Lead's personal follow-up is the one My Work must show in the coming week.
  const round = [
    ['no-answer', null],
    ['call-back-later', 'follow_up_at'],
    ['sale', 'product'],
    ['no-sale', null],
    ['lead', 'follow_up_at'],
  ];
  const followUps = [];
  for (const [index, [slug, focus]] of round.entries()) {
    const what = `sales customer ${index + 1} (${slug})`;
    at(`sales-${index + 1}-customer`);
    const customer = await nextCustomer(page, what);
    if (index === 0) await visit(s, 'sales-customer');
    at(`sales-${slug}`);
    const values = await register(page, slug, focus, what);
    if (focus === 'follow_up_at') followUps.push({ slug, customer, ...values });
    await visit(s, `sales-${slug}`);
  }

  at('meeting-workspace');
  response = await page.goto(meeting.href);
  check(response?.status() === 200, `GET ${meeting.href} answered ${response?.status()}`);
  const what = 'meeting customer 1 (meeting-booked)';
  at('meeting-customer');
  await nextCustomer(page, what);
  await visit(s, 'meeting-customer');
  at('meeting-booked');
  await register(page, 'meeting-booked', 'meeting_slot', what);
  await visit(s, 'meeting-booked');

  at('my-work');
  response = await page.goto('/app/my-work');
  check(response?.status() === 200, `GET /app/my-work answered ${response?.status()}`);
  check(await page.locator('#my-work').count(), '/app/my-work has no #my-work');
  const rows = await page.locator('#my-work tbody tr').count();
  const listed = rows ? await page.locator('#my-work tbody').innerText() : '';
  for (const followUp of followUps) {
    const words = customerWords(followUp.customer);
    const mentioned = words.find((word) => listed.includes(word));
    const label = `the ${followUp.slug} customer's follow-up (${followUp.followUp ?? 'ownership not shown'}, due ${followUp.follow_up_at})`;
    // A shared follow-up is listed only once it is due today; a call-back from "To Call"
    // is shared (when the form does not say), a Lead's follow-up personal.
    const shared = followUp.followUp === 'shared' || (!followUp.followUp && followUp.slug === 'call-back-later');
    if (mentioned) {
      ok(`#my-work lists ${label}: "${mentioned}"`);
    } else if (shared) {
      console.log(`    note: #my-work does not list ${label}`);
    } else {
      fail('my-work', `#my-work does not list ${label} (${rows} row(s); looked for ${JSON.stringify(words)})`);
    }
  }
  check(rows >= 1, '#my-work lists no follow-up at all (no tbody tr)');
  await visit(s, 'my-work');

  at('logout');
  // The contract puts button#logout on the home page; other pages may have it too.
  if (!(await page.locator('button#logout').count())) await page.goto('/app');
  await page.locator('button#logout').click();
  await page.waitForURL((url) => url.pathname === '/app/login');
  await visit(s, 'logged-out');
  await page.goto('/app');
  check(!(await page.locator('button#logout').count()), 'after logging out, /app still shows the home page');
  ok('logged out: /app no longer shows the home page');
}

/**
 * What identifies the customer of a card in another list: its first line (the heading, the
 * customer's name), else its lines with a number in them (phone, organisation number).
 */
function customerWords(text) {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  if (lines.length && lines[0].length >= 4) return [lines[0]];
  return lines.filter((line) => line.length >= 6 && /\d/.test(line));
}

async function scenarioClient({ open, at }) {
  at('login');
  const s = await open();
  const { page } = s;
  await logIn(s, 'client');
  check(sellerAssignmentUrls.length, "no assignment URLs from seller1's home to try (an earlier scenario failed)");
  for (const href of sellerAssignmentUrls) {
    at(`assignment-404`);
    const response = await page.goto(href);
    check(response?.status() === 404, `the client's GET ${href} answered ${response?.status()}, not 404`);
    ok(`the client's GET ${href} answers 404`);
  }
  // Chromium logs every 404 document as a console error; those are the point here.
  reportErrors(s, 'assignment-404', [/status of 404/]);
}

// ---------------------------------------------------------------------------------------
// Steps of the set-up, card and report scenarios

/** What the admin's set-up scenario saw, for the client's 404 checks and the reports. */
const seen = {
  /** The demo data owner's id (the owner of the sales assignment). */
  owner: null,
  /** The flow the admin built. */
  flow: null,
  /** The assignment the admin started on it. */
  assignment: null,
  /** Every `/app/setup/assignments/{id}` the admin's set-up index links to. */
  setupAssignments: [],
};

/** A run-unique suffix for the names the scenarios create (the demo has fixed names). */
const STAMP = Date.now().toString(36).slice(-5);

const ID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** The id in `path` after `prefix` (`/app/setup/owners/` → the owner), or null. */
function idAfter(path, prefix) {
  const match = new RegExp(`^${prefix.replace(/[/.]/g, '\\$&')}(${ID})(?:[/?]|$)`).exec(path ?? '');
  return match ? match[1] : null;
}

/** GETs `href` and expects 200 (a page to check next). */
async function open200(page, href) {
  const response = await page.goto(href);
  check(response?.status() === 200, `GET ${href} answered ${response?.status()}, not 200`);
}

/**
 * Runs `action` (a click or a key that sends an htmx request answered with a swap) and
 * waits until htmx has settled the swap. A problem htmx put into `#problem` (the pages'
 * slot for a refused request) stops the scenario.
 */
async function htmxSwap(page, action, what) {
  await page.evaluate(() => {
    window.__cubeSettled = false;
    document.addEventListener(
      'htmx:afterSettle',
      () => {
        window.__cubeSettled = true;
      },
      { once: true },
    );
  });
  await action();
  try {
    await page.waitForFunction(() => window.__cubeSettled === true, undefined, { timeout: STEP_MS });
  } catch {
    throw new Stop(`${what}: htmx swapped nothing within ${STEP_MS / 1000} s (focus on ${await activeElement(page)})`);
  }
  const problem = await problemText(page);
  check(!problem, `${what}: the page shows a problem: "${problem}"`);
}

/** The text of `#problem`, where the pages put a refused request's problem ('' if none). */
async function problemText(page) {
  const text = await page.evaluate(() => document.getElementById('problem')?.innerText ?? '');
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Runs `action` (submitting a form whose answer is htmx's `HX-Redirect`) and waits until
 * the browser has loaded a new document at a path `where` accepts (it may be the same
 * page again); a problem shown instead stops the scenario.
 */
async function htmxRedirect(page, action, where, what) {
  const navigated = page
    .waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame(), timeout: STEP_MS })
    .then(() => true)
    .catch(() => false);
  await action();
  if (!(await navigated)) {
    const problem = await problemText(page).catch(() => '');
    throw new Stop(`${what}: the browser stayed at ${pathOf(page)}${problem ? `; #problem says "${problem}"` : ''}`);
  }
  await page.waitForLoadState('load');
  check(where(pathOf(page)), `${what}: the browser went to ${pathOf(page)}`);
}

/** GETs each of `hrefs` and expects 404; the first 404 page is checked as `name`. */
async function expectNotFound(s, hrefs, who, name) {
  let first = true;
  for (const href of hrefs) {
    const response = await s.page.goto(href);
    check(response?.status() === 404, `${who}'s GET ${href} answered ${response?.status()}, not 404`);
    ok(`${who}'s GET ${href} answers 404`);
    if (first) {
      // Chromium logs every 404 document as a console error; those are the point here.
      await visit(s, name, { allow: [/status of 404/] });
      first = false;
    }
  }
  reportErrors(s, name, [/status of 404/]);
}

/** The set-up URLs of `seen` (with every id it knows), which only admins and managers may open. */
function setupUrls() {
  const urls = ['/app/setup'];
  if (seen.owner) {
    urls.push(
      `/app/setup/owners/${seen.owner}/flows`,
      `/app/setup/owners/${seen.owner}/products`,
      `/app/setup/owners/${seen.owner}/assignments/new`,
    );
  }
  if (seen.flow) urls.push(`/app/setup/flows/${seen.flow}`);
  if (seen.assignment) urls.push(`/app/setup/assignments/${seen.assignment}`);
  urls.push(...seen.setupAssignments);
  return [...new Set(urls)];
}

/** The `a.report-link` links of /app/reports: name and href. */
async function reportLinks(page) {
  return page.locator('a.report-link').evaluateAll((links) =>
    links.map((link) => ({ name: link.textContent.trim(), href: link.getAttribute('href') })),
  );
}

/** The demo's sales assignment ("Strøm vår 2025") among the report links. */
function salesReport(links, who) {
  const link = links.find((candidate) => /strøm/i.test(candidate.name));
  check(link, `${who}'s /app/reports has no a.report-link to the sales assignment ("Strøm …"): ${JSON.stringify(links)}`);
  check(
    idAfter(link.href, '/app/reports/'),
    `${who}'s a.report-link "${link.name}" links to ${link.href}, not /app/reports/{uuid}`,
  );
  return link;
}

/** The number of data rows in `#report-outcomes`' table (0 without one). */
async function outcomeRows(page) {
  return page.locator('#report-outcomes table tbody tr').count();
}

/** The text of the first `selector` within `scope` (a page or a locator) on one line, '' if none. */
async function textOf(scope, selector) {
  const text = await scope
    .locator(selector)
    .first()
    .innerText({ timeout: 1000 })
    .catch(() => '');
  return text.replace(/\s+/g, ' ').trim();
}

/** The outcome row (`div#outcome-N`) of the flow editor whose name input holds `name`. */
async function outcomeRow(page, name) {
  const indexes = await page.locator('#flow-form div.outcome-row').evaluateAll(
    (rows, wanted) =>
      rows
        .filter((row) => row.querySelector('input[name$=".name"]')?.value === wanted)
        .map((row) => /^outcome-(\d+)$/.exec(row.id)?.[1] ?? null),
    name,
  );
  check(indexes.length === 1, `the flow editor has ${indexes.length} outcome rows named "${name}", not 1`);
  check(indexes[0] !== null, `the outcome row named "${name}" has no id="outcome-N"`);
  return { index: indexes[0], row: page.locator(`#outcome-${indexes[0]}`) };
}

/** The states (`outcome.N.from`) an outcome row may be chosen from: label text and checked. */
async function fromStates(row, index) {
  return row.locator(`input[type=checkbox][name="outcome.${index}.from"]`).evaluateAll((boxes) =>
    boxes.map((box) => ({ state: box.closest('label')?.textContent.trim() ?? box.value, checked: box.checked })),
  );
}

// ---------------------------------------------------------------------------------------
// The set-up, card and report scenarios

async function scenarioSetup({ open, at }) {
  at('login');
  const s = await open();
  const { page } = s;
  await logIn(s, 'admin');

  at('setup-index');
  const nav = page.locator('a#nav-setup');
  check(await nav.count(), "the admin's home has no a#nav-setup");
  await nav.click();
  await page.waitForURL((url) => url.pathname === '/app/setup');
  const flowsLinks = await page.locator('a.setup-flows').evaluateAll((links) => links.map((link) => link.getAttribute('href')));
  check(flowsLinks.length >= 1, '/app/setup has no a.setup-flows (no data owner shown)');
  // The demo has one data owner, Acme Energi, which owns the sales assignment.
  const owner = idAfter(flowsLinks[0], '/app/setup/owners/');
  check(owner, `a.setup-flows links to ${flowsLinks[0]}, not /app/setup/owners/{uuid}/flows`);
  seen.owner = owner;
  seen.setupAssignments = (
    await page.locator('a.setup-assignment').evaluateAll((links) => links.map((link) => link.getAttribute('href')))
  ).filter((href) => idAfter(href, '/app/setup/assignments/'));
  check(
    seen.setupAssignments.length >= 2,
    `/app/setup lists ${seen.setupAssignments.length} a.setup-assignment link(s) to /app/setup/assignments/{uuid}, not the demo's two`,
  );
  ok(`/app/setup shows ${flowsLinks.length} data owner(s) and ${seen.setupAssignments.length} assignment(s)`);
  await visit(s, 'setup-index');

  at('flows');
  await page.locator('a.setup-flows').first().click();
  await page.waitForURL((url) => url.pathname === `/app/setup/owners/${owner}/flows`);
  check(await page.locator('form#new-flow').count(), `${pathOf(page)} has no form#new-flow`);
  await visit(s, 'flows');

  at('new-flow');
  const flowName = `Testflyt ${STAMP}`;
  await page.locator('form#new-flow #flow-name').fill(flowName);
  await page.locator('form#new-flow #flow-template').selectOption('sales');
  await htmxRedirect(
    page,
    () => page.locator('form#new-flow [type=submit]').click(),
    (at) => idAfter(at, '/app/setup/flows/') !== null,
    'creating a flow from the sales template',
  );
  seen.flow = idAfter(pathOf(page), '/app/setup/flows/');
  check(await page.locator('form#flow-form').count(), `${pathOf(page)} has no form#flow-form`);
  const shownName = await page.locator('#flow-form #flow-name').inputValue();
  check(shownName === flowName, `the new flow's editor shows the name "${shownName}", not "${flowName}"`);
  const clean = await page.locator('#flow-form .field-problem, #flow-problems').count();
  check(clean === 0, `the sales template's new flow shows ${clean} problem(s): "${await textOf(page, '#flow-problems, #flow-form .field-problem')}"`);
  ok(`the sales template opened the editor at ${pathOf(page)} without problems`);
  await visit(s, 'flow-editor');

  // The error: "Sale" may be chosen from no state.
  at('flow-error');
  let { index, row } = await outcomeRow(page, 'Sale');
  const before = await fromStates(row, index);
  check(before.some((box) => box.checked), `the outcome "Sale" (#outcome-${index}) may be chosen from no state to begin with`);
  for (const box of await row.locator(`input[type=checkbox][name="outcome.${index}.from"]`).all()) await box.uncheck();
  await htmxSwap(page, () => page.locator('#publish-flow').click(), 'publishing with "Sale" chosen from no state');
  ({ index, row } = await outcomeRow(page, 'Sale'));
  const problem = row.locator('.field-problem');
  check(await problem.count(), `after publishing, the "Sale" row #outcome-${index} has no .field-problem`);
  const problemSays = await textOf(row, '.field-problem');
  check(problemSays, `the "Sale" row's .field-problem is empty`);
  const invalid = await row.locator(`input[name="outcome.${index}.name"]`).getAttribute('aria-invalid');
  check(invalid === 'true', `the "Sale" name input has aria-invalid="${invalid}", not "true"`);
  const describedBy = await row.locator(`input[name="outcome.${index}.name"]`).getAttribute('aria-describedby');
  const problemId = await problem.first().getAttribute('id');
  check(
    describedBy && problemId && describedBy.split(/\s+/).includes(problemId),
    `the "Sale" name input's aria-describedby="${describedBy}" does not name its .field-problem (id="${problemId}")`,
  );
  const published = await page.locator('#editor p.registered').filter({ hasText: /publi/i }).count();
  check(published === 0, `a flow with a problem was published: "${await textOf(page, '#editor p.registered')}"`);
  check(!(await page.locator('a#start-assignment').count()), 'a flow with a problem offers a#start-assignment');
  ok(`the problem is next to the "Sale" row: "${problemSays}" (aria-invalid, no "published")`);
  await visit(s, 'flow-error');

  at('flow-fixed');
  for (const state of ['To Call', 'Lead']) {
    const box = row.getByLabel(state, { exact: true });
    check((await box.count()) === 1, `the "Sale" row #outcome-${index} has no checkbox labelled "${state}"`);
    await box.check();
  }
  await htmxSwap(page, () => page.locator('#publish-flow').click(), 'publishing the fixed flow');
  const left = await textOf(page, '#flow-problems, #flow-form .field-problem');
  check(!left, `the fixed flow still shows a problem: "${left}"`);
  const registered = await textOf(page, '#editor p.registered');
  check(registered, 'publishing the fixed flow showed no p.registered');
  check(/publi/i.test(registered), `publishing the fixed flow said "${registered}", not that it was published`);
  const start = page.locator('#editor p.registered a#start-assignment');
  check(await start.count(), 'the published flow offers no a#start-assignment');
  ({ index, row } = await outcomeRow(page, 'Sale'));
  const after = (await fromStates(row, index)).filter((box) => box.checked).map((box) => box.state);
  check(
    after.length === 2 && after.includes('To Call') && after.includes('Lead'),
    `after publishing, "Sale" may be chosen from ${JSON.stringify(after)}, not ["To Call","Lead"]`,
  );
  ok(`the fixed flow is published: "${registered}"`);
  await visit(s, 'flow-published');

  at('new-assignment');
  const startHref = await start.getAttribute('href');
  await start.click();
  await page.waitForURL((url) => url.pathname === `/app/setup/owners/${owner}/assignments/new`);
  const chosen = await page.locator('form#new-assignment #assignment-flow').inputValue();
  check(
    chosen.startsWith(`${seen.flow}|`),
    `a#start-assignment (${startHref}) opened the form with #assignment-flow = "${chosen}", not the new flow`,
  );
  ok(`a#start-assignment preselects the published flow (${chosen})`);
  await visit(s, 'new-assignment');

  at('assignment');
  const assignmentName = `Testoppdrag ${STAMP}`;
  await page.locator('form#new-assignment #assignment-name').fill(assignmentName);
  await htmxRedirect(
    page,
    () => page.locator('form#new-assignment [type=submit]').click(),
    (at) => idAfter(at, '/app/setup/assignments/') !== null,
    'creating the assignment',
  );
  seen.assignment = idAfter(pathOf(page), '/app/setup/assignments/');
  check(await page.locator('form#assignment-form').count(), `${pathOf(page)} has no form#assignment-form`);
  const heading = await textOf(page, 'h1');
  check(heading.includes(assignmentName), `the assignment's set-up is headed "${heading}", not its name`);
  await visit(s, 'assignment');

  at('assignment-saved');
  const products = page.locator('#assignment-form input[type=checkbox][name=product]');
  check(await products.count(), "the assignment's set-up offers no product checkbox");
  const product = await products.first().getAttribute('value');
  await products.first().check();
  await page.locator('#assignment-form #lease').fill('20');
  await htmxSwap(page, () => page.locator('#save-assignment').click(), "saving the assignment's set-up");
  const saved = await textOf(page, '#assignment-editor p.registered');
  check(saved, "saving the assignment's set-up showed no p.registered");
  ok(`the assignment's set-up is saved: "${saved}"`);
  if (/utkast|draft/i.test(saved)) notes.add(`saving an assignment's set-up says "${saved}" (it is no draft)`);
  await visit(s, 'assignment-saved');
  await open200(page, `/app/setup/assignments/${seen.assignment}`);
  const lease = await page.locator('#assignment-form #lease').inputValue();
  check(lease === '20', `after a reload #lease is "${lease}", not the saved 20`);
  const kept = await page.locator(`#assignment-form input[name=product][value="${product}"]`).isChecked();
  check(kept, 'after a reload the product checked before is not checked');
  ok('after a reload the set-up keeps the lease of 20 minutes and the product');

  at('products');
  await open200(page, `/app/setup/owners/${owner}/products`);
  check(await page.locator('form#new-product').count(), `${pathOf(page)} has no form#new-product`);
  await visit(s, 'products');

  at('product-added');
  const productName = `Strøm Test ${STAMP}`;
  await page.locator('form#new-product #product-name').fill(productName);
  await page.locator('form#new-product #product-code').fill(`TEST-${STAMP.toUpperCase()}`);
  await page.locator('form#new-product #product-price').fill('499,50');
  await htmxRedirect(
    page,
    // The answer sends the browser to this page again.
    () => page.locator('form#new-product [type=submit]').click(),
    (at) => at === `/app/setup/owners/${owner}/products`,
    'adding a product',
  );
  const productRow = page.locator('table#products tbody tr').filter({ hasText: productName });
  try {
    await productRow.first().waitFor({ state: 'visible' });
  } catch {
    const problem = await problemText(page);
    throw new Stop(`table#products does not list "${productName}"${problem ? `; #problem says "${problem}"` : ''}`);
  }
  const rowText = (await productRow.first().innerText()).replace(/\s+/g, ' ').trim();
  check(/499[,.]50\b/.test(rowText), `the new product's row says "${rowText}", not the price 499,50`);
  ok(`table#products lists the new product: "${rowText}"`);
  await visit(s, 'product-added');
}

async function scenarioSellerCard({ open, at }) {
  at('login');
  const s = await open();
  const { page } = s;
  await logIn(s, 'seller1');
  const { sales } = pickAssignments(await assignmentLinks(page));

  at('customer');
  await open200(page, sales.href);
  await nextCustomer(page, 'the customer to edit');

  at('card');
  await htmxSwap(page, () => page.keyboard.press('k'), 'pressing k');
  const email = page.locator('#card form#card-form input#card-email');
  check(await email.count(), 'pressing k did not load form#card-form with input#card-email into #card');
  const name = await page.locator('#card #card-name').inputValue();
  ok(`k opens the card of "${name}"`);
  await visit(s, 'card');

  at('card-saved');
  const address = `kort-${STAMP}@example.com`;
  await email.fill(address);
  await htmxSwap(page, () => email.press('Enter'), 'pressing Enter in #card-email');
  const saved = await textOf(page, '#card p.registered');
  check(saved, 'saving the card with Enter showed no p.registered in #card');
  const now = await page.locator('#card input#card-email').inputValue();
  check(now === address, `after saving, #card-email is "${now}", not "${address}"`);
  ok(`Enter in #card-email saves the card: "${saved}"`);
  if (/utkast|draft/i.test(saved)) notes.add(`saving a customer's card says "${saved}" (it is no draft)`);
  await visit(s, 'card-saved');

  at('released');
  // The focus is in the card's e-mail field, where r is a letter: Escape leaves it first.
  await page.keyboard.press('Escape');
  const shown = await swapWork(page, () => page.keyboard.press('r'), 'pressing r');
  check(shown.kind !== 'problem', `releasing showed a problem: "${shown.text}"`);
  check(shown.kind === 'registered', `pressing r showed ${shown.kind}, not p.registered`);
  ok(`r releases the customer: "${shown.text}"`);
  await visit(s, 'released');

  at('reports');
  await open200(page, '/app/reports');
  const links = await reportLinks(page);
  ok(`seller1's /app/reports lists ${links.length} assignment(s)${links.length ? `: ${links.map((link) => link.name).join(', ')}` : ''}`);
  await visit(s, 'reports');
  const link = links.find((candidate) => /strøm/i.test(candidate.name));
  if (link) {
    at('report');
    await open200(page, link.href);
    const sections = await page.locator('.report-grid > section[id]').evaluateAll((list) => list.map((section) => section.id));
    ok(`seller1's report of "${link.name}" shows ${sections.join(', ') || 'no section'}`);
    if (sections.includes('report-downloads') && !(await page.locator('#report-downloads li').count())) {
      notes.add(`seller1's report of "${link.name}" (${link.href}) shows #report-downloads with nothing to download`);
    }
    const board = await page
      .locator('a#wallboard-link')
      .getAttribute('href', { timeout: 1000 })
      .catch(() => null);
    if (board) {
      const status = (await page.request.get(board)).status();
      if (status !== 200) notes.add(`seller1's report of "${link.name}" links a#wallboard-link to ${board}, which answers seller1 ${status}`);
    }
    await visit(s, 'report');
  }

  at('setup-404');
  check(!(await page.locator('a#nav-setup').count()), "seller1's pages show a#nav-setup");
  await expectNotFound(s, ['/app/setup'], 'seller1', 'setup-404');
}

async function scenarioClientReports({ open, at }) {
  at('login');
  const s = await open();
  const { page } = s;
  await logIn(s, 'client');

  at('reports');
  const nav = page.locator('a#nav-reports');
  check(await nav.count(), "the client's start page has no a#nav-reports");
  check(!(await page.locator('a#nav-setup').count()), "the client's start page shows a#nav-setup");
  await nav.click();
  await page.waitForURL((url) => url.pathname === '/app/reports');
  const links = await reportLinks(page);
  const sales = salesReport(links, 'the client');
  ok(`the client's /app/reports lists ${links.map((link) => link.name).join(', ')}`);
  await visit(s, 'reports');

  at('report');
  await page.locator('a.report-link').filter({ hasText: sales.name }).first().click();
  await page.waitForURL((url) => url.pathname === sales.href);
  for (const section of ['#report-status', '#report-outcomes']) {
    check(await page.locator(section).count(), `the client's report of "${sales.name}" has no ${section}`);
  }
  const rows = await outcomeRows(page);
  check(rows >= 1, `#report-outcomes lists no outcome today after seller1's round: "${await textOf(page, '#report-outcomes')}"`);
  const sections = await page.locator('.report-grid > section[id]').evaluateAll((list) => list.map((section) => section.id));
  ok(`the client's report shows ${sections.join(', ')}; ${rows} outcome row(s) today`);
  await visit(s, 'report');

  at('report-window');
  const today = await page.locator('form#window #to').inputValue();
  check(/^\d{4}-\d{2}-\d{2}$/.test(today), `#to holds "${today}", not a date`);
  const weekAgo = new Date(`${today}T12:00:00Z`);
  weekAgo.setUTCDate(weekAgo.getUTCDate() - 7);
  const from = weekAgo.toISOString().slice(0, 10);
  // A window that ends before it starts is refused on the page.
  await page.locator('form#window #from').fill(today);
  await page.locator('form#window #to').fill(from);
  await page.locator('form#window [type=submit]').click();
  await page.waitForURL((url) => url.pathname === sales.href && url.searchParams.get('to') === from);
  const refused = await textOf(page, 'p.problem');
  check(refused, `the window ${today} – ${from} (ending before it starts) shows no p.problem`);
  ok(`a window ending before it starts is refused: "${refused}"`);
  await visit(s, 'report-window-refused');
  await page.locator('form#window #from').fill(from);
  await page.locator('form#window #to').fill(today);
  await page.locator('form#window #to').press('Enter');
  await page.waitForURL((url) => url.pathname === sales.href && url.searchParams.get('from') === from);
  const shown = { from: await page.locator('#from').inputValue(), to: await page.locator('#to').inputValue() };
  check(
    shown.from === from && shown.to === today,
    `after choosing ${from} – ${today} the form shows ${shown.from} – ${shown.to}`,
  );
  check(!(await page.locator('p.problem').count()), `the window ${from} – ${today} shows p.problem: "${await textOf(page, 'p.problem')}"`);
  const weekRows = await outcomeRows(page);
  check(weekRows >= 1, `#report-outcomes lists no outcome for ${from} – ${today}, which includes today`);
  ok(`the window ${from} – ${today} is shown (${weekRows} outcome row(s))`);
  await visit(s, 'report-window');

  at('wallboard');
  const wallboard = page.locator('a#wallboard-link');
  check(await wallboard.count(), 'the report page has no a#wallboard-link');
  await wallboard.click();
  const assignment = idAfter(sales.href, '/app/reports/');
  await page.waitForURL((url) => url.pathname === `/app/wallboard/${assignment}`);
  check(await page.locator('#board .tiles').count(), `${pathOf(page)} has no #board with .tiles`);
  ok(`a#wallboard-link opens ${pathOf(page)}`);
  await visit(s, 'wallboard');

  at('setup-404');
  check(seen.owner, "no data owner id from the admin's set-up scenario (it failed before /app/setup)");
  await expectNotFound(s, setupUrls(), 'the client', 'setup-404');
}

async function scenarioAdminReports({ open, at }) {
  at('login');
  const s = await open();
  const { page } = s;
  await logIn(s, 'admin');

  at('reports');
  await page.locator('a#nav-reports').click();
  await page.waitForURL((url) => url.pathname === '/app/reports');
  const links = await reportLinks(page);
  const sales = salesReport(links, 'the admin');
  if (seen.assignment) {
    const mine = links.find((link) => link.href === `/app/reports/${seen.assignment}`);
    check(mine, "the admin's /app/reports does not list the assignment started in the set-up scenario");
  }
  ok(`the admin's /app/reports lists ${links.length} assignment(s)`);
  await visit(s, 'reports');

  at('report');
  await open200(page, sales.href);
  const sections = await page.locator('.report-grid > section[id]').evaluateAll((list) => list.map((section) => section.id));
  for (const section of ['report-activity', 'report-status', 'report-outcomes', 'report-sales', 'report-downloads']) {
    check(sections.includes(section), `the admin's report of "${sales.name}" has no #${section} (has ${sections.join(', ')})`);
  }
  const rows = await outcomeRows(page);
  check(rows >= 1, `#report-outcomes lists no outcome today after seller1's round`);
  const sold = await page.locator('#report-sales table tbody tr').count();
  check(sold >= 1, `#report-sales lists no product today after seller1's sale: "${await textOf(page, '#report-sales')}"`);
  ok(`the admin's report shows ${sections.join(', ')}; ${rows} outcome row(s), ${sold} sales row(s)`);
  await visit(s, 'report');

  at('downloads');
  const downloads = await page.locator('#report-downloads a').evaluateAll((list) => list.map((link) => link.getAttribute('href')));
  check(downloads.length >= 1, '#report-downloads has no link');
  for (const href of downloads) {
    const response = await page.request.get(href);
    check(response.status() === 200, `the download ${href} answered ${response.status()}, not 200`);
  }
  ok(`the ${downloads.length} download link(s) of #report-downloads answer 200`);

  at('wallboard');
  const assignment = idAfter(sales.href, '/app/reports/');
  const board = `/app/wallboard/${assignment}/board`;
  const polls = [];
  page.on('response', (response) => {
    if (new URL(response.url()).pathname === board) polls.push(response.status());
  });
  await page.locator('a#wallboard-link').click();
  await page.waitForURL((url) => url.pathname === `/app/wallboard/${assignment}`);
  const loaded = Date.now();
  check(await page.locator('#board .tiles').count(), `${pathOf(page)} has no #board with .tiles`);
  const sellers = await page.locator('#wallboard-sellers tbody tr').count();
  check(sellers >= 1, `the wallboard lists no seller in the last hour after seller1's round: "${await textOf(page, '#board')}"`);
  ok(`the wallboard shows ${sellers} seller(s) in the last hour`);
  const updated = await textOf(page, '#board .note');
  await visit(s, 'wallboard');

  // The board asks for itself every 10 s: 11 s after the page loaded it has done so once.
  at('wallboard-refreshed');
  await page.waitForTimeout(Math.max(0, 11_000 - (Date.now() - loaded)));
  check(polls.length >= 1, `the wallboard did not ask for ${board} within 11 s`);
  check(polls.every((status) => status === 200), `the wallboard's polls of ${board} answered ${polls.join(', ')}`);
  // Let htmx swap and settle the answer.
  await page.waitForTimeout(300);
  check(await page.locator('#board .tiles').count(), 'after its refresh #board has no .tiles');
  const now = await textOf(page, '#board .note');
  check(now !== updated, `after its refresh the board still says "${updated}"`);
  ok(`the wallboard refreshed itself ("${updated}" → "${now}") and still shows its tiles`);
  await visit(s, 'wallboard-refreshed');
}

// ---------------------------------------------------------------------------------------

/**
 * The scenarios in the order they run: name (the screenshots' prefix), title, body. Later
 * ones use what earlier ones did: the client's and the admin's reports need seller1's
 * outcomes of today, and the client's set-up 404s the ids the admin's set-up saw.
 */
// The admin imports a Norwegian Excel CSV (semicolons, Windows-1252) into the assignment the
// set-up scenario started, through the preview, and follows the job to its report. Last, so
// the customers it adds change no other scenario's queue.
async function scenarioImport({ open, at }) {
  at('login');
  const s = await open();
  const { page } = s;
  await logIn(s, 'admin');

  at('import-page');
  const assignment = seen.assignment ?? (seen.setupAssignments?.[0] && idAfter(seen.setupAssignments[0], '/app/setup/assignments/'));
  check(assignment, 'no assignment to import into (the set-up scenario failed)');
  await page.goto(`${BASE}/app/setup/assignments/${assignment}`);
  const link = page.locator('a#import-link');
  check(await link.count(), `${pathOf(page)} has no a#import-link`);
  await link.click();
  await page.waitForURL((url) => url.pathname === `/app/setup/assignments/${assignment}/import`);
  check(await page.locator('form#import-form input[type=file]#import-file').count(), `${pathOf(page)} has no file input #import-file`);
  await visit(s, 'import-page');

  at('import-preview');
  await page.locator('#import-file').setInputFiles(path.join(REPO, 'crates/cube-sheets/tests/files/customers-semicolon-cp1252.csv'));
  await htmxSwap(page, () => page.locator('#import-preview-button').click(), 'previewing the file');
  check(await page.locator('#import-columns').count(), 'the preview has no #import-columns table');
  const summary = await textOf(page, '#import-summary');
  check(/^6 /.test(summary), `the preview's summary says "${summary}", not 6 rows`);
  const name = await page.locator('select[name="col.0"]').inputValue();
  check(name === 'name', `column A (Navn) goes to "${name}", not name`);
  const firstName = await textOf(page, '#import-first-rows tbody tr:first-child td:nth-child(2)');
  check(firstName === 'Bær & Sønn AS', `the first row reads "${firstName}", not "Bær & Sønn AS" (Windows-1252 decoded)`);
  ok(`the preview: "${summary}", column A → name, "${firstName}"`);
  await visit(s, 'import-preview');

  at('import-job');
  await htmxSwap(page, () => page.locator('#import-start').click(), 'starting the import');
  try {
    await page.locator('#import-job h2').waitFor({ timeout: STEP_MS });
  } catch {
    throw new Stop(`the import job showed no result within ${STEP_MS / 1000} s: "${await textOf(page, '#import-job')}"`);
  }
  const done = await textOf(page, '#import-job');
  check(/ferdig|done/i.test(done), `the import job ended as "${done}"`);
  ok(`the import job: "${done}"`);
  await visit(s, 'import-done');
}

const SCENARIOS = [
  ['login', 'admin, seller1 and client log in; a wrong password is refused', scenarioLogin],
  [
    'setup',
    'the admin builds a flow with an error, fixes it, publishes it, starts and sets up an assignment, adds a product',
    scenarioSetup,
  ],
  ['seller', "seller1's keyboard-only round: five sales outcomes, a meeting, My Work", scenarioSeller],
  ['seller-card', "seller1 edits a customer's card (k, Enter), releases (r), reads the reports; no set-up", scenarioSellerCard],
  ['client', "the client is kept out of the sellers' workspaces", scenarioClient],
  ['client-reports', "the client's reports of the sales assignment, a window, the wallboard; no set-up", scenarioClientReports],
  ['admin-reports', "the admin's reports of the sales assignment, its downloads, the wallboard refreshing itself", scenarioAdminReports],
  ['import', 'the admin previews a Norwegian Excel CSV, imports it and follows the job to its report', scenarioImport],
];

async function main() {
  await mkdir(SHOTS, { recursive: true });
  for (const file of await readdir(SHOTS)) {
    if (SCENARIOS.some(([name]) => file.startsWith(`${name}-`)) && file.endsWith('.png')) {
      await unlink(path.join(SHOTS, file));
    }
  }
  console.log(`Cube browser tests against ${BASE}; screenshots in ${SHOTS}`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // The machine's network is closed: nothing Chromium would fetch for itself.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  console.log(`Chromium ${browser.version()}`);
  try {
    for (const [name, title, body] of SCENARIOS) await runScenario(name, title, body);
  } finally {
    await browser.close();
  }

  const passed = visited.filter((page) => page.passed).length;
  console.log(`\n== summary`);
  console.log(`pages checked: ${visited.length} (${passed} clean), screenshots: ${screenshots} in ${SHOTS}`);
  for (const page of visited) console.log(`  ${page.passed ? '✓' : '✗'} ${page.scenario}-${page.name}`);
  for (const note of notes) console.log(`note: ${note}`);
  if (failures.length) {
    console.log(`\n${failures.length} failure(s):`);
    for (const [index, failure] of failures.entries()) console.log(`${index + 1}. ${failure}`);
    process.exitCode = 1;
  } else {
    console.log('\nall browser checks passed');
  }
}

try {
  await main();
} catch (error) {
  console.error(`run.mjs: ${error instanceof Error ? error.stack : error}`);
  process.exitCode = 1;
}
