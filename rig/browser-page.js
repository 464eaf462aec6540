// The page side of rig/browsercheck.mjs: a bare SIP-over-WebSocket UA (RFC 7118) with the
// browser's own RTCPeerConnection, written only to prove the rig works with real WebRTC
// (ICE + DTLS-SRTP through rtpengine to baresip). The toolbar has its own UA (agentbar-sip).
'use strict';

// ---- MD5 (RFC 1321), for digest authentication
function md5(str) {
  const bytes = new TextEncoder().encode(str);
  const n = ((bytes.length + 8) >> 6) + 1;
  const w = new Uint32Array(n * 16);
  for (let i = 0; i < bytes.length; i++) w[i >> 2] |= bytes[i] << ((i % 4) * 8);
  w[bytes.length >> 2] |= 0x80 << ((bytes.length % 4) * 8);
  w[n * 16 - 2] = bytes.length * 8;
  const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
  const K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);
  let a0 = 0x67452301, b0 = 0xefcdab89, c0 = 0x98badcfe, d0 = 0x10325476;
  for (let blk = 0; blk < n * 16; blk += 16) {
    let A = a0, B = b0, C = c0, D = d0;
    for (let i = 0; i < 64; i++) {
      let F, g;
      if (i < 16) { F = (B & C) | (~B & D); g = i; }
      else if (i < 32) { F = (D & B) | (~D & C); g = (5 * i + 1) % 16; }
      else if (i < 48) { F = B ^ C ^ D; g = (3 * i + 5) % 16; }
      else { F = C ^ (B | ~D); g = (7 * i) % 16; }
      const s = S[(i >> 4) * 4 + (i % 4)];
      const x = (A + F + K[i] + w[blk + g]) >>> 0;
      A = D; D = C; C = B;
      B = (B + ((x << s) | (x >>> (32 - s)))) >>> 0;
    }
    a0 = (a0 + A) >>> 0; b0 = (b0 + B) >>> 0; c0 = (c0 + C) >>> 0; d0 = (d0 + D) >>> 0;
  }
  return [a0, b0, c0, d0].map((v) => Array.from({ length: 4 }, (_, i) => ((v >>> (i * 8)) & 255).toString(16).padStart(2, '0')).join('')).join('');
}

const rnd = (n) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, '0')).join('');

function parse(text) {
  const [head, ...rest] = text.split('\r\n\r\n');
  const lines = head.split('\r\n');
  const m = { first: lines[0], headers: [], body: rest.join('\r\n\r\n') };
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    m.headers.push([l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()]);
  }
  m.all = (n) => m.headers.filter(([k]) => k === n).map(([, v]) => v);
  m.get = (n) => m.all(n)[0] || '';
  m.isResponse = m.first.startsWith('SIP/2.0 ');
  if (m.isResponse) { m.status = Number(m.first.split(' ')[1]); m.method = m.get('cseq').split(' ')[1]; }
  else [m.method, m.uri] = m.first.split(' ');
  return m;
}
const tagOf = (v) => (v.match(/;\s*tag=([^;>\s]+)/) || [])[1] || '';
const uriOf = (v) => (v.match(/<([^>]+)>/) || [, v.split(';')[0]])[1];
const listOf = (vals) => vals.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);

class UA {
  constructor(url, user, password, domain) {
    Object.assign(this, { url, user, password, domain });
    this.aor = `sip:${user}@${domain}`;
    this.host = rnd(6) + '.invalid';
    this.contact = `sip:${rnd(4)}@${this.host};transport=ws`;
    this.instance = `urn:uuid:${crypto.randomUUID()}`;
    this.waiters = [];
    this.inbox = [];
    this.log = [];
    this.nc = 0;
  }
  open() {
    return new Promise((resolve, reject) => {
      this.ws = new WebSocket(this.url, 'sip');
      this.ws.onopen = resolve;
      this.ws.onerror = reject;
      this.ws.onmessage = (e) => {
        this.log.push(['in', performance.now(), e.data]);
        const m = parse(e.data);
        if (!m.isResponse && m.method === 'OPTIONS') return this.respond(m, 200, 'OK');
        this.inbox.push(m);
        for (const w of [...this.waiters]) w();
      };
    });
  }
  send(t) { this.log.push(['out', performance.now(), t]); this.ws.send(t); }
  expect(pred, timeout = 10000, what = 'message') {
    return new Promise((resolve, reject) => {
      const check = () => {
        const i = this.inbox.findIndex(pred);
        if (i >= 0) {
          const [m] = this.inbox.splice(i, 1);
          clearTimeout(timer);
          this.waiters = this.waiters.filter((w) => w !== check);
          resolve(m);
        }
      };
      const timer = setTimeout(() => { this.waiters = this.waiters.filter((w) => w !== check); reject(new Error(`no ${what} in ${timeout} ms`)); }, timeout);
      this.waiters.push(check);
      check();
    });
  }
  via(branch = 'z9hG4bK' + rnd(8)) { return `SIP/2.0/WS ${this.host};branch=${branch}`; }
  request(method, uri, headers, body = '', ctype = 'application/sdp') {
    const h = [`${method} ${uri} SIP/2.0`, ...headers, 'Max-Forwards: 70', 'User-Agent: agentbar-rig browser page'];
    if (body) h.push(`Content-Type: ${ctype}`);
    h.push(`Content-Length: ${new TextEncoder().encode(body).length}`);
    return h.join('\r\n') + '\r\n\r\n' + body;
  }
  respond(req, code, reason, extra = [], body = '', toTag = '') {
    const h = [`SIP/2.0 ${code} ${reason}`, ...req.all('via').map((v) => `Via: ${v}`),
      ...req.all('record-route').map((v) => `Record-Route: ${v}`), `From: ${req.get('from')}`,
      `To: ${req.get('to')}${toTag && !tagOf(req.get('to')) ? ';tag=' + toTag : ''}`,
      `Call-ID: ${req.get('call-id')}`, `CSeq: ${req.get('cseq')}`, ...extra];
    if (body) h.push('Content-Type: application/sdp');
    h.push(`Content-Length: ${new TextEncoder().encode(body).length}`);
    this.send(h.join('\r\n') + '\r\n\r\n' + body);
  }
  auth(ch, method, uri) {
    const proxy = ch.status === 407;
    const c = {};
    for (const [, k, q, t] of ch.get(proxy ? 'proxy-authenticate' : 'www-authenticate').matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)) c[k.toLowerCase()] = q ?? t;
    const nc = (++this.nc).toString(16).padStart(8, '0');
    const cnonce = rnd(8);
    const ha1 = md5(`${this.user}:${c.realm}:${this.password}`);
    const ha2 = md5(`${method}:${uri}`);
    const resp = md5(`${ha1}:${c.nonce}:${nc}:${cnonce}:auth:${ha2}`);
    return `${proxy ? 'Proxy-Authorization' : 'Authorization'}: Digest username="${this.user}", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", response="${resp}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}"`;
  }
  async register(expires = 600) {
    this.regCallId ??= rnd(10);
    this.regTag ??= rnd(5);
    this.regCseq ??= 0;
    let auth = null, r;
    for (let i = 0; i < 3; i++) {
      const cseq = ++this.regCseq;
      const h = [`Via: ${this.via()}`, `To: <${this.aor}>`, `From: <${this.aor}>;tag=${this.regTag}`,
        `Call-ID: ${this.regCallId}`, `CSeq: ${cseq} REGISTER`,
        `Contact: <${this.contact}>;+sip.ice;reg-id=1;+sip.instance="<${this.instance}>";expires=${expires}`,
        `Expires: ${expires}`, 'Supported: path, outbound'];
      if (auth) h.push(auth);
      this.send(this.request('REGISTER', `sip:${this.domain}`, h));
      r = await this.expect((m) => m.isResponse && m.get('cseq') === `${cseq} REGISTER` && m.status >= 200, 5000, 'REGISTER response');
      if (r.status === 401 || r.status === 407) { auth = this.auth(r, 'REGISTER', `sip:${this.domain}`); continue; }
      break;
    }
    return r.status;
  }
  inDialog(d, method, body = '', ctype = 'application/sdp', cseq = ++d.cseq) {
    const h = [`Via: ${this.via()}`];
    if (d.route.length) h.push('Route: ' + d.route.join(', '));
    h.push(`To: <${d.remoteUri}>;tag=${d.remoteTag}`, `From: <${d.localUri}>;tag=${d.localTag}`, `Call-ID: ${d.callId}`, `CSeq: ${cseq} ${method}`);
    return this.request(method, d.target, h, body, ctype);
  }
  async invite(target, sdp) {
    const d = { callId: rnd(10), localTag: rnd(5), localUri: this.aor, remoteUri: target, cseq: 0, route: [] };
    let auth = null, r;
    for (let i = 0; i < 3; i++) {
      const cseq = ++d.cseq, branch = 'z9hG4bK' + rnd(8);
      const h = [`Via: ${this.via(branch)}`, `To: <${target}>`, `From: <${this.aor}>;tag=${d.localTag}`, `Call-ID: ${d.callId}`,
        `CSeq: ${cseq} INVITE`, `Contact: <${this.contact};ob>`, 'Allow: INVITE,ACK,CANCEL,BYE,OPTIONS,INFO', 'Supported: outbound'];
      if (auth) h.push(auth);
      this.send(this.request('INVITE', target, h, sdp));
      r = await this.expect((m) => m.isResponse && m.get('call-id') === d.callId && m.get('cseq') === `${cseq} INVITE` && m.status >= 200, 15000, 'INVITE final response');
      if (r.status === 401 || r.status === 407) {
        this.send(this.request('ACK', target, [`Via: ${this.via(branch)}`, `To: ${r.get('to')}`, `From: <${this.aor}>;tag=${d.localTag}`, `Call-ID: ${d.callId}`, `CSeq: ${cseq} ACK`]));
        auth = this.auth(r, 'INVITE', target);
        continue;
      }
      break;
    }
    if (r.status !== 200) throw new Error(`INVITE: ${r.first}`);
    d.remoteTag = tagOf(r.get('to'));
    d.target = uriOf(r.get('contact'));
    d.route = listOf(r.all('record-route')).reverse();
    this.send(this.inDialog(d, 'ACK', '', '', d.cseq));
    return { d, answer: r.body };
  }
  async waitInvite(timeout) { return this.expect((m) => !m.isResponse && m.method === 'INVITE' && !tagOf(m.get('to')), timeout, 'INVITE'); }
  // A re-INVITE of ours in dialog d (hold, resume); ACKs a 2xx; returns the final response.
  async reinvite(d, sdp) {
    this.send(this.inDialog(d, 'INVITE', sdp));
    const cseq = `${d.cseq} INVITE`;
    const r = await this.expect((m) => m.isResponse && m.get('call-id') === d.callId && m.get('cseq') === cseq && m.status >= 200, 5000, 're-INVITE response');
    if (r.status >= 200 && r.status < 300) this.send(this.inDialog(d, 'ACK', '', '', d.cseq));
    return r;
  }
  // The peer's re-INVITE in dialog d: answer(offerSdp) gives our SDP; 200 OK, then wait for the ACK.
  async answerReinvite(d, answer, timeout = 10000) {
    const m = await this.expect((x) => !x.isResponse && x.method === 'INVITE' && x.get('call-id') === d.callId, timeout, 're-INVITE');
    const sdp = await answer(m.body);
    this.respond(m, 200, 'OK', [`Contact: <${this.contact};ob>`], sdp);
    await this.expect((x) => !x.isResponse && x.method === 'ACK' && x.get('call-id') === d.callId && x.get('cseq') === m.get('cseq').replace('INVITE', 'ACK'), 5000, 'ACK');
    return m;
  }
  async answer(inv, sdp) {
    const d = { callId: inv.get('call-id'), localTag: rnd(5), remoteTag: tagOf(inv.get('from')), localUri: uriOf(inv.get('to')),
      remoteUri: uriOf(inv.get('from')), target: uriOf(inv.get('contact')), route: listOf(inv.all('record-route')), cseq: 0 };
    this.respond(inv, 200, 'OK', [`Contact: <${this.contact};ob>`, 'Allow: INVITE,ACK,CANCEL,BYE,OPTIONS,INFO', 'Supported: outbound'], sdp, d.localTag);
    await this.expect((m) => !m.isResponse && m.method === 'ACK' && m.get('call-id') === d.callId, 5000, 'ACK');
    return d;
  }
  async reqInDialog(d, method, body = '', ctype = 'application/sdp') {
    this.send(this.inDialog(d, method, body, ctype));
    const cseq = `${d.cseq} ${method}`;
    let r = await this.expect((m) => m.isResponse && m.get('call-id') === d.callId && m.get('cseq') === cseq && m.status >= 200, 5000, `${method} response`);
    if (r.status === 407 || r.status === 401) {
      const a = this.auth(r, method, d.target);
      this.send(this.inDialog(d, method, body, ctype).replace('\r\nMax-Forwards:', `\r\n${a}\r\nMax-Forwards:`));
      const cseq2 = `${d.cseq} ${method}`;
      r = await this.expect((m) => m.isResponse && m.get('call-id') === d.callId && m.get('cseq') === cseq2 && m.status >= 200, 5000, `${method} response`);
    }
    return r.status;
  }
}

// ---- media
async function newPc() {
  const mic = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
  const pc = new RTCPeerConnection({ iceServers: [] });
  const t = { created: performance.now() };
  pc.addEventListener('iceconnectionstatechange', () => { t['ice_' + pc.iceConnectionState] ??= performance.now(); });
  pc.addEventListener('connectionstatechange', () => { t['pc_' + pc.connectionState] ??= performance.now(); });
  const remote = new MediaStream();
  pc.ontrack = (e) => { remote.addTrack(e.track); t.track ??= performance.now(); };
  for (const tr of mic.getAudioTracks()) pc.addTrack(tr, mic);
  // Play what we receive, as a softphone does: Chromium decodes remote audio only while a sink
  // pulls it (no element, no playout: totalSamplesReceived stands still, WebAudio hears nothing).
  const speaker = new Audio();
  speaker.autoplay = true;
  speaker.srcObject = remote;
  speaker.play().catch(() => {});
  return { pc, mic, remote, t, speaker };
}
function gathered(pc, timeout = 5000) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === 'complete') resolve(); };
    pc.addEventListener('icegatheringstatechange', done);
    setTimeout(resolve, timeout);
  });
}
function connected(pc, timeout = 10000) {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (pc.connectionState === 'connected') resolve();
      if (pc.connectionState === 'failed') reject(new Error('RTCPeerConnection failed'));
    };
    pc.addEventListener('connectionstatechange', check);
    check();
    setTimeout(() => reject(new Error(`not connected in ${timeout} ms (ice ${pc.iceConnectionState}, pc ${pc.connectionState})`)), timeout);
  });
}

// Peak frequency of what we hear, from an AnalyserNode on the remote stream.
async function listen(remote, ms = 1500) {
  // (newPc's speaker element plays `remote`; Chromium feeds WebAudio only while one does.)
  const ctx = new AudioContext();
  await ctx.resume();
  const src = ctx.createMediaStreamSource(remote);
  const an = ctx.createAnalyser();
  an.fftSize = 16384;
  an.smoothingTimeConstant = 0;
  src.connect(an);
  await new Promise((r) => setTimeout(r, ms));
  const bins = new Float32Array(an.frequencyBinCount);
  an.getFloatFrequencyData(bins);
  const hzPerBin = ctx.sampleRate / an.fftSize;
  let best = 0;
  for (let i = Math.ceil(100 / hzPerBin); i < 3500 / hzPerBin; i++) if (bins[i] > bins[best] || best === 0) best = i;
  // parabolic interpolation around the peak
  const [y0, y1, y2] = [bins[best - 1], bins[best], bins[best + 1]];
  const p = (y0 - y2) / (2 * (y0 - 2 * y1 + y2)) || 0;
  const r = { peak_hz: Math.round((best + p) * hzPerBin * 10) / 10, peak_db: Math.round(y1), sample_rate: ctx.sampleRate };
  await ctx.close();
  return r;
}

// Time from t0 until getStats() reports the first received RTP packet (inbound-rtp
// packetsReceived > 0), polled every 5 ms. Chromium caches a stats report for up to 50 ms, so
// this is an upper bound; the remote track's unmute (fired on the first packet) is the finer one.
async function firstPacket(pc, t0, timeout = 5000) {
  while (performance.now() - t0 < timeout) {
    const rep = await pc.getStats();
    let n = 0;
    rep.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'audio') n = s.packetsReceived; });
    if (n > 0) return Math.round(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 5));
  }
  return -1;
}
function unmuted(remote, t0, timeout = 5000) {
  return new Promise((resolve) => {
    const tr = () => remote.getAudioTracks()[0];
    const done = () => resolve(Math.round(performance.now() - t0));
    const wait = () => {
      const t = tr();
      if (!t) return setTimeout(wait, 2);
      if (!t.muted) return done();
      t.addEventListener('unmute', done, { once: true });
    };
    wait();
    setTimeout(() => resolve(-1), timeout);
  });
}
const dirOf = (sdp) => (sdp.match(/^a=(sendrecv|sendonly|recvonly|inactive)/m) || [, 'sendrecv'])[1];

async function stats(pc) {
  const out = {};
  (await pc.getStats()).forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') Object.assign(out, { packets_received: s.packetsReceived, packets_lost: s.packetsLost, jitter_s: s.jitter,
      samples_received: s.totalSamplesReceived, samples_concealed: s.concealedSamples, jitter_buffer_ms: s.jitterBufferEmittedCount ? Math.round(1000 * s.jitterBufferDelay / s.jitterBufferEmittedCount) : undefined });
    if (s.type === 'outbound-rtp' && s.kind === 'audio') Object.assign(out, { packets_sent: s.packetsSent });
    if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') out.pair = s.id;
    if (s.type === 'transport') Object.assign(out, { dtls_state: s.dtlsState, srtp_cipher: s.srtpCipher, dtls_cipher: s.dtlsCipher, tls_version: s.tlsVersion });
  });
  const rep = await pc.getStats();
  rep.forEach((s) => {
    if (s.type === 'candidate-pair' && s.id === out.pair) {
      const l = rep.get(s.localCandidateId), r = rep.get(s.remoteCandidateId);
      out.selected_pair = `${l?.address}:${l?.port} (${l?.candidateType}) -> ${r?.address}:${r?.port} (${r?.candidateType})`;
      out.rtt_s = s.currentRoundTripTime;
    }
  });
  delete out.pair;
  return out;
}

// ---- what browsercheck.mjs calls
window.rig = {
  async start(url, user, password, domain) {
    this.ua = new UA(url, user, password, domain);
    await this.ua.open();
    const t = performance.now();
    const status = await this.ua.register();
    return { status, ms: Math.round(performance.now() - t) };
  },
  async call(target) {
    const m = await newPc();
    const t0 = performance.now();
    await m.pc.setLocalDescription(await m.pc.createOffer());
    await gathered(m.pc);
    const tGathered = performance.now();
    const offer = m.pc.localDescription.sdp;
    this.lastPc = m.pc;
    const { d, answer } = await this.ua.invite(target, offer);
    const t200 = performance.now();
    const unmute = unmuted(m.remote, t200);
    await m.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    const first = firstPacket(m.pc, t200);
    await connected(m.pc);
    const tConn = performance.now();
    this.cur = { ...m, d };
    return { call_id: d.callId, gather_ms: Math.round(tGathered - t0), invite_to_200_ms: Math.round(t200 - tGathered), answer_to_connected_ms: Math.round(tConn - t200),
      answer_to_first_packet_ms: await first, answer_to_track_unmute_ms: await unmute,
      offer_candidates: offer.split('\n').filter((l) => l.startsWith('a=candidate')).map((l) => l.trim()), answer_m: answer.match(/^m=.*$/m)?.[0], answer_setup: answer.match(/^a=setup:.*$/m)?.[0] };
  },
  async answerNext(timeout = 10000) {
    const inv = await this.ua.waitInvite(timeout);
    const t0 = performance.now();
    const m = await newPc();
    await m.pc.setRemoteDescription({ type: 'offer', sdp: inv.body });
    await m.pc.setLocalDescription(await m.pc.createAnswer());
    await gathered(m.pc);
    const t200 = performance.now();
    const unmute = unmuted(m.remote, t200);
    const first = firstPacket(m.pc, t200);
    const d = await this.ua.answer(inv, m.pc.localDescription.sdp);
    const tAck = performance.now();
    await connected(m.pc);
    const tConn = performance.now();
    this.cur = { ...m, d };
    return { call_id: d.callId, invite_to_ack_ms: Math.round(tAck - t0), invite_to_connected_ms: Math.round(tConn - t0),
      answer_to_connected_ms: Math.round(tConn - t200), answer_to_first_packet_ms: await first, answer_to_track_unmute_ms: await unmute, offer_m: inv.body.match(/^m=.*$/m)?.[0],
      offer_setup: inv.body.match(/^a=setup:.*$/m)?.[0], offer_candidates: inv.body.split('\n').filter((l) => l.startsWith('a=candidate')).map((l) => l.trim()),
      answer_setup: m.pc.localDescription.sdp.match(/^a=setup:.*$/m)?.[0] };
  },
  async listen(ms) { return listen(this.cur.remote, ms); },
  // Packets received and sent so far in the current call (getStats).
  async counters() {
    const s = await stats(this.cur.pc);
    return { in: s.packets_received ?? 0, out: s.packets_sent ?? 0, samples: s.samples_received ?? 0, concealed: s.samples_concealed ?? 0 };
  },
  // Hold (a=inactive or sendonly) or resume (sendrecv) by a re-INVITE from the browser.
  async direction(dir) {
    const c = this.cur;
    const t0 = performance.now();
    c.pc.getTransceivers()[0].direction = dir;
    const offer = await c.pc.createOffer();
    await c.pc.setLocalDescription(offer);
    const r = await this.ua.reinvite(c.d, c.pc.localDescription.sdp);
    if (r.status !== 200) {
      await c.pc.setLocalDescription({ type: 'rollback' });
      return { status: r.status, offer_dir: dirOf(offer.sdp) };
    }
    await c.pc.setRemoteDescription({ type: 'answer', sdp: r.body });
    return { status: r.status, ms: Math.round(performance.now() - t0), offer_dir: dirOf(offer.sdp), answer_dir: dirOf(r.body),
      answer_m: r.body.match(/^m=.*$/m)?.[0], current_direction: c.pc.getTransceivers()[0].currentDirection };
  },
  // Answer the peer's next re-INVITE (its hold or resume) as the browser's RTCPeerConnection says.
  async answerReinvite(timeout = 10000) {
    const c = this.cur;
    let answerSdp = '';
    const m = await this.ua.answerReinvite(c.d, async (offer) => {
      await c.pc.setRemoteDescription({ type: 'offer', sdp: offer });
      await c.pc.setLocalDescription(await c.pc.createAnswer());
      answerSdp = c.pc.localDescription.sdp;
      return answerSdp;
    }, timeout);
    return { offer_dir: dirOf(m.body), answer_dir: dirOf(answerSdp), offer_m: m.body.match(/^m=.*$/m)?.[0],
      current_direction: c.pc.getTransceivers()[0].currentDirection };
  },
  // Audio round trip through an echo: the browser's outgoing track becomes a WebAudio
  // oscillator gated off; each burst is switched on at t0 and t1 is when the same frequency
  // comes back in the remote audio (Goertzel on an AnalyserNode's 256-sample window, polled
  // every 2 ms). Resolution about ±10 ms (audio render quantum, window, timers).
  async roundTrip(n = 3, hz = 1000) {
    const c = this.cur;
    const ctx = new AudioContext();
    await ctx.resume();
    const osc = ctx.createOscillator();
    osc.frequency.value = hz;
    const gain = ctx.createGain();
    gain.gain.value = 0;
    const dest = ctx.createMediaStreamDestination();
    osc.connect(gain).connect(dest);
    osc.start();
    const sender = c.pc.getSenders().find((x) => x.track && x.track.kind === 'audio');
    const orig = sender.track;
    await sender.replaceTrack(dest.stream.getAudioTracks()[0]);
    const an = ctx.createAnalyser();
    an.fftSize = 256;
    ctx.createMediaStreamSource(c.remote).connect(an);
    const buf = new Float32Array(an.fftSize);
    const w = 2 * Math.PI * hz / ctx.sampleRate, k = 2 * Math.cos(w);
    const amp = () => {
      an.getFloatTimeDomainData(buf);
      let s1 = 0, s2 = 0;
      for (const v of buf) { const s0 = v + k * s1 - s2; s2 = s1; s1 = s0; }
      return 2 * Math.sqrt(Math.max(0, s1 * s1 + s2 * s2 - k * s1 * s2)) / buf.length;
    };
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    await sleep(600);
    const quiet = amp();
    const rtts = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      gain.gain.setValueAtTime(0.5, ctx.currentTime);
      let t1 = -1;
      while (performance.now() - t0 < 2000) {
        if (amp() > 0.05) { t1 = performance.now(); break; }
        await sleep(2);
      }
      const peak = amp();
      gain.gain.setValueAtTime(0, ctx.currentTime);
      rtts.push({ ms: t1 < 0 ? -1 : Math.round(t1 - t0), amp: Math.round(peak * 1000) / 1000 });
      await sleep(600);
    }
    await sender.replaceTrack(orig);
    osc.stop();
    await ctx.close();
    return { hz, quiet_amp: Math.round(quiet * 1000) / 1000, bursts: rtts, sample_rate: ctx.sampleRate };
  },
  async stats() { return stats(this.cur.pc); },
  dtmfRtp(digits) {
    const s = this.cur.pc.getSenders().find((x) => x.dtmf);
    if (!s || !s.dtmf.canInsertDTMF) return false;
    s.dtmf.insertDTMF(digits, 200, 100);
    return true;
  },
  async dtmfInfo(digit) { return this.ua.reqInDialog(this.cur.d, 'INFO', `Signal=${digit}\r\nDuration=160\r\n`, 'application/dtmf-relay'); },
  async hangup() { const s = await this.ua.reqInDialog(this.cur.d, 'BYE'); this.cur.pc.close(); this.cur.speaker.srcObject = null; return s; },
  async waitBye(timeout = 10000) {
    const m = await this.ua.expect((x) => !x.isResponse && x.method === 'BYE' && x.get('call-id') === this.cur.d.callId, timeout, 'BYE');
    this.ua.respond(m, 200, 'OK');
    this.cur.pc.close();
    this.cur.speaker.srcObject = null;
    return m.first;
  },
  async unregister() { return this.ua.register(0); },
  sipLog() { return this.ua.log.map(([dir, t, text]) => `${dir} ${Math.round(t)}\n${text}`).join('\n'); },
  async pcState() { const pc = this.cur?.pc ?? this.lastPc; return pc ? { ice: pc.iceConnectionState, pc: pc.connectionState, local: pc.localDescription?.sdp, remote: pc.remoteDescription?.sdp, stats: await stats(pc) } : null; },
};
