// The operator console in real headless Chromium (Debian's /usr/bin/chromium
// driven by puppeteer-core): wrong, expired and reused links are refused, the
// one-time link signs in (cookie HttpOnly + SameSite=Strict), the review page
// shows the submitted photo (fetched by the bot, never from the platform's
// URL), a forged CSRF token is refused, Approve with a note and Ask for
// changes go through, a replayed form changes nothing, an operator of
// community A sees nothing of community B, "sign out everywhere" ends
// another browser's session.
// Env: BASE (http://127.0.0.1:port), LINK and LINK2 (one-time links of the
// configured operator), LINK_A (of community A's own operator), STALE (an
// expired link), TOKEN (the bot's token, which no page may contain), SHOT
// (png path), COOKIES (file: the session cookies seen, one a line).
// Prints ok/not ok lines; the shell script checks the database and the group.
const puppeteer = require('puppeteer-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

const { BASE, LINK, LINK2, LINK_A, STALE, TOKEN, SHOT, COOKIES, COMMUNITY_A, AUDIT_TIME } = process.env;
let pass = 0, fail = 0;
function check(name, cond, detail) {
    if (cond) { pass++; console.log('ok ' + name); }
    else { fail++; console.log('not ok ' + name + (detail !== undefined ? ' # ' + JSON.stringify(detail) : '')); }
}

// A page of its own browser context (its own cookie jar), phone-sized.
async function newPage(browser) {
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 1 });
    page.setDefaultTimeout(15000);
    // the pages' CSP forbids fetch(); the test's own hand-made POSTs bypass it
    await page.setBypassCSP(true);
    return page;
}

async function signIn(page, link) {
    const r = await page.goto(link);
    const c = (await page.cookies()).find(x => x.name === 'kb_console');
    if (c && COOKIES) fs.appendFileSync(COOKIES, c.value + '\n');
    return { r, c };
}

// POST fields to path from page (status; 303 for a redirect).
function post(page, where, fields) {
    return page.evaluate(async (where, body) => {
        const res = await fetch(where, {
            method: 'POST', redirect: 'manual',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams(body).toString() });
        return res.type === 'opaqueredirect' ? 303 : res.status;
    }, where, fields);
}

function formOf(page, sel) {
    return page.evaluate((sel) => {
        const f = document.querySelector(sel);
        return f ? Object.fromEntries(new FormData(f).entries()) : null;
    }, sel);
}

// MODE=zh: the pages in Chinese (the bot runs with KOCBOT_LOCALE=zh-CN), a
// screenshot of the review page; MODE=again: COOKIE, a session from before a
// restart, still signs the browser in.
async function otherModes(browser, mode) {
    const page = await newPage(browser);
    if (mode === 'again') {
        await page.setCookie({ name: 'kb_console', value: process.env.COOKIE, url: BASE + '/console/' });
        const r = await page.goto(BASE + '/console/review');
        check('a session from before the restart still works', r.status() === 200, r.status());
        return;
    }
    const { r } = await signIn(page, LINK);
    const html = await page.content();
    check('zh-CN: signed in, the page says so in Chinese', r.status() === 200 &&
          html.includes('lang="zh-CN"') && html.includes('待审核的提交') && html.includes('当前登录：dana'), r.status());
    check('zh-CN: the navigation in Chinese', ['审核', '任务', '投票', '成员', '奖励汇总', '活跃度', '操作记录', '定时发布']
          .every(x => html.includes('>' + x + '<')));
    check('zh-CN: the buttons in Chinese', html.includes('通过') && html.includes('退回修改') && html.includes('不通过'));
    const img = await page.evaluate(async () => {
        const i = document.querySelector('section.card img');
        if (!i) return null;
        if (!i.complete) await new Promise(ok => { i.onload = i.onerror = ok; });
        return i.naturalWidth;
    });
    check('zh-CN: the revision\'s photo is shown', img === 64, img);
    await page.screenshot({ path: SHOT, fullPage: true });
    for (const [p, title] of [['tasks', '任务与领取情况'], ['polls', '投票结果与理由'], ['tally', '奖励汇总（按类型和币种）'],
                              ['activity', '每日签到人数（近 30 天）'], ['audit', '操作记录'], ['schedules', '定时发布']]) {
        const res = await page.goto(BASE + '/console/' + p);
        check('zh-CN: the ' + p + ' page', res.status() === 200 && (await page.content()).includes(title), res.status());
        if (p === 'tasks' || p === 'polls' || p === 'activity')
            await page.screenshot({ path: SHOT.replace('review', p), fullPage: true });
    }
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
        if (process.env.MODE) await otherModes(browser, process.env.MODE);
        else await mainRun(browser);
    } finally {
        await browser.close();
        fs.rmSync(profile, { recursive: true, force: true });
    }
    console.log(`${pass} passed, ${fail} failed`);
    process.exit(fail ? 1 : 0);
})().catch(e => { console.log('not ok browser: ' + e); console.log(`${pass} passed, ${fail + 1} failed`); process.exit(1); });

// The English run: everything the header lists.
async function mainRun(browser) {
    {
        const page = await newPage(browser);
        let r = await page.goto(BASE + '/console/login?t=' + '0'.repeat(64));
        check('a wrong link is refused (403)', r.status() === 403, r.status());
        check('... and says so', (await page.content()).includes('wrong, used or expired'));
        r = await page.goto(STALE);
        check('an expired link is refused (403)', r.status() === 403, r.status());

        r = await page.goto(BASE + '/console/review');
        check('no session: 401 and a sign-in hint', r.status() === 401 &&
              (await page.content()).includes('/console'), r.status());

        const { r: r1, c } = await signIn(page, LINK);
        check('the one-time link signs in and lands on the review page',
              r1.status() === 200 && page.url() === BASE + '/console/review', [r1.status(), page.url()]);
        check('session cookie HttpOnly, SameSite=Strict, path /console',
              c && c.httpOnly && c.sameSite === 'Strict' && c.path === '/console', c);
        let html = await page.content();
        check('the review page lists the submissions', html.includes('submission-1') &&
              html.includes('my poster') && html.includes('Poster photo') && html.includes('submission-2'));
        const img = await page.evaluate(async () => {
            const i = document.querySelector('#submission-1 img');
            if (!i) return null;
            if (!i.complete) await new Promise(ok => { i.onload = i.onerror = ok; });
            return { w: i.naturalWidth, h: i.naturalHeight, src: i.getAttribute('src') };
        });
        check('the submitted photo is shown (64x48, as the platform keeps it)',
              img && img.w === 64 && img.h === 48, img);
        check('... served by the console itself, not the platform', img && img.src.startsWith('/console/file?sub=1'), img);
        const file = await page.evaluate(async () => {
            const card = [...document.querySelectorAll('section.card')].find(c => c.textContent.includes('my page'));
            const a = card && card.querySelector('a.file');
            if (!a) return null;
            const res = await fetch(a.getAttribute('href'));
            return { type: res.headers.get('content-type'), disp: res.headers.get('content-disposition'),
                     csp: res.headers.get('content-security-policy'), body: await res.text() };
        });
        check('a submitted file is a download, never a page of ours (no HTML type, attachment, sandboxed)',
              file && file.type === 'application/octet-stream' && file.disp === 'attachment' &&
              file.csp.includes('sandbox') && file.body.includes('<script>'), file);
        check('no page holds the bot token', !html.includes(TOKEN) && !html.includes(TOKEN.split(':')[1]));
        check('untrusted names are escaped', html.includes('&lt;i&gt;alice&lt;/i&gt;') &&
              !html.includes('<i>alice</i>'));
        await page.screenshot({ path: SHOT, fullPage: true });

        const again = await newPage(browser);
        r = await again.goto(LINK);
        check('the same link a second time is refused (403)', r.status() === 403, r.status());

        const form = await formOf(page, '#submission-1 form');
        const forged = await post(page, '/console/review', { ...form, csrf: 'f'.repeat(64), verdict: 'approve' });
        check('a forged CSRF token is refused (403)', forged === 403, forged);
        const missing = await post(page, '/console/review', { form: form.form, id: form.id, verdict: 'approve' });
        check('a form without the CSRF token is refused (403)', missing === 403, missing);

        // community A's own operator: A's submissions, nothing of B's
        const opA = await newPage(browser);
        r = (await signIn(opA, LINK_A)).r;
        check('community A\'s operator signs in', r.status() === 200, r.status());
        html = await opA.content();
        check('... sees A\'s submissions, not B\'s', html.includes('submission-1') &&
              !html.includes('submission-3') && !html.includes('carol in B'));
        const formA = await formOf(opA, '#submission-1 form');
        const crossed = await post(opA, '/console/review', { ...formA, id: '3', verdict: 'approve' });
        check('... and may not approve B\'s submission (403)', crossed === 403, crossed);
        const names = async (q) => {
            await opA.goto(BASE + '/console/members?q=' + q);
            return opA.evaluate(() => [...document.querySelectorAll('section.card b:first-child')].map(b => b.textContent));
        };
        const all = await names('');
        check('... lists A\'s members, not B\'s', all.includes('<i>alice</i>') && !all.includes('carol'), all);
        check('... nor finds them by a search', (await names('carol')).length === 0);
        r = await opA.goto(BASE + '/console/file?sub=1');
        check('... while A\'s photo is served (from the cache)', r.status() === 200 &&
              r.headers()['content-type'] === 'image/png', [r.status(), r.headers()['content-type']]);

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
        check('members: alice found by a search, no task row yet',
              before && !before.rows.some(r => r.includes('task')), before);
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
              after_ledger && +after_ledger.points === +before.points + 20 &&
              after_ledger.rows.some(r => r.includes('+20 points') && r.includes('task')),
              after_ledger);
        await page.screenshot({ path: path.join(path.dirname(SHOT), 'console-members.png'), fullPage: true });
        const replay = await post(page, '/console/review', { ...form, verdict: 'approve', note: 'great shot' });
        check('the same form again is accepted (303) ...', replay === 303, replay);

        await page.goto(BASE + '/console/review');
        const form2 = await formOf(page, '#submission-2 form');
        const bare = await post(page, '/console/review', { ...form2, verdict: 'revise' });
        check('ask for changes without saying what: refused (400), nothing applied', bare === 400, bare);
        await page.goto(BASE + '/console/review');
        await page.type('#submission-2 textarea', 'needs the logo');
        await Promise.all([page.waitForNavigation(),
                           page.click('#submission-2 button[value=revise]')]);
        check('ask for changes: the submission left the queue',
              page.url().endsWith('?sent=1') && !(await page.content()).includes('submission-2'));

        // the other pages
        r = await page.goto(BASE + '/console/tasks');
        check('tasks page: the task with its claims', r.status() === 200 && await page.evaluate(() => {
            const t = document.querySelector('#task-1');
            return t && t.textContent.includes('Poster photo') && t.querySelectorAll('.claims li').length === 3; // alice, bob, dan
        }));
        await page.click('#new-task summary');
        await page.select('#new-task select[name=community]', COMMUNITY_A);
        await page.select('#new-task select[name=tier]', 'explore');
        await page.type('#new-task input[name=title]', 'Unboxing video');
        await page.$eval('#new-task input[name=points]', i => { i.value = '25'; });
        await Promise.all([page.waitForNavigation(), page.click('#new-task button')]);
        const newTask = await page.evaluate(() => {
            const t = [...document.querySelectorAll('section.card')].find(c => c.querySelector('.title') &&
                c.querySelector('.title').textContent === 'Unboxing video');
            return t ? t.id : null;
        });
        check('a task posted from the console shows up', page.url().endsWith('?sent=1') && newTask, page.url());
        await page.type('#' + newTask + ' input[name=changes]', '--points 30');
        await Promise.all([page.waitForNavigation(), page.click('#' + newTask + ' button[value=edit]')]);
        check('... edited (30 points)', (await page.$eval('#' + newTask, e => e.textContent)).includes('30'));
        await Promise.all([page.waitForNavigation(), page.click('#' + newTask + ' button[value=close]')]);
        check('... and closed', (await page.$eval('#' + newTask + ' .state', e => e.textContent)) === 'closed');
        const taskForm = await formOf(page, '#new-task form');
        const sneaky = await post(page, '/console/tasks', { ...taskForm, title: 'x --points 99999' });
        check('a title smuggling options is refused (400)', sneaky === 400, sneaky);
        const bogus = await post(page, '/console/tasks', { ...taskForm, action: 'delete', task: '1' });
        check('an unknown task action is refused (403)', bogus === 403, bogus);
        for (const [where, want] of [['/console/file?sub=999', 404], ['/console/file?sub=abc', 404],
                                     ['/console/file?sub=2', 404], ['/console/history?member=-1', 404],
                                     ['/console/tally?x=%00', 200]]) {
            const st = await page.evaluate(async (u) => (await fetch(u)).status, where);
            check('bad input ' + where + ' -> ' + want, st === want, st);
        }
        const forgedTask = await post(page, '/console/tasks', { csrf: 'e'.repeat(64), form: 'a'.repeat(64),
                                                                action: 'close', task: '1' });
        check('a task form with a forged CSRF token is refused (403)', forgedTask === 403, forgedTask);

        r = await page.goto(BASE + '/console/polls?split=level');
        const poll = await page.evaluate(() => {
            const c = document.querySelector('#poll-1');
            return c && { bars: [...c.querySelectorAll('.option meter')].map(m => m.value),
                          parts: c.querySelectorAll('.part').length,
                          reasons: [...c.querySelectorAll('.reasons li')].map(l => l.textContent) };
        });
        check('polls: a bar per option (1 and 1 vote), split by level, the reasons',
              poll && poll.bars.join() === '1,1' && poll.parts === 2 &&
              poll.reasons.some(x => x.includes('the lights are great') && x.includes('#2')), poll);

        r = await page.goto(BASE + '/console/tally');
        check('tally: 20 task points and 2 check-ins\' points for community A',
              r.status() === 200 && await page.evaluate(() => [...document.querySelectorAll('tr.tally')]
                  .some(t => t.textContent.includes('points'))));
        const csv = await page.evaluate(async () => {
            const res = await fetch('/console/tally.csv');
            return { type: res.headers.get('content-type'), disp: res.headers.get('content-disposition'),
                     text: await res.text() };
        });
        const csvLines = csv.text.trim().split('\n');
        check('tally CSV: a download with a header and alice\'s line',
              csv.type.startsWith('text/csv') && csv.disp.includes('attachment') &&
              csvLines[0] === 'community,member,platform,user_id,kind,unit,earned,paid,owed' &&
              csvLines.includes('KOC group,<i>alice</i>,tg,101,points,,30,0,30'), csv); // 20 for the task, 10 for the check-in

        r = await page.goto(BASE + '/console/activity');
        const bars = await page.evaluate(() => {
            const c = document.querySelector('#checkins-0');
            const a = document.querySelector('#active-0');
            return c && a && { days: [...c.querySelectorAll('title')].map(t => t.textContent),
                               weeks: [...a.querySelectorAll('title')].map(t => t.textContent) };
        });
        check('activity: check-ins per day and active members per week as charts',
              bars && bars.days.some(d => /: 2$/.test(d)) && bars.weeks.some(d => /: [23]$/.test(d)), bars);

        r = await page.goto(BASE + '/console/audit');
        const approvedAt = await page.evaluate(() => {
            const row = [...document.querySelectorAll('tr.audit')].find(t => t.children[3].textContent === 'approved' ||
                t.children[3].textContent.includes('approve'));
            return row ? row.children[0].textContent : null;
        });
        check('audit log: the approval is there', approvedAt, approvedAt);
        if (AUDIT_TIME && approvedAt) fs.writeFileSync(AUDIT_TIME, approvedAt);

        r = await page.goto(BASE + '/console/schedules');
        check('schedules: the community\'s default posts', r.status() === 200 &&
              (await page.$$('tr.schedule')).length > 0);

        await alice();
        const hist = await page.evaluate(() => {
            const card = [...document.querySelectorAll('section.card')]
                .find(c => c.querySelector('b').textContent === '<i>alice</i>');
            return card && card.querySelector('a[href^="/console/history"]').getAttribute('href');
        });
        r = await page.goto(BASE + hist);
        check('member history: the claim and the submission', r.status() === 200 &&
              (await page.$$eval('tr.history', rs => rs.map(r => r.textContent))).filter(t => t.includes('Poster photo')).length === 2);

        // one operator, two browsers: "sign out everywhere" in one ends both
        const other = await newPage(browser);
        r = (await signIn(other, LINK2)).r;
        check('a second browser signs in with a second link', r.status() === 200, r.status());
        await Promise.all([page.waitForNavigation(), page.click('#revoke')]);
        check('sign out everywhere', (await page.content()).includes('Signed out'));
        r = await other.goto(BASE + '/console/review');
        check('... the other browser\'s session is revoked (401)', r.status() === 401, r.status());
        r = await page.goto(BASE + '/console/review');
        check('... and this one\'s (401)', r.status() === 401, r.status());

        await opA.goto(BASE + '/console/review');
        await Promise.all([opA.waitForNavigation(), opA.click('header button')]);
        check('sign out', (await opA.content()).includes('Signed out'));
        r = await opA.goto(BASE + '/console/review');
        check('after signing out the session is gone (401)', r.status() === 401, r.status());
    }
}
