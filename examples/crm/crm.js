// The example CRM page: embeds the toolbar from another origin with the loader, pops the
// customer's card when a call rings, dials on a click, and logs every toolbar event.
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

  const loader = document.createElement('script');
  loader.src = new URL('agentbar-embed.js', toolbarUrl).href;
  loader.onload = () => {
    const bar = document.createElement('agent-bar');
    bar.setAttribute('src', toolbarUrl);
    bar.setAttribute('height', '640');
    if (params.get('helloTimeout')) bar.setAttribute('hello-timeout', params.get('helloTimeout'));
    if (params.get('requestTimeout')) bar.setAttribute('request-timeout', params.get('requestTimeout'));
    $('toolbar-slot').append(bar);
    bar.addEventListener('agentbar:ready', (e) => {
      $('bar-status').textContent = 'toolbar ready (v' + e.detail.version + ', ' + e.detail.vendor + ')';
      $('bar-status').dataset.state = 'ready';
    });
    bar.addEventListener('agentbar:error', (e) => {
      $('bar-status').textContent = 'toolbar unavailable: ' + e.detail.message;
      $('bar-status').dataset.state = 'error';
    });
    customElements.whenDefined('agent-bar').then(() => {
      bar.client.on('*', (payload, env) => log(env.type, payload, env.seq));
      bar.client.on('call.ringing', popCard);
      bar.client.on('call.ended', () => { $('customer-card').hidden = true; });
    });
    document.addEventListener('click', (e) => {
      const a = e.target.closest('a[data-dial]');
      if (!a) return;
      e.preventDefault();
      bar.client.dial(a.dataset.dial).then(
        () => log('dial.sent', { number: a.dataset.dial }),
        (err) => log('dial.refused', { code: err.code, message: err.messages, vendorCode: err.vendorCode }),
      );
    });
  };
  document.head.append(loader);
})();
