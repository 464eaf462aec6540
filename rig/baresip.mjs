// Drive a rig baresip from Node 20 (no dependencies) through its ctrl_tcp module:
// netstring-framed JSON, commands {"command","params","token"}, responses {"response":true,
// "ok","data","token"}, events {"event":true,"type","class","param","id","peeruri",...}.
//
//   import { Baresip } from './rig/baresip.mjs';
//   const customer = await Baresip.connect(info.baresip.customer.ctrl_port);
//   customer.mark();
//   await customer.command('dial', 'sip:1001@agentbar.test');
//   await customer.waitEvent('CALL_ESTABLISHED', { timeout: 10000 });
//   await customer.command('sndcode', '5');       // RFC 4733 DTMF
//   await customer.waitEvent('CALL_DTMF_START');  // a digit the agent sent (param: '7')
//   await customer.command('hangup');
//   customer.close();
import net from 'node:net';

export class Baresip {
  static connect(port, host = '127.0.0.1') {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection({ port, host }, () => resolve(new Baresip(sock)));
      sock.once('error', reject);
    });
  }

  constructor(sock) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.history = []; // every event, with t = performance.now()
    this.since = 0;
    this.token = 0;
    this.pending = new Map();
    this.waiters = new Set();
    sock.on('data', (d) => this.#onData(d));
    sock.on('error', () => {});
  }

  #onData(d) {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const colon = this.buf.indexOf(':');
      if (colon < 0) return;
      const n = Number(this.buf.subarray(0, colon).toString());
      if (this.buf.length < colon + 1 + n + 1) return;
      const msg = JSON.parse(this.buf.subarray(colon + 1, colon + 1 + n).toString());
      this.buf = this.buf.subarray(colon + 1 + n + 1);
      msg.t = performance.now();
      if (msg.response) {
        const p = this.pending.get(msg.token);
        if (p) {
          this.pending.delete(msg.token);
          p(msg);
        }
      } else {
        this.history.push(msg);
        for (const w of this.waiters) w();
      }
    }
  }

  /** Send a long command (dial, accept, hangup, sndcode, answermode, hold, resume, ...). */
  command(command, params) {
    const token = String(++this.token);
    const body = JSON.stringify(params === undefined ? { command, token } : { command, params, token });
    return new Promise((resolve) => {
      this.pending.set(token, resolve);
      this.sock.write(`${Buffer.byteLength(body)}:${body},`);
    });
  }

  /** From now on waitEvent() only looks at later events. */
  mark() {
    this.since = performance.now();
    return this.since;
  }

  /** The first event of these types after `since` (default: the last mark()). */
  waitEvent(types, { timeout = 10000, since = this.since, pred = () => true } = {}) {
    const want = Array.isArray(types) ? types : [types];
    return new Promise((resolve, reject) => {
      const check = () => {
        const ev = this.history.find((e) => e.t >= since && want.includes(e.type) && pred(e));
        if (ev) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve(ev);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no ${want.join('/')} event within ${timeout} ms`));
      }, timeout);
      this.waiters.add(check);
      check();
    });
  }

  close() {
    this.sock.end();
  }
}
