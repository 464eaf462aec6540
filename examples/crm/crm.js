// The example CRM page: embeds the toolbar from another origin with the loader, pops the
// customer's card when a call rings, dials on a click, mutes and sends DTMF, shows the
// toolbar's messages (call.failed, notice), logs each call (call.detail), and logs every event.
(function () {
  'use strict';
  const params = new URLSearchParams(location.search);
  const toolbarUrl = params.get('toolbar') || 'http://127.0.0.1:8080/';

  const customers = [
    { name: 'Wang Fang', phone: '13800000001', tier: 'Gold', note: 'Asked about the March invoice.' },
    { name: 'Li Wei', phone: '13800000002', tier: 'Silver', note: 'Prefers calls after 14:00.' },
    { name: 'Chen Jing', phone: '013800138000', tier: 'Platinum', note: 'VIP: route to the senior team.' },
  ];

  const $ = (id) => document.getElementById(id);
  const tbody = $('customers');
  for (const c of customers) {
    const tr = document.createElement('tr');
    const dial = document.createElement('a');
    dial.href = 'tel:' + c.phone;
    dial.textContent = c.phone;
    dial.dataset.dial = c.phone;
    dial.dataset.testid = 'dial-' + c.phone;
    tr.append(cell(c.name), cellWith(dial), cell(c.tier));
    tbody.append(tr);
  }
  function cell(text) { const td = document.createElement('td'); td.textContent = text; return td; }
  function cellWith(node) { const td = document.createElement('td'); td.append(node); return td; }

  function log(type, payload, seq) {
    const li = document.createElement('li');
    li.dataset.type = type;
    if (seq !== undefined) li.dataset.seq = String(seq);
    li.textContent = new Date().toLocaleTimeString() + '  ' + type + '  ' + JSON.stringify(payload);
    $('event-log').prepend(li);
  }

  function popCard(call) {
    const c = customers.find((x) => x.phone === call.caller);
    $('customer-card').hidden = false;
    // textContent, never innerHTML: caller numbers come from outside.
    $('customer-name').textContent = c ? c.name : 'Unknown caller';
    $('customer-number').textContent = call.caller;
    $('customer-note').textContent = c ? c.note : (call.skill ? 'Queue: ' + call.skill : '');
  }

  // What the agent may do now (allowedActions of the latest event or snapshot) enables the
  // call controls; the toolbar still checks every command.
  const allowed = new Set();
  let agentState = 'unknown';
  let muted = false;

  function renderControls() {
    $('crm-mute').disabled = !allowed.has('mute');
    $('crm-unmute').disabled = !allowed.has('unmute');
    for (const key of $('dtmf-keypad').querySelectorAll('button')) key.disabled = !allowed.has('dtmf');
    const status = $('call-status');
    status.dataset.state = agentState;
    status.dataset.muted = String(muted);
    status.textContent = 'Agent: ' + agentState + (muted ? ' (muted)' : '');
  }

  function setAllowed(actions) {
    allowed.clear();
    for (const a of actions || []) allowed.add(a);
    renderControls();
  }

  function applySnapshot(snap) {
    const state = snap.state;
    agentState = state.agent.state;
    muted = state.calls.some((c) => c.muted && c.state === 'talking');
    setAllowed(state.allowedActions);
  }

  function onCall(call) {
    muted = call.muted;
    setAllowed(call.allowedActions);
  }

  // The toolbar's messages, in the page's language (both are sent).
  function message(kind, level, code, text) {
    const li = document.createElement('li');
    li.dataset.kind = kind;
    li.dataset.level = level;
    li.dataset.code = code;
    li.textContent = text;
    $('crm-messages').prepend(li);
  }

  function vendorPart(code, text) {
    return code ? ' [' + code + (text ? ': ' + text : '') + ']' : '';
  }

  function showRefusal(what, err) {
    const text = err.messages ? err.messages.en : err.message;
    message('refused', 'error', err.code || 'error', what + ' refused: ' + text + vendorPart(err.vendorCode, err.vendorMessage));
  }

  function showFailed(f) {
    const text = f.attempt + ' failed (' + f.code + '): ' + f.message.en + vendorPart(f.vendorCode);
    message('call.failed', 'error', f.code, text);
  }

  function showNotice(n) {
    let text = n.code + ': ' + n.message.en + vendorPart(n.vendorCode, n.vendorMessage && n.vendorMessage.en);
    if (n.detail) text += ' (' + n.detail + ')';
    if (typeof n.retryAfter === 'number') text += ', retrying in ' + n.retryAfter + ' s';
    message('notice', n.level, n.code, text);
  }

  function minutes(secs) {
    return Math.floor(secs / 60) + ':' + String(secs % 60).padStart(2, '0');
  }

  // What a CRM would store as the call's record.
  function logCall(d) {
    const li = document.createElement('li');
    li.dataset.callId = d.callId;
    li.dataset.disposition = d.disposition;
    if (d.talkSecs !== null) li.dataset.talkSecs = String(d.talkSecs);
    const talk = d.talkSecs === null ? 'not connected' : 'talk ' + minutes(d.talkSecs);
    const wait = d.waitSecs === null ? '' : ', waited ' + d.waitSecs + ' s';
    li.textContent = 'call logged: ' + (d.caller || '?') + ' → ' + (d.called || '?') + ', ' + d.disposition + ', ' + talk + wait;
    $('call-log').prepend(li);
  }

  const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];
  const keyNames = { '*': 'star', '#': 'hash' };
  for (const k of keys) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = k;
    b.dataset.dtmf = k;
    b.dataset.testid = 'dtmf-' + (keyNames[k] || k);
    if (keyNames[k]) b.setAttribute('aria-label', keyNames[k]);
    b.disabled = true;
    $('dtmf-keypad').append(b);
  }
  renderControls();

  const loader = document.createElement('script');
  loader.src = new URL('agentbar-embed.js', toolbarUrl).href;
  loader.onload = () => {
    const bar = document.createElement('agent-bar');
    bar.setAttribute('src', toolbarUrl);
    bar.setAttribute('height', '640');
    if (params.get('helloTimeout')) bar.setAttribute('hello-timeout', params.get('helloTimeout'));
    if (params.get('requestTimeout')) bar.setAttribute('request-timeout', params.get('requestTimeout'));
    // The toolbar's language and look (applied as far as its deployment allows):
    // ?lang=zh-CN&accent=%230f766e&density=compact&mode=dark
    for (const [param, attr] of [['lang', 'lang'], ['accent', 'theme-accent'], ['density', 'theme-density'], ['mode', 'theme-mode']]) {
      if (params.get(param)) bar.setAttribute(attr, params.get(param));
    }
    $('toolbar-slot').append(bar);
    bar.addEventListener('agentbar:ready', (e) => {
      $('bar-status').textContent = 'toolbar ready (v' + e.detail.version + ', ' + e.detail.vendor + ')';
      $('bar-status').dataset.state = 'ready';
      // The state to start from (the subscription may have replayed events instead).
      refresh();
    });
    bar.addEventListener('agentbar:error', (e) => {
      $('bar-status').textContent = 'toolbar unavailable: ' + e.detail.message;
      $('bar-status').dataset.state = 'error';
    });
    customElements.whenDefined('agent-bar').then(() => {
      bar.client.on('*', (payload, env) => log(env.type, payload, env.seq));
      bar.client.on('call.ringing', popCard);
      bar.client.on('call.ended', () => {
        $('customer-card').hidden = true;
        $('dtmf-sent').textContent = '';
        muted = false;
        renderControls();
      });
      bar.client.on('agent.stateChanged', (s) => {
        agentState = s.state;
        setAllowed(s.allowedActions);
      });
      for (const type of ['call.ringing', 'call.dialing', 'call.answered', 'call.held', 'call.resumed', 'call.muted', 'call.unmuted']) {
        bar.client.on(type, onCall);
      }
      bar.client.on('snapshot', applySnapshot);
      bar.client.on('call.failed', showFailed);
      bar.client.on('notice', showNotice);
      bar.client.on('call.detail', logCall);
    });
    function refresh() {
      bar.client.snapshot().then(applySnapshot, () => { /* the next event brings the state */ });
    }
    // Muting sends no event (the command's success is the confirmation): the state is read again.
    function command(name, run) {
      run().then(
        () => { log(name + '.sent', {}); refresh(); },
        (err) => { log(name + '.refused', { code: err.code, message: err.messages, vendorCode: err.vendorCode }); showRefusal(name, err); },
      );
    }
    $('crm-mute').addEventListener('click', () => command('mute', () => bar.client.mute()));
    $('crm-unmute').addEventListener('click', () => command('unmute', () => bar.client.unmute()));
    $('dtmf-keypad').addEventListener('click', (e) => {
      const key = e.target.closest('button[data-dtmf]');
      if (!key) return;
      const digit = key.dataset.dtmf;
      bar.client.sendDtmf(digit).then(
        () => {
          $('dtmf-sent').textContent += digit;
          log('dtmf.sent', { digits: digit });
        },
        (err) => {
          log('dtmf.refused', { code: err.code, message: err.messages, vendorCode: err.vendorCode });
          showRefusal('DTMF', err);
        },
      );
    });
    document.addEventListener('click', (e) => {
      const a = e.target.closest('a[data-dial]');
      if (!a) return;
      e.preventDefault();
      bar.client.dial(a.dataset.dial).then(
        () => log('dial.sent', { number: a.dataset.dial }),
        (err) => {
          log('dial.refused', { code: err.code, message: err.messages, vendorCode: err.vendorCode });
          showRefusal('dial', err);
        },
      );
    });
  };
  document.head.append(loader);
})();
