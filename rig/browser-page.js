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
  async waitInvite(timeout) { return this.expect((m) => !m.isResponse && m.method === 'INVITE', timeout, 'INVITE'); }
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
  return { pc, mic, remote, t };
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
  const el = new Audio();
  el.srcObject = remote; // Chrome only feeds remote WebRTC audio to WebAudio when an element plays it too
  el.muted = true;
  el.play().catch(() => {});
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
  el.srcObject = null;
  return r;
}

async function stats(pc) {
  const out = {};
  (await pc.getStats()).forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') Object.assign(out, { packets_received: s.packetsReceived, packets_lost: s.packetsLost, jitter_s: s.jitter });
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
    await m.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    await connected(m.pc);
    const tConn = performance.now();
    this.cur = { ...m, d };
    return { gather_ms: Math.round(tGathered - t0), invite_to_200_ms: Math.round(t200 - tGathered), answer_to_connected_ms: Math.round(tConn - t200),
      offer_candidates: offer.split('\n').filter((l) => l.startsWith('a=candidate')).map((l) => l.trim()), answer_m: answer.match(/^m=.*$/m)?.[0], answer_setup: answer.match(/^a=setup:.*$/m)?.[0] };
  },
  async answerNext(timeout = 10000) {
    const inv = await this.ua.waitInvite(timeout);
    const t0 = performance.now();
    const m = await newPc();
    await m.pc.setRemoteDescription({ type: 'offer', sdp: inv.body });
    await m.pc.setLocalDescription(await m.pc.createAnswer());
    await gathered(m.pc);
    const d = await this.ua.answer(inv, m.pc.localDescription.sdp);
    const tAck = performance.now();
    await connected(m.pc);
    const tConn = performance.now();
    this.cur = { ...m, d };
    return { invite_to_ack_ms: Math.round(tAck - t0), invite_to_connected_ms: Math.round(tConn - t0), offer_m: inv.body.match(/^m=.*$/m)?.[0],
      offer_setup: inv.body.match(/^a=setup:.*$/m)?.[0], offer_candidates: inv.body.split('\n').filter((l) => l.startsWith('a=candidate')).map((l) => l.trim()),
      answer_setup: m.pc.localDescription.sdp.match(/^a=setup:.*$/m)?.[0] };
  },
  async listen(ms) { return listen(this.cur.remote, ms); },
  async stats() { return stats(this.cur.pc); },
  dtmfRtp(digits) {
    const s = this.cur.pc.getSenders().find((x) => x.dtmf);
    if (!s || !s.dtmf.canInsertDTMF) return false;
    s.dtmf.insertDTMF(digits, 200, 100);
    return true;
  },
  async dtmfInfo(digit) { return this.ua.reqInDialog(this.cur.d, 'INFO', `Signal=${digit}\r\nDuration=160\r\n`, 'application/dtmf-relay'); },
  async hangup() { const s = await this.ua.reqInDialog(this.cur.d, 'BYE'); this.cur.pc.close(); return s; },
  async waitBye(timeout = 10000) {
    const m = await this.ua.expect((x) => !x.isResponse && x.method === 'BYE' && x.get('call-id') === this.cur.d.callId, timeout, 'BYE');
    this.ua.respond(m, 200, 'OK');
    this.cur.pc.close();
    return m.first;
  },
  async unregister() { return this.ua.register(0); },
  sipLog() { return this.ua.log.map(([dir, t, text]) => `${dir} ${Math.round(t)}\n${text}`).join('\n'); },
  async pcState() { const pc = this.cur?.pc ?? this.lastPc; return pc ? { ice: pc.iceConnectionState, pc: pc.connectionState, local: pc.localDescription?.sdp, remote: pc.remoteDescription?.sdp, stats: await stats(pc) } : null; },
};
