// agentbar embedding loader (docs/EMBEDDING.md). Plain script, no build step to use it.
//
//   <script src="https://toolbar.example.com/agentbar-embed.js"></script>
//   <agent-bar src="https://toolbar.example.com/" height="360"></agent-bar>
//   document.querySelector('agent-bar').client.on('call.ringing', (call) => popRecord(call.caller));
//
// or, for an iframe you created yourself:  const bar = await AgentBar.connect(iframe);
//
// This file is the one source of the loader. `node loader/build.mjs` makes the ES module
// (agentbar-embed.mjs) from the part between `#region core` and `#endregion core`, and
// `node loader/build.mjs --check` fails when that file is out of date. Types:
// agentbar-embed.d.ts.
(function () {
  'use strict';
  // #region core
  const PROTOCOL = 1;
  const HELLO_EVERY_MS = 250;
  const HELLO_FOR_MS = 30000;
  const REQUEST_TIMEOUT_MS = 15000;

  function newId() {
    return (crypto.randomUUID && crypto.randomUUID()) || String(Date.now()) + Math.random().toString(16).slice(2);
  }

  // sessionStorage can be blocked (privacy settings, sandboxed frames): then seqs live in memory.
  function readStored(key) {
    try { return sessionStorage.getItem(key); } catch (_) { return null; }
  }

  function stillBlank(win) {
    try { return win.location.href === 'about:blank'; } catch (_) { return false; /* another origin: loaded */ }
  }

  /** A refused command: a stable `code`, the text in both languages, the vendor's code. */
  class AgentBarError extends Error {
    constructor(payload) {
      super((payload && payload.message && payload.message.en) || 'agentbar error');
      this.name = 'AgentBarError';
      this.code = payload && payload.code;
      this.messages = payload && payload.message;
      this.vendorCode = payload && payload.vendorCode;
      this.vendorMessage = payload && payload.vendorMessage;
    }
  }

  // Errors raised by the loader itself (no answer, wrong nonce), in both languages as well.
  function loaderError(code, en, zh) {
    return new AgentBarError({ code, message: { 'zh-CN': zh, en } });
  }

  // What hello asks for (`lang`, `theme`): only the settings given, without empty ones.
  function helloSettings(lang, theme) {
    const out = {};
    if (lang) out.lang = lang;
    const t = {};
    for (const key of ['accent', 'density', 'mode']) {
      if (theme && theme[key]) t[key] = theme[key];
    }
    if (Object.keys(t).length) out.theme = t;
    return out;
  }

  class AgentBarClient {
    constructor(iframe, options) {
      options = options || {};
      this.iframe = iframe;
      this.origin = new URL(iframe.src, location.href).origin;
      // The last event seq is kept per tab so that a reloaded page gets what it missed.
      this.seqKey = options.seqKey || 'agentbar.lastSeq:' + this.origin;
      this.lastSeq = Number(readStored(this.seqKey) || 0);
      this.pending = new Map();
      this.listeners = new Map();
      this.info = null;
      this.lang = options.lang;
      this.theme = options.theme;
      this.helloForMs = options.helloTimeoutMs || HELLO_FOR_MS;
      this.requestTimeoutMs = options.requestTimeoutMs || REQUEST_TIMEOUT_MS;
      this._onMessage = this._onMessage.bind(this);
      window.addEventListener('message', this._onMessage);
    }

    /**
     * Handshake (hello → ready, nonce checked), then subscribe with replay since the last seq.
     * `settings` ({lang, theme}) override the constructor's options; the toolbar applies what
     * its deployment allows and says what it applied in `info.settings`.
     */
    async connect(settings) {
      const s = settings || {};
      const theme = Object.assign({}, this.theme, s.theme);
      const nonce = newId();
      const ready = await this._hello(Object.assign({ nonce }, helloSettings(s.lang || this.lang, theme)));
      if (!ready || ready.nonce !== nonce) throw loaderError('bad_nonce', 'hello nonce mismatch', 'hello 的 nonce 不一致');
      this.info = ready;
      const sub = await this.request('subscribe', this.lastSeq ? { since: this.lastSeq } : {});
      if (sub && sub.state) this._emit('snapshot', sub, { type: 'snapshot', payload: sub });
      return this;
    }

    /** Subscribe to an event type ('call.ringing', …), 'snapshot', or '*' for all. Returns an unsubscribe function. */
    on(type, fn) {
      if (!this.listeners.has(type)) this.listeners.set(type, new Set());
      this.listeners.get(type).add(fn);
      return () => this.listeners.get(type).delete(fn);
    }

    dial(number) { return this.request('dial', { number }); }
    answer() { return this.request('answer', {}); }
    /** mode 1: back to the queue and busy; mode 2: release and stay ready. */
    reject(mode) { return this.request('reject', { mode }); }
    hangup() { return this.request('hangup', {}); }
    hold() { return this.request('hold', {}); }
    retrieve(callId) { return this.request('retrieve', { callId }); }
    mute() { return this.request('mute', {}); }
    unmute() { return this.request('unmute', {}); }
    /** DTMF on the active call: 1–32 of 0-9, *, #. */
    sendDtmf(digits) { return this.request('sendDtmf', { digits }); }
    /** `options`: the transfer mode as a number, or `{mode?, calldata?}`. */
    transfer(target, options) {
      const o = typeof options === 'number' ? { mode: options } : options || {};
      const payload = { target };
      if (o.mode !== undefined) payload.mode = o.mode;
      if (o.calldata !== undefined) payload.calldata = o.calldata;
      return this.request('transfer', payload);
    }
    consult(target) { return this.request('consult', { target }); }
    consultCancel() { return this.request('consultCancel', {}); }
    consultComplete() { return this.request('consultComplete', {}); }
    conference() { return this.request('conference', {}); }
    dropHeld(callId) { return this.request('dropHeld', { callId }); }
    setState(state, extra) { return this.request('setState', Object.assign({ state }, extra || {})); }
    endWrapUp() { return this.request('endWrapUp', {}); }
    signOut() { return this.request('signOut', {}); }
    snapshot() { return this.request('getSnapshot', {}); }

    /** Any command by its protocol name (one this loader has no method for yet, say). */
    request(type, payload, timeoutMs) {
      const id = newId();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          this.pending.delete(id);
          reject(loaderError('timeout', type + ' timed out', type + ' 超时'));
        }, timeoutMs || this.requestTimeoutMs);
        this.pending.set(id, { resolve, reject, timer });
        try {
          this._post(type, id, payload || {});
        } catch (e) {
          clearTimeout(timer);
          this.pending.delete(id);
          reject(e);
        }
      });
    }

    close() {
      window.removeEventListener('message', this._onMessage);
    }

    // Kept for callers of the earlier loader.
    _request(type, payload, timeoutMs) {
      return this.request(type, payload, timeoutMs);
    }

    // hello, repeated until answered (the toolbar answers once it has loaded). Every hello
    // shares one waiter, so a late answer to an earlier hello counts as well.
    _hello(payload) {
      return new Promise((resolve, reject) => {
        const ids = [];
        const started = Date.now();
        let timer = null;
        let settled = false;
        const settle = (fn) => (value) => {
          if (settled) return;
          settled = true;
          clearInterval(timer);
          for (const id of ids) this.pending.delete(id);
          fn(value);
        };
        const waiter = { resolve: settle(resolve), reject: settle(reject), timer: null };
        const send = () => {
          if (Date.now() - started >= this.helloForMs) {
            waiter.reject(loaderError('timeout', 'the toolbar did not answer hello', '工具条没有响应 hello'));
            return;
          }
          // Not yet in the document, or still its initial about:blank (which has the page's
          // origin: posting there only logs an error): try again on the next round.
          const win = this.iframe.contentWindow;
          if (!win || stillBlank(win)) return;
          const id = newId();
          ids.push(id);
          this.pending.set(id, waiter);
          try { this._post('hello', id, payload); } catch (e) { waiter.reject(e); }
        };
        send();
        if (!settled) timer = setInterval(send, HELLO_EVERY_MS);
      });
    }

    _post(type, id, payload) {
      // Only ever to the toolbar's origin, never '*'.
      this.iframe.contentWindow.postMessage({ v: PROTOCOL, type, id, ts: Date.now(), payload }, this.origin);
    }

    _onMessage(event) {
      if (event.origin !== this.origin || event.source !== this.iframe.contentWindow) return;
      const msg = event.data;
      if (!msg || msg.v !== PROTOCOL || typeof msg.type !== 'string') return;
      if (msg.replyTo) {
        const p = this.pending.get(msg.replyTo);
        // The answer to a command that timed out, or to someone else's message: not an event.
        if (!p) return;
        this.pending.delete(msg.replyTo);
        clearTimeout(p.timer);
        if (msg.type === 'error') p.reject(new AgentBarError(msg.payload));
        else p.resolve(msg.payload);
        if (msg.type === 'snapshot' && msg.payload && typeof msg.payload.seq === 'number') this._setSeq(msg.payload.seq);
        return;
      }
      if (typeof msg.seq === 'number') {
        if (msg.seq <= this.lastSeq) return; // already seen
        this._setSeq(msg.seq);
      }
      this._emit(msg.type, msg.payload, msg);
    }

    _setSeq(seq) {
      this.lastSeq = seq;
      try { sessionStorage.setItem(this.seqKey, String(seq)); } catch (_) { /* storage full or blocked */ }
    }

    _emit(type, payload, envelope) {
      for (const key of [type, '*']) {
        const set = this.listeners.get(key);
        if (!set) continue;
        for (const fn of set) {
          try { fn(payload, envelope || { type, payload }); } catch (e) { console.error('agentbar listener', e); }
        }
      }
    }
  }

  // Importing the module where there is no DOM (server-side rendering) must not throw.
  const ElementBase = typeof HTMLElement === 'function' ? HTMLElement : class {};

  /**
   * <agent-bar src height width title hello-timeout request-timeout lang theme-accent
   * theme-density theme-mode>: the toolbar's iframe and its connected `client`.
   */
  class AgentBarElement extends ElementBase {
    connectedCallback() {
      if (this.iframe) return;
      const attr = (name) => this.getAttribute(name) || undefined;
      const iframe = document.createElement('iframe');
      iframe.src = this.getAttribute('src');
      iframe.title = this.getAttribute('title') || 'Agent toolbar';
      // Microphone for WebRTC phones; autoplay for the ringtone.
      iframe.allow = 'microphone; autoplay; clipboard-write';
      iframe.style.border = '0';
      iframe.style.width = this.getAttribute('width') || '100%';
      iframe.style.height = (this.getAttribute('height') || '360') + 'px';
      this.appendChild(iframe);
      this.iframe = iframe;
      this.client = new AgentBarClient(iframe, {
        helloTimeoutMs: Number(this.getAttribute('hello-timeout')) || undefined,
        requestTimeoutMs: Number(this.getAttribute('request-timeout')) || undefined,
        lang: attr('lang'),
        theme: { accent: attr('theme-accent'), density: attr('theme-density'), mode: attr('theme-mode') },
      });
      this.client.on('*', (payload, env) => {
        this.dispatchEvent(new CustomEvent('agentbar:' + env.type, { detail: payload }));
      });
      this.ready = this.client.connect();
      this.ready.then(
        () => this.dispatchEvent(new CustomEvent('agentbar:ready', { detail: this.client.info })),
        (e) => this.dispatchEvent(new CustomEvent('agentbar:error', { detail: e })),
      );
    }
  }

  /** Registers the element as `name` ('agent-bar') unless that name is taken; returns its class. */
  function defineAgentBar(name) {
    name = name || 'agent-bar';
    if (typeof customElements === 'undefined') return undefined;
    const existing = customElements.get(name);
    if (existing) return existing;
    // A class can be defined once: another name gets a subclass of its own.
    const ctor = name === 'agent-bar' ? AgentBarElement : class extends AgentBarElement {};
    customElements.define(name, ctor);
    return ctor;
  }

  /** Connects to a toolbar iframe of your own. */
  function connect(iframe, options) {
    return new AgentBarClient(iframe, options).connect();
  }

  defineAgentBar();
  const AgentBar = {
    connect,
    defineAgentBar,
    AgentBarClient,
    AgentBarError,
    AgentBarElement,
    PROTOCOL,
    Client: AgentBarClient,
    Error: AgentBarError,
  };
  // The first loader on the page wins, as for the element: `AgentBar.Client` is then the class
  // of every `<agent-bar>`'s client.
  if (typeof globalThis.AgentBar === 'undefined') globalThis.AgentBar = AgentBar;
  // #endregion core
  // CommonJS (require('@agentbar/embed') in a bundler).
  if (typeof module === 'object' && module && module.exports) module.exports = AgentBar;
})();
