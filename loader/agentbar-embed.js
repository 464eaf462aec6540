// agentbar embedding loader (docs/EMBEDDING.md). Plain script, no build step.
//
//   <script src="https://toolbar.example.com/agentbar-embed.js"></script>
//   <agent-bar src="https://toolbar.example.com/" height="360"></agent-bar>
//   document.querySelector('agent-bar').client.on('call.ringing', (call) => popRecord(call.caller));
//
// or, for an iframe you created yourself:  const bar = await AgentBar.connect(iframe);
(function () {
  'use strict';
  const PROTOCOL = 1;
  const HELLO_EVERY_MS = 250;
  const HELLO_FOR_MS = 30000;

  function newId() {
    return (crypto.randomUUID && crypto.randomUUID()) || String(Date.now()) + Math.random().toString(16).slice(2);
  }

  class AgentBarError extends Error {
    constructor(payload) {
      super((payload && payload.message && payload.message.en) || 'agentbar error');
      this.code = payload && payload.code;
      this.messages = payload && payload.message;
      this.vendorCode = payload && payload.vendorCode;
      this.vendorMessage = payload && payload.vendorMessage;
    }
  }

  class AgentBarClient {
    constructor(iframe, options) {
      options = options || {};
      this.iframe = iframe;
      this.origin = new URL(iframe.src, location.href).origin;
      // The last event seq is kept per tab so that a reloaded page gets what it missed.
      this.seqKey = options.seqKey || 'agentbar.lastSeq:' + this.origin;
      this.lastSeq = Number(sessionStorage.getItem(this.seqKey) || 0);
      this.pending = new Map();
      this.listeners = new Map();
      this.info = null;
      this.helloForMs = options.helloTimeoutMs || HELLO_FOR_MS;
      this.requestTimeoutMs = options.requestTimeoutMs || 15000;
      this._onMessage = this._onMessage.bind(this);
      window.addEventListener('message', this._onMessage);
    }

    /** Handshake (hello → ready, nonce checked), then subscribe with replay since the last seq. */
    async connect() {
      const nonce = newId();
      const started = Date.now();
      let ready = null;
      while (!ready && Date.now() - started < this.helloForMs) {
        // The toolbar answers once it has loaded; until then hello is repeated.
        ready = await this._request('hello', { nonce }, HELLO_EVERY_MS).catch((e) => {
          if (e && e.code && e.code !== 'timeout') throw e;
          return null;
        });
      }
      if (!ready) throw new AgentBarError({ code: 'timeout', message: { en: 'the toolbar did not answer hello' } });
      if (ready.nonce !== nonce) throw new AgentBarError({ code: 'bad_nonce', message: { en: 'hello nonce mismatch' } });
      this.info = ready;
      const sub = await this._request('subscribe', this.lastSeq ? { since: this.lastSeq } : {});
      if (sub && sub.state) this._emit('snapshot', sub);
      return this;
    }

    /** Subscribe to an event type ('call.ringing', …), 'snapshot', or '*' for all. */
    on(type, fn) {
      if (!this.listeners.has(type)) this.listeners.set(type, new Set());
      this.listeners.get(type).add(fn);
      return () => this.listeners.get(type).delete(fn);
    }

    dial(number) { return this._request('dial', { number }); }
    answer() { return this._request('answer', {}); }
    reject(mode) { return this._request('reject', { mode }); }
    hangup() { return this._request('hangup', {}); }
    hold() { return this._request('hold', {}); }
    retrieve(callId) { return this._request('retrieve', { callId }); }
    transfer(target, mode) { return this._request('transfer', mode === undefined ? { target } : { target, mode }); }
    consult(target) { return this._request('consult', { target }); }
    consultCancel() { return this._request('consultCancel', {}); }
    setState(state, extra) { return this._request('setState', Object.assign({ state }, extra || {})); }
    signOut() { return this._request('signOut', {}); }
    snapshot() { return this._request('getSnapshot', {}); }

    close() {
      window.removeEventListener('message', this._onMessage);
    }

    _request(type, payload, timeoutMs) {
      const id = newId();
      const envelope = { v: PROTOCOL, type, id, ts: Date.now(), payload };
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new AgentBarError({ code: 'timeout', message: { en: type + ' timed out' } }));
        }, timeoutMs || this.requestTimeoutMs);
        this.pending.set(id, { resolve, reject, timer });
        // Only ever to the toolbar's origin, never '*'.
        this.iframe.contentWindow.postMessage(envelope, this.origin);
      });
    }

    _onMessage(event) {
      if (event.origin !== this.origin || event.source !== this.iframe.contentWindow) return;
      const msg = event.data;
      if (!msg || msg.v !== PROTOCOL || typeof msg.type !== 'string') return;
      if (msg.replyTo && this.pending.has(msg.replyTo)) {
        const p = this.pending.get(msg.replyTo);
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
          try { fn(payload, envelope || { type }); } catch (e) { console.error('agentbar listener', e); }
        }
      }
    }
  }

  class AgentBarElement extends HTMLElement {
    connectedCallback() {
      if (this.iframe) return;
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

  if (!customElements.get('agent-bar')) customElements.define('agent-bar', AgentBarElement);
  window.AgentBar = {
    connect: (iframe, options) => new AgentBarClient(iframe, options).connect(),
    Client: AgentBarClient,
    Error: AgentBarError,
  };
})();
