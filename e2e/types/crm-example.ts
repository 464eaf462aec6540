// A CRM page using the classic script (<script src=".../agentbar-embed.js">) and the global
// types: <agent-bar> is an AgentBarElement through HTMLElementTagNameMap, `AgentBar` is global.
// Every client method and every event is used here, so the declarations are checked against
// real use (`npx tsc -p e2e/types`).
/// <reference path="../../loader/agentbar-embed.d.ts" />
export {};

const bar = document.querySelector('agent-bar');
if (!bar) throw new Error('no <agent-bar> on the page');
const typed: AgentBarElement = bar; // the global element type
const created: AgentBarElement = document.createElement('agent-bar');
created.setAttribute('theme-accent', '#0f766e');
const client = typed.client;

function show(text: string): void {
  const p = document.createElement('p');
  p.textContent = text;
  document.body.append(p);
}

// Errors: a stable code, both languages, the vendor's code.
function refused(e: unknown): void {
  if (e instanceof AgentBar.AgentBarError) {
    const code: string = e.code;
    show(`${code}: ${e.messages.en} / ${e.messages['zh-CN']} (${e.vendorCode ?? 'no vendor code'})`);
    if (e.code === 'not_allowed' || e.code === 'timeout' || e.code === 'bad_nonce') show('try later');
  }
}

// Connection and handshake.
bar.addEventListener('agentbar:ready', (e) => {
  const info = e.detail;
  show(`toolbar ${info.version} (${info.vendor}), protocol ${info.protocol}, lang ${info.settings.lang}`);
  const accent: string | null = info.settings.theme.accent;
  show(accent ?? 'default accent');
  if (info.capabilities.commands.includes('sendDtmf')) show('DTMF available');
});
bar.addEventListener('agentbar:error', (e) => show(e.detail.message));
bar.addEventListener('agentbar:call.ringing', (e) => show(e.detail.caller));
bar.ready.then((c) => show(`connected, last seq ${c.lastSeq}`), refused);
client.connect({ lang: 'en', theme: { accent: '#336699', density: 'compact', mode: 'dark' } }).then((c) => {
  const info = c.info;
  if (info) show(info.nonce);
});

// Events.
client.on('agent.stateChanged', (s) => show(`${s.previous} → ${s.state}: ${s.allowedActions.join(',')}`));
const stopRinging = client.on('call.ringing', (call, env) => {
  show(`screen pop ${call.caller} → ${call.called} (${call.direction}, skill ${call.skill ?? '-'}, seq ${env.seq})`);
  if (call.calldata !== null) show(call.calldata);
  if (call.allowedActions.includes('answer')) show('can answer');
});
stopRinging();
client.on('call.dialing', (call) => show(`dialing ${call.called}`));
client.on('call.answered', (call) => show(`talking since ${new Date(call.since).toISOString()}`));
client.on('call.held', (call) => show(`held ${call.callId}`));
client.on('call.resumed', (call) => show(`resumed ${call.callId}, muted ${call.muted}`));
client.on('call.muted', (call) => show(`muted ${call.callId}`));
client.on('call.unmuted', (call) => show(`unmuted ${call.callId}`));
client.on('call.consultStarted', (c) => show(`consulting ${c.target} about ${c.callId}`));
client.on('call.consultCancelled', (c) => show(`back with ${c.callId}`));
client.on('call.transferred', (t) => show(`transferred ${t.callId} to ${t.target ?? 'elsewhere'}`));
client.on('call.ended', (end) => {
  const talk = end.duration === null ? 'not connected' : `${end.duration} s`;
  show(`${end.caller}: ${end.disposition}, ${talk}, at ${end.endedAt}`);
});
client.on('call.failed', (f) => {
  show(`${f.attempt} failed (${f.code}${f.vendorCode ? ', ' + f.vendorCode : ''}): ${f.message.en}`);
  if (f.code === 'not_connected' && f.callId !== null) show(f.callId);
});
client.on('notice', (n) => {
  if (n.level === 'error') show(`${n.code}: ${n.message['zh-CN']} ${n.vendorMessage?.en ?? ''} ${n.detail ?? ''}`);
  if (typeof n.retryAfter === 'number') show(`retrying in ${n.retryAfter} s`);
});
client.on('call.detail', (d) => {
  show(`call logged: ${d.callId} ${d.disposition} (${d.contactType}), talk ${d.talkSecs ?? 0} s, wait ${d.waitSecs ?? 0} s`);
  show(`${d.caller} (${d.callerLocation ?? '?'}) → ${d.called} (${d.calleeLocation ?? '?'}), by ${d.releasedBy ?? '?'}`);
  show(`${d.releaseReason} ${d.earlyMediaState} ${d.agents.join()} ${d.skillGroups.join()}`);
  show(`${d.start} ${d.established} ${d.released} ${d.recordingReady} ${d.satisfaction} ${d.satisfactionChannel} ${d.surveyOffered}`);
  if (d.analytics) show(`${d.analytics.problemSolved} ${d.analytics.problem} ${d.analytics.solution} ${d.analytics.emotion} ${d.analytics.emotionConfidence} ${d.analytics.satisfactionNote} ${d.analytics.todo.join()}`);
  for (const t of d.timeline) show(`${new Date(t.at).toISOString()} ${t.source} ${t.who}: ${t.event}`);
});
client.on('connection.status', (c) => show(c.status === 'online' ? 'online' : `connection ${c.status}`));
client.on('snapshot', (snap, env) => {
  show(`${env.type} at seq ${snap.seq}: ${snap.state.agent.id} ${snap.state.agent.state} since ${snap.state.agent.since}`);
  show(`${snap.state.connection}, ${snap.state.calls.length} calls, consult ${snap.state.consult?.target ?? 'none'}`);
});
client.on('*', (payload, env) => {
  // Narrowing on the envelope's type.
  if (env.type === 'call.ringing') show(env.payload.caller);
  else if (env.type === 'snapshot') show(String(env.payload.seq));
  else show(`${env.type} #${env.seq} ${JSON.stringify(payload)}`);
});

// Commands: every one of them.
const done = (what: string) => (r: { ok: true; queued?: true }) => show(`${what}: ${r.queued ? 'queued' : 'ok'}`);
client.dial('13800000001').then(done('dial'), refused);
client.answer().then(done('answer'), refused);
client.reject(1).then(done('reject to queue'), refused);
client.reject(2).then(done('reject, stay ready'), refused);
client.hangup().then(done('hangup'), refused);
client.hold().then(done('hold'), refused);
client.retrieve('call-1').then(done('retrieve'), refused);
client.mute().then(done('mute'), refused);
client.unmute().then(done('unmute'), refused);
client.sendDtmf('123#').then(done('dtmf'), refused);
client.transfer({ type: 'skill', address: '2' }).then(done('transfer'), refused);
client.transfer({ type: 'agent', address: '102' }, 2).then(done('transfer mode 2'), refused);
client.transfer({ type: 'external', address: '13800000002' }, { mode: 1, calldata: 'order=42' }).then(done('transfer'), refused);
client.transfer({ type: 'ivr', address: '9' }, { calldata: 'survey' }).then(done('transfer'), refused);
client.transfer({ type: 'accessCode', address: '10086' }).then(done('transfer'), refused);
client.consult({ type: 'agent', address: '102' }).then(done('consult'), refused);
client.consult({ type: 'skill', address: '3' }).then(done('consult'), refused);
client.consultCancel().then(done('consult cancelled'), refused);
client.consultComplete().then(done('consult completed'), refused);
client.conference().then(done('conference'), refused);
client.dropHeld('call-2').then(done('held call dropped'), refused);
client.setState('ready').then(done('ready'), refused);
client.setState('busy').then(done('busy'), refused);
client.setState('busy', { reason: 201 }).then(done('busy'), refused);
client.setState('rest', { minutes: 10, cause: 3 }).then(done('rest'), refused);
client.endWrapUp().then(done('wrap-up ended'), refused);
client.signOut().then(done('signed out'), refused);
client.snapshot().then((s) => {
  const calls = s.state.calls;
  for (const c of calls) if (c.state === 'held') client.dropHeld(c.callId).catch(refused);
  if (s.state.allowedActions.includes('mute')) client.mute().catch(refused);
}, refused);
client.request('sendDtmf', { digits: '5' }).then(done('dtmf by name'), refused);
client.request('subscribe', { since: client.lastSeq }).then((r) => show('replayed' in r ? `${r.replayed}` : `${r.seq}`));

// An iframe of your own, with the global.
const iframe = document.createElement('iframe');
iframe.src = 'https://toolbar.example.com/';
document.body.append(iframe);
AgentBar.connect(iframe, { helloTimeoutMs: 5000, lang: 'zh-CN' }).then((own) => {
  own.on('call.ended', (end) => show(end.callId));
  own.close();
}, refused);
const other = new AgentBar.Client(iframe, { requestTimeoutMs: 2000, seqKey: 'mine' });
other.close();
const Defined = AgentBar.defineAgentBar('crm-agent-bar');
if (Defined) show(new Defined().tagName);
show(`protocol ${AgentBar.PROTOCOL}, ${created.tagName}`);
