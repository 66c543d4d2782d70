// The operator console in real headless Chromium (Debian's /usr/bin/chromium
// driven by puppeteer-core): a wrong link is refused, the one-time link signs
// in (cookie HttpOnly + SameSite=Strict) and is refused the second time, the
// review page lists the submission (screenshot), a forged CSRF token is
// refused, Approve with a note goes through, a replayed form changes nothing.
// Env: BASE (http://127.0.0.1:port), LINK (the one-time link), SHOT (png path).
// Prints ok/not ok lines; the shell script checks the database and the group.
const puppeteer = require('puppeteer-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

const { BASE, LINK, SHOT } = process.env;
let pass = 0, fail = 0;
function check(name, cond, detail) {
    if (cond) { pass++; console.log('ok ' + name); }
    else { fail++; console.log('not ok ' + name + (detail !== undefined ? ' # ' + JSON.stringify(detail) : '')); }
}

(async () => {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kocbot-chromium-'));
    const browser = await puppeteer.launch({
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
               '--disable-background-networking', '--disable-component-update', '--disable-sync',
               '--user-data-dir=' + profile],
    });
    try {
        const page = await browser.newPage();
        await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 1 }); // a phone
        page.setDefaultTimeout(15000);
        // the pages' CSP forbids fetch(); the test's own hand-made POSTs bypass it
        await page.setBypassCSP(true);

        let r = await page.goto(BASE + '/console/login?t=' + '0'.repeat(48));
        check('a wrong link is refused (403)', r.status() === 403, r.status());
        check('... and says so', (await page.content()).includes('wrong, used or expired'));

        r = await page.goto(BASE + '/console/review');
        check('no session: 401 and a sign-in hint', r.status() === 401 &&
              (await page.content()).includes('/console'), r.status());

        r = await page.goto(LINK);
        check('the one-time link signs in and lands on the review page',
              r.status() === 200 && page.url() === BASE + '/console/review', [r.status(), page.url()]);
        const cookies = await page.cookies();
        const c = cookies.find(x => x.name === 'kb_console');
        check('session cookie HttpOnly, SameSite=Strict, path /console',
              c && c.httpOnly && c.sameSite === 'Strict' && c.path === '/console', c);
        const html = await page.content();
        check('the review page lists the submission', html.includes('submission-1') &&
              html.includes('my poster') && html.includes('Poster photo'));
        check('it shows the attachment', html.includes('photo:AgACphotoALICE'));
        check('untrusted names are escaped', html.includes('&lt;i&gt;alice&lt;/i&gt;') &&
              !html.includes('<i>alice</i>'));
        await page.screenshot({ path: SHOT, fullPage: true });

        const again = await browser.newPage();
        r = await again.goto(LINK);
        check('the same link a second time is refused (403)', r.status() === 403, r.status());
        await again.close();

        const form = await page.evaluate(() => {
            const f = document.querySelector('#submission-1 form');
            return Object.fromEntries(new FormData(f).entries());
        });
        const post = (fields) => page.evaluate(async (body) => {
            const res = await fetch('/console/review', {
                method: 'POST', redirect: 'manual',
                headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
                body: new URLSearchParams(body).toString() });
            return res.type === 'opaqueredirect' ? 303 : res.status;
        }, fields);
        const forged = await post({ ...form, csrf: 'f'.repeat(64), verdict: 'approve' });
        check('a forged CSRF token is refused (403)', forged === 403, forged);
        const missing = await post({ form: form.form, id: form.id, verdict: 'approve' });
        check('a form without the CSRF token is refused (403)', missing === 403, missing);

        const alice = async () => {
            await page.goto(BASE + '/console/members?q=' + encodeURIComponent('<i>alice'));
            return page.evaluate(() => {
                const card = [...document.querySelectorAll('section.card')]
                    .find(c => c.querySelector('b').textContent === '<i>alice</i>');
                return card ? { points: card.querySelector('.points').textContent,
                                rows: [...card.querySelectorAll('.ledger tr')].map(r => r.textContent) }
                            : null;
            });
        };
        const before = await alice();
        check('members: alice found by a search, 0 points, no task row yet',
              before && before.points === '0' && !before.rows.some(r => r.includes('task')), before);
        await page.goto(BASE + '/console/review');
        await page.type('#submission-1 textarea', 'great shot');
        await Promise.all([page.waitForNavigation(),
                           page.click('#submission-1 button[value=approve]')]);
        const after = await page.content();
        check('approve: back on the review page with a notice', page.url().endsWith('?sent=1') &&
              after.includes('the group has been told'), page.url());
        check('the submission left the queue', !after.includes('submission-1'));
        const after_ledger = await alice();
        check('members: the ledger now shows the task reward (+20 points)',
              after_ledger && after_ledger.points === '20' &&
              after_ledger.rows.some(r => r.includes('+20 points') && r.includes('task')),
              after_ledger);
        await page.screenshot({ path: path.join(path.dirname(SHOT), 'console-members.png'), fullPage: true });
        const replay = await post({ ...form, verdict: 'approve', note: 'great shot' });
        check('the same form again is accepted (303) ...', replay === 303, replay);

        await Promise.all([page.waitForNavigation(), page.click('header button')]);
        check('sign out', (await page.content()).includes('Signed out'));
        r = await page.goto(BASE + '/console/review');
        check('after signing out the session is gone (401)', r.status() === 401, r.status());
    } finally {
        await browser.close();
        fs.rmSync(profile, { recursive: true, force: true });
    }
    console.log(`${pass} passed, ${fail} failed`);
    process.exit(fail ? 1 : 0);
})().catch(e => { console.log('not ok browser: ' + e); console.log(`${pass} passed, ${fail + 1} failed`); process.exit(1); });
