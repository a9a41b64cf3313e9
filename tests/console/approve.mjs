// Approves a paused run through the web console as a person would, in a
// real headless chromium driven by puppeteer-core:
//
//   node approve.mjs BASE_URL KEY RUN_ID NAME
//
// Opens BASE_URL/console, signs in with KEY, finds RUN_ID among the pending
// approvals, checks its gate is shown, approves it as NAME, waits for the
// run to finish ok, opens it in History, checks the detail says "approved
// by NAME", replays it and waits for "same outcome". Prints one JSON line
// of what it saw and exits 0; on any failure, a console error, a JS error or
// a content-security-policy violation, says why on stderr and exits 1.
// Only BASE_URL's origin is reached: other requests are aborted (and fail
// the run), and chromium's own traffic goes to a dead local proxy.
import fs from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const TOTAL_MS = 30_000;
const STEP_MS = 10_000;

function fail(message) {
  process.stderr.write(`approve.mjs: ${message}\n`);
  process.exit(1);
}

function chromium() {
  const named = process.env.ISOBOX_CHROMIUM;
  if (named) return named;
  const dirs = (process.env.PATH || '').split(path.delimiter).filter(Boolean);
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    for (const dir of [...dirs, '/usr/bin', '/usr/local/bin']) {
      const candidate = path.join(dir, name);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        return candidate;
      } catch {
        // next
      }
    }
  }
  fail('no chromium found: run tests/console/install.sh (Debian: apt-get install chromium) or set ISOBOX_CHROMIUM');
  return null;
}

const [baseArg, key, runId, name] = process.argv.slice(2);
if (!baseArg || !key || !runId || !name) fail('usage: node approve.mjs BASE_URL KEY RUN_ID NAME');
if (!/^[A-Za-z0-9_-]{1,128}$/.test(runId)) fail(`not a run id: ${JSON.stringify(runId)}`);
const base = new URL(baseArg);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(base.hostname) && !base.hostname.startsWith('127.')) {
  fail(`the console must be on a loopback address, not ${base.hostname}`);
}
const origin = base.origin;
const consoleUrl = `${origin}${base.pathname.replace(/\/$/, '')}/console`;

const problems = [];
let browser = null;
let page = null;

// Waits for a selector, saying what was expected when it does not come.
async function expect(selector, what, options = {}) {
  try {
    return await page.waitForSelector(selector, options);
  } catch (error) {
    throw new Error(`${what} (${error.message})`);
  }
}

const deadline = setTimeout(() => {
  process.stderr.write(`approve.mjs: gave up after ${TOTAL_MS / 1000} s\n`);
  if (browser) browser.process()?.kill('SIGKILL');
  process.exit(1);
}, TOTAL_MS);

async function main() {
  browser = await puppeteer.launch({
    executablePath: chromium(),
    headless: true,
    timeout: STEP_MS,
    protocolTimeout: STEP_MS * 2,
    args: [
      '--no-sandbox',
      '--headless=new',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-extensions',
      '--disable-sync',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-domain-reliability',
      '--disable-client-side-phishing-detection',
      '--disable-features=Translate,OptimizationHints,MediaRouter,InterestFeedContentSuggestions',
      '--metrics-recording-only',
      '--no-pings',
      // Loopback bypasses any proxy; everything else would go to a closed port.
      '--proxy-server=http://127.0.0.1:9',
    ],
  });
  page = await browser.newPage();
  page.setDefaultTimeout(STEP_MS);

  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`browser console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    if (!request.url().startsWith(origin)) return;
    problems.push(`request failed: ${request.method()} ${request.url()}: ${request.failure()?.errorText}`);
  });
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const url = request.url();
    if (url.startsWith(`${origin}/`) || url.startsWith('data:')) {
      request.continue();
    } else {
      problems.push(`the console asked for another origin: ${url}`);
      request.abort();
    }
  });
  await page.evaluateOnNewDocument(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`);
    });
  });

  const check = () => {
    if (problems.length) throw Object.assign(new Error(problems.join('; ')), { reported: true });
  };

  const response = await page.goto(consoleUrl, { waitUntil: 'load' });
  if (!response || response.status() !== 200) throw new Error(`GET ${consoleUrl} answered ${response && response.status()}`);
  const csp = response.headers()['content-security-policy'] || '';
  if (!csp.includes("script-src 'self'")) throw new Error(`the console has no strict CSP: ${JSON.stringify(csp)}`);

  // Sign in.
  await expect('[data-testid="key"]', 'the console shows no key form', { visible: true });
  await page.type('[data-testid="key"]', key);
  await page.click('[data-testid="key-submit"]');
  await expect('[data-testid="tab-pending"]', 'the console did not sign in', { visible: true });
  check();

  // The run among the pending approvals, with its gate shown.
  await page.click('[data-testid="tab-pending"]');
  const card = `[data-testid="pending-run"][data-run-id="${runId}"]`;
  await expect(`${card} [data-testid="gate-describe"]`, `run ${runId} is not among the pending approvals`, { visible: true });
  const gates = await page.$$eval(`${card} [data-testid="gate-describe"]`, (els) => els.map((e) => e.textContent));
  const args = await page.$$eval(`${card} [data-testid="gate-arguments"]`, (els) => els.map((e) => e.textContent));
  if (!gates.length || gates.some((g) => !g.trim())) throw new Error(`run ${runId} shows no gate text`);
  check();

  // Approve it as NAME.
  await page.$eval('[data-testid="approver"]', (input) => {
    input.value = '';
  });
  await page.type('[data-testid="approver"]', name);
  await page.click(`${card} [data-testid="approve"]`);
  const result = `${card} [data-testid="decision-result"]`;
  await page
    .waitForFunction(
      (selector) => {
        const el = document.querySelector(selector);
        return el && el.dataset.status && el.dataset.status !== 'working';
      },
      { timeout: STEP_MS },
      result,
    )
    .catch((error) => {
      throw new Error(`approving showed no outcome (${error.message})`);
    });
  const decided = await page.$eval(result, (el) => ({ status: el.dataset.status, text: el.textContent }));
  if (decided.status !== 'ok') throw new Error(`after approving, the run is ${decided.status}: ${decided.text}`);
  check();

  // Its detail in History.
  await page.click('[data-testid="tab-history"]');
  const row = `[data-testid="history-row"][data-run-id="${runId}"]`;
  await expect(`${row}[data-status="ok"]`, `History shows no ok row for run ${runId}`, { visible: true });
  await page.click(`${row} [data-testid="open-run"]`);
  const detail = `[data-testid="run-detail"][data-run-id="${runId}"][data-status]`;
  await expect(`${detail} [data-testid="detail-status"]`, `the detail of run ${runId} did not open`, { visible: true });
  const shown = await page.$eval(detail, (el) => ({
    status: el.querySelector('[data-testid="detail-status"]').textContent,
    decisions: [...el.querySelectorAll('[data-testid="gate-decision"]')].map((d) => d.textContent),
    value: el.querySelector('[data-testid="detail-result-value"]')?.textContent ?? null,
    logs: [...el.querySelectorAll('[data-testid="detail-logs"] .message')].map((m) => m.textContent),
  }));
  if (shown.status !== 'ok') throw new Error(`the detail shows status ${shown.status}`);
  const approvedBy = `approved by ${name}`;
  if (!shown.decisions.some((d) => d.includes(approvedBy))) {
    throw new Error(`the detail shows no "${approvedBy}" decision: ${JSON.stringify(shown.decisions)}`);
  }
  check();

  // Replay.
  await page.click(`${detail} [data-testid="replay"]`);
  await expect(`${detail} [data-testid="replay-result"][data-same]`, 'the replay showed no outcome');
  const replay = await page.$eval(`${detail} [data-testid="replay-result"]`, (el) => ({
    same: el.dataset.same === 'true',
    text: el.textContent,
  }));
  if (!replay.same || !/same outcome/i.test(replay.text)) throw new Error(`the replay differs: ${replay.text}`);
  // Give late console errors a moment to arrive.
  await new Promise((resolve) => setTimeout(resolve, 200));
  check();

  let value = null;
  try {
    value = shown.value === null ? null : JSON.parse(shown.value);
  } catch {
    value = shown.value;
  }
  return {
    approved: true,
    run_id: runId,
    status: decided.status,
    decision: decided.text,
    gates,
    arguments: args,
    detail_status: shown.status,
    decisions: shown.decisions,
    logs: shown.logs,
    result: value,
    replay_same: replay.same,
  };
}

try {
  const seen = await main();
  process.stdout.write(`${JSON.stringify(seen)}\n`);
  await browser.close();
  clearTimeout(deadline);
  process.exit(0);
} catch (error) {
  const extra = problems.length && !error.reported ? ` (also: ${problems.join('; ')})` : '';
  let banner = '';
  try {
    banner = page ? await page.$eval('[data-testid="error"]', (el) => (el.hidden ? '' : el.textContent)) : '';
  } catch {
    banner = '';
  }
  const says = banner ? ` (the console says: ${banner})` : '';
  process.stderr.write(`approve.mjs: ${error.message}${extra}${says}\n`);
  if (browser) await browser.close().catch(() => browser.process()?.kill('SIGKILL'));
  process.exit(1);
}
