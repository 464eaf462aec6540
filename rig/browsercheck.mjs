#!/usr/bin/env node
// Optional part of the self-test: real WebRTC from headless Chromium through the rig.
//
//   node rig/browsercheck.mjs            # starts rig/start.sh itself
//   RIG_JSON='{...}' node rig/browsercheck.mjs   # or uses a running rig (its JSON line)
//
// A page (rig/browser-page.js, served from 127.0.0.1 so getUserMedia works) registers agent
// 1001 over WebSocket and, with Chromium's RTCPeerConnection and a fake microphone playing a
// 660 Hz WAV, (A) calls the customer (baresip, 440 Hz) and (B) is called by the customer.
// Checked: ICE + DTLS-SRTP connect with rtpengine, the browser hears 440 Hz (AnalyserNode),
// the customer hears 660 Hz (its recording, Goertzel in rig/tones.py), DTMF from the browser
// as RFC 4733 (RTCDTMFSender) and as SIP INFO, BYE both ways. Uses the repository's own
// playwright-core and Debian's /usr/bin/chromium (no new dependencies). Prints a report and a
// JSON line; exit 0 when every check passed.
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Baresip } from './baresip.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'package.json'));
const { chromium } = require('playwright-core');

const checks = [];
const check = (name, ok, detail = '') => {
  checks.push({ name, ok: !!ok, detail });
  console.log(`  [${ok ? 'ok' : 'FAIL'}] ${name}${detail ? ': ' + detail : ''}`);
  return !!ok;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startRig() {
  if (process.env.RIG_JSON) return { info: JSON.parse(process.env.RIG_JSON), stop: async () => {} };
  const child = spawn(path.join(here, 'start.sh'), [], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, RIG_SIP_TRACE: '1' } });
  const rl = readline.createInterface({ input: child.stdout });
  const line = await new Promise((resolve, reject) => {
    rl.once('line', resolve);
    child.once('exit', (c) => reject(new Error(`rig exited (${c}) before it was ready`)));
  });
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
  return { info: JSON.parse(line), stop };
}

function newestRecording(dir, after) {
  const files = readdirSync(dir).filter((f) => f.endsWith('-dec.wav')).map((f) => path.join(dir, f)).filter((f) => !after.has(f));
  files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return files[0];
}
const recordings = (dir) => new Set(readdirSync(dir).map((f) => path.join(dir, f)));
const analyse = (file, hz, other) => JSON.parse(execFileSync('python3', ['-c',
  `import sys,json; sys.path.insert(0, ${JSON.stringify(here)}); from tones import analyse; print(json.dumps(analyse(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]))))`,
  file, String(hz), String(other)]).toString());

const figures = {};
const t0 = performance.now();
const { info, stop } = await startRig();
console.log(`rig up: ${info.ws_url}; Chromium fake microphone ${info.browser_fake_audio_hz} Hz`);
const server = http.createServer((req, res) => {
  if (req.url === '/page.js') {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    return res.end(readFileSync(path.join(here, 'browser-page.js')));
  }
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<!doctype html><title>rig</title><script src="/page.js"></script>');
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const pageUrl = `http://127.0.0.1:${server.address().port}/`;

let browser;
const cust = await Baresip.connect(info.baresip.customer.ctrl_port);
const custHz = info.baresip.customer.tone_hz;
const browserHz = info.browser_fake_audio_hz;
const recDir = info.baresip.customer.recordings;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [...info.chromium_flags, '--autoplay-policy=no-user-gesture-required'],
  });
  const page = await browser.newPage();
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(m.text()));
  await page.goto(pageUrl);
  const reg = await page.evaluate(([u, p, d]) => window.rig.start(u, '1001', p, d), [info.ws_url, info.users['1001'].password, info.domain]);
  check('browser: REGISTER over WebSocket', reg.status === 200, `${reg.status} in ${reg.ms} ms`);

  // (A) the browser calls the customer.
  console.log('A. browser (1001, WebRTC) calls customer (1002, RTP)');
  await cust.command('answermode', 'auto');
  let before = recordings(recDir);
  cust.mark();
  const a = await page.evaluate((t) => window.rig.call(t), `sip:1002@${info.domain}`);
  figures.browser_calls = a;
  const cands = a.offer_candidates.map((c) => c.split(' ')).map((f) => `${f[2]} ${f[4]}:${f[5]}`);
  check('A: browser offer has a loopback host candidate (--allow-loopback-in-peer-connection)', a.offer_candidates.some((c) => c.includes(' 127.0.0.1 ')), cands.join(', '));
  check('A: ICE + DTLS connected to rtpengine', a.answer_to_connected_ms >= 0,
    `gather ${a.gather_ms} ms, INVITE→200 ${a.invite_to_200_ms} ms, answer→connected ${a.answer_to_connected_ms} ms; answer ${a.answer_m}, ${a.answer_setup}`);
  await cust.waitEvent('CALL_ESTABLISHED', { timeout: 5000 });
  await sleep(1500);
  const heardA = await page.evaluate(() => window.rig.listen(1500));
  const statsA = await page.evaluate(() => window.rig.stats());
  figures.browser_calls.heard = heardA;
  figures.browser_calls.stats = statsA;
  check(`A: browser hears the customer's ${custHz} Hz`, Math.abs(heardA.peak_hz - custHz) <= 8, `peak ${heardA.peak_hz} Hz at ${heardA.peak_db} dB (AnalyserNode, ${heardA.sample_rate} Hz)`);
  check('A: RTP both ways, SRTP from DTLS', statsA.packets_received > 50 && statsA.packets_sent > 50 && statsA.dtls_state === 'connected',
    `in ${statsA.packets_received} (lost ${statsA.packets_lost}), out ${statsA.packets_sent}, ${statsA.srtp_cipher}, ${statsA.tls_version} ${statsA.dtls_cipher}, pair ${statsA.selected_pair}`);
  let m = cust.mark();
  const okRtp = await page.evaluate(() => window.rig.dtmfRtp('3'));
  try {
    const ev = await cust.waitEvent('CALL_DTMF_START', { timeout: 5000 });
    check('A: DTMF from the browser as RFC 4733 (RTCDTMFSender) reaches the customer', okRtp && ev.param === '3', `'${ev.param}' after ${Math.round(ev.t - m)} ms`);
  } catch (e) {
    check('A: DTMF from the browser as RFC 4733 (RTCDTMFSender) reaches the customer', false, e.message);
  }
  await sleep(700);
  m = cust.mark();
  const infoStatus = await page.evaluate(() => window.rig.dtmfInfo('4'));
  const ev4 = await cust.waitEvent('CALL_DTMF_START', { timeout: 5000 }).catch((e) => ({ param: e.message, t: m }));
  check('A: DTMF from the browser as SIP INFO reaches the customer', infoStatus === 200 && ev4.param === '4', `INFO ${infoStatus}, '${ev4.param}' after ${Math.round(ev4.t - m)} ms`);
  await sleep(1000);
  cust.mark();
  const bye = await page.evaluate(() => window.rig.hangup());
  await cust.waitEvent('CALL_CLOSED', { timeout: 5000 });
  check('A: BYE from the browser', bye === 200, String(bye));
  await sleep(300);
  let rec = newestRecording(recDir, before);
  let heard = rec ? analyse(rec, browserHz, custHz) : { error: 'no recording' };
  figures.browser_calls.customer_heard = heard;
  check(`A: customer hears the browser's ${browserHz} Hz`, heard.ok,
    `peak ${heard.peak_hz} Hz, ${Math.round(100 * (heard.power_at_expected ?? 0))} % of the energy there, ${heard.rms_dbfs} dBFS, ${heard.silent_frames}/${heard.frames} silent frames, ${heard.seconds} s`);

  // (B) the customer calls the browser.
  console.log('B. customer (1002, RTP) calls browser (1001, WebRTC)');
  await cust.command('answermode', 'manual');
  before = recordings(recDir);
  m = cust.mark();
  const answering = page.evaluate(() => window.rig.answerNext(10000));
  await cust.command('dial', `sip:1001@${info.domain}`);
  const b = await answering;
  figures.browser_called = b;
  await cust.waitEvent('CALL_ESTABLISHED', { timeout: 5000 });
  check('B: offer to the browser is WebRTC and Chromium accepts it', b.offer_m?.includes('UDP/TLS/RTP/SAVPF'),
    `${b.offer_m}, ${b.offer_setup} → browser ${b.answer_setup}; INVITE→ACK ${b.invite_to_ack_ms} ms, INVITE→connected ${b.invite_to_connected_ms} ms`);
  await sleep(1500);
  const heardB = await page.evaluate(() => window.rig.listen(1500));
  const statsB = await page.evaluate(() => window.rig.stats());
  figures.browser_called.heard = heardB;
  figures.browser_called.stats = statsB;
  check(`B: browser hears the customer's ${custHz} Hz`, Math.abs(heardB.peak_hz - custHz) <= 8, `peak ${heardB.peak_hz} Hz at ${heardB.peak_db} dB`);
  check('B: RTP both ways, SRTP from DTLS', statsB.packets_received > 50 && statsB.packets_sent > 50 && statsB.dtls_state === 'connected',
    `in ${statsB.packets_received} (lost ${statsB.packets_lost}), out ${statsB.packets_sent}, ${statsB.srtp_cipher}, pair ${statsB.selected_pair}`);
  const byeWait = page.evaluate(() => window.rig.waitBye(5000));
  await cust.command('hangup');
  check('B: BYE from the customer reaches the browser', await byeWait, '');
  await sleep(300);
  rec = newestRecording(recDir, before);
  heard = rec ? analyse(rec, browserHz, custHz) : { error: 'no recording' };
  figures.browser_called.customer_heard = heard;
  check(`B: customer hears the browser's ${browserHz} Hz`, heard.ok,
    `peak ${heard.peak_hz} Hz, ${Math.round(100 * (heard.power_at_expected ?? 0))} % of the energy there, ${heard.rms_dbfs} dBFS, ${heard.silent_frames}/${heard.frames} silent frames`);
  check('browser: unregister', (await page.evaluate(() => window.rig.unregister())) === 200);
  if (checks.some((c) => !c.ok) && consoleLines.length) console.log('page console:\n' + consoleLines.join('\n'));
} catch (e) {
  check('browser check ran to the end', false, e.stack || String(e));
  if (process.env.RIG_DEBUG && browser) {
    const pg = browser.contexts()[0]?.pages()[0];
    if (pg) {
      console.log(await pg.evaluate(() => window.rig.sipLog()).catch(() => ''));
      console.log(JSON.stringify(await pg.evaluate(() => window.rig.pcState()).catch(() => null), null, 1));
    }
  }
} finally {
  cust.close();
  if (browser) await browser.close();
  server.close();
  await stop();
}
const failed = checks.filter((c) => !c.ok).length;
figures.checks = { passed: checks.length - failed, failed };
figures.seconds = Math.round((performance.now() - t0) / 100) / 10;
for (const k of ['browser_calls', 'browser_called']) if (figures[k]?.customer_heard) delete figures[k].customer_heard.file;
console.log(`\n${checks.length - failed}/${checks.length} browser checks passed in ${figures.seconds} s`);
console.log(JSON.stringify(figures));
process.exit(failed ? 1 : 0);
