// Fidelity of tests/fake/fake_onebot.py, judged by an independent client:
// Koishi's OneBot adapter (koishi-plugin-adapter-onebot, pinned in
// package.json) connects to the fake's forward WebSocket with the access
// token; messages the fake pushes must decode in Koishi as the fake meant
// them (sender, group, role, segments, ids at the 32-bit edges), and
// Koishi's own send must reach the fake's send_group_msg with the segments
// Koishi encodes.  Usage: node koishi_fidelity.js WS_PORT HTTP_PORT TOKEN
// Prints ok / not ok lines and "N passed, N failed".
'use strict'
const { App, h, Universal } = require('koishi')
const OneBot = require('koishi-plugin-adapter-onebot').default
const [wsPort, httpPort, token] = process.argv.slice(2)
const CTL = `http://127.0.0.1:${httpPort}/_ctl/`
const GROUP = 555000111
let pass = 0, fail = 0
function report(ok, name) {
  console.log(`${ok ? 'ok' : 'not ok'} ${name}`)
  if (ok) pass++; else fail++
}
async function ctl(what, body) {
  const r = await fetch(CTL + what, body === undefined ? {} :
    { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } })
  return r.json()
}
async function waitFor(fn, ms = 10000) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await fn()) return true
    await new Promise(r => setTimeout(r, 50))
  }
  return false
}
function elems(session) {
  return session.elements.map(e => e.type === 'text' ? { type: 'text', content: e.attrs.content }
    : { type: e.type, ...e.attrs })
}

async function main() {
  const app = new App()
  app.plugin(require('@koishijs/plugin-http').default) // ctx.http, which the adapter injects
  app.plugin(OneBot, { protocol: 'ws', selfId: '10001', endpoint: `ws://127.0.0.1:${wsPort}`, token,
                       retryTimes: 1, retryInterval: 500 })
  const got = []
  app.on('message', s => got.push(s))
  await app.start()
  await waitFor(() => app.bots.length > 0)
  const bot = app.bots[0]
  report(await waitFor(() => bot && bot.status === Universal.Status.ONLINE),
         'Koishi connects with the token and goes online (get_login_info answered)')
  report(bot.user && bot.user.id === '10001', 'Koishi reads our QQ number from get_login_info')

  const e1 = await ctl('event', { group: GROUP, user: 42, role: 'admin', name: 'alice',
    message: [{ type: 'at', data: { qq: '10001' } }, { type: 'text', data: { text: ' /checkin 你好' } },
              { type: 'image', data: { file: 'ABCD.jpg', url: 'http://127.0.0.1/ABCD.jpg' } },
              { type: 'face', data: { id: '14' } }],
    id: -2147483648 })
  const e2 = await ctl('event', { group: GROUP, user: 43, role: 'owner', name: 'bob',
    message: '[CQ:at,qq=10001] /vote 3 2 &#91;x&#93;', cq: true, id: 2147483647 })
  const e3 = await ctl('event', { group: GROUP, user: 44, name: 'carol',
    message: [{ type: 'reply', data: { id: String(e1.message_id) } }, { type: 'text', data: { text: '/submit 1' } }] })
  const e4 = await ctl('event', { user: 45, name: 'dave', message: '/me', message_type: 'private' })
  report(await waitFor(() => got.length >= 4), 'Koishi receives the four pushed messages')
  // a quoted message waits for get_msg, so the order of arrival may differ
  const [s1, s2, s3, s4] = ['42', '43', '44', '45'].map(u => got.find(s => s.userId === u))
  report(s1 && s1.userId === '42' && s1.guildId === String(GROUP) && s1.channelId === String(GROUP),
         'array message: sender and group as the fake meant them')
  report(s1 && s1.event.member.roles[0].id === 'admin' && s2 && s2.event.member.roles[0].id === 'owner'
         && s3 && s3.event.member.roles[0].id === 'member', 'sender.role admin / owner / member reaches Koishi')
  report(s1 && s1.author.name === 'alice', 'the nickname reaches Koishi')
  const el1 = s1 ? elems(s1) : []
  report(JSON.stringify(el1.map(e => e.type)) === JSON.stringify(['at', 'text', 'img', 'face'])
         && el1[0].id === '10001' && el1[1].content.trimEnd() === ' /checkin 你好' && el1[2].file === 'ABCD.jpg',
         // Koishi pads text next to an image with a space (advanced.splitMixedContent)
         'array segments at, text (UTF-8), image, face decode as sent: ' + JSON.stringify(el1))
  report(s1 && s1.messageId === '-2147483648' && s2 && s2.messageId === '2147483647',
         'message ids at the 32-bit bounds (one negative) arrive intact')
  const el2 = s2 ? elems(s2) : []
  report(el2.length === 2 && el2[0].type === 'at' && el2[0].id === '10001' && el2[1].content === ' /vote 3 2 [x]',
         'a CQ-code string decodes to at + text with its escapes undone')
  report(s3 && s3.quote && s3.quote.id === String(e1.message_id) && s3.content === '/submit 1',
         'a reply segment becomes the quote (get_msg answered from the history)')
  report(s4 && s4.isDirect && s4.channelId === 'private:45' && s4.userId === '45', 'a private message is direct')

  await ctl('sent_reset', {})
  const ids = await bot.sendMessage(String(GROUP), [h('quote', { id: String(e2.message_id) }), h.at('43'), h.text(' 收到')])
  const sent = await ctl('sent')
  const m = sent[0] || { params: {} }
  const types = (m.params.message || []).map(x => x.type)
  report(sent.length === 1 && m.action === 'send_group_msg' && String(m.params.group_id) === String(GROUP),
         "Koishi's send reaches the fake's send_group_msg for the group")
  report(types.includes('reply') && types.includes('at') && types.includes('text') &&
         m.params.message.find(x => x.type === 'at').data.qq === '43',
         'reply, at and text segments arrive as Koishi encodes them: ' + JSON.stringify(types))
  report(ids.length === 1 && ids[0] === String(m.message_id), 'the message id the fake returns is what Koishi reports')
  // app.stop() trips over Koishi's own dispose (satorijs 'findIndex' of undefined): just leave
  console.log(`${pass} passed, ${fail} failed`)
  process.exit(fail ? 1 : 0)
}
main().catch(e => { console.log('not ok Koishi test crashed: ' + (e && e.stack || e)); console.log(`${pass} passed, ${fail + 1} failed`); process.exit(1) })
