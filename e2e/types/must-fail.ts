// Mistakes the loader's types must catch. Each line after `// @ts-expect-error` has to be an
// error: if a type grows too loose, tsc reports the directive as unused and the check fails.
/// <reference path="../../loader/agentbar-embed.d.ts" />
import { AgentBarError, connect } from '@agentbar/embed';

const bar = document.querySelector('agent-bar')!;
const client = bar.client;

// Wrong argument types and values.
// @ts-expect-error a number is not a dial string
client.dial(13800000001);
// @ts-expect-error reject modes are 1 and 2
client.reject(3);
// @ts-expect-error DTMF digits are a string
client.sendDtmf(5);
// @ts-expect-error retrieve needs the held call's id
client.retrieve();
// @ts-expect-error dropHeld takes a call id string
client.dropHeld(42);
// @ts-expect-error mute takes no argument
client.mute(true);
// @ts-expect-error no such transfer target type
client.transfer({ type: 'queue', address: '1' });
// @ts-expect-error the mode is a number
client.transfer({ type: 'skill', address: '1' }, '2');
// @ts-expect-error a consult goes to an agent or a skill, not an IVR
client.consult({ type: 'ivr', address: '1' });
// @ts-expect-error no such agent state to set
client.setState('away');
// @ts-expect-error a reason belongs to busy
client.setState('ready', { reason: 201 });
// @ts-expect-error minutes belong to rest
client.setState('busy', { minutes: 5 });
// @ts-expect-error no such language
client.connect({ lang: 'fr' });
// @ts-expect-error the accent is #rrggbb
client.connect({ theme: { accent: 'red' } });
// @ts-expect-error no such density
connect(document.createElement('iframe'), { theme: { density: 'tiny' } });
// @ts-expect-error no such method
client.hangUp();
// @ts-expect-error the seq is the loader's to keep
client.lastSeq = 5;

// Commands by name.
// @ts-expect-error no such command
client.request('teleport', {});
// @ts-expect-error dial's argument is `number`
client.request('dial', { num: '13800000001' });
// @ts-expect-error the handshake is the loader's
client.request('hello', { nonce: 'x' });

// Unknown events, fields a payload lacks, values a field never has.
// @ts-expect-error no such event
client.on('call.rang', () => {});
// @ts-expect-error a ringing call has no duration
client.on('call.ringing', (call) => call.duration);
// @ts-expect-error call.ended carries no allowedActions
client.on('call.ended', (end) => end.allowedActions);
// @ts-expect-error a notice's level is error or info
client.on('notice', (n) => n.level === 'warning');
// @ts-expect-error a failed attempt is a dial, transfer or consult
client.on('call.failed', (f) => f.attempt === 'hangup');
// @ts-expect-error the skill may be null
client.on('call.ringing', (call) => call.skill.length);
// @ts-expect-error analytics may be null
client.on('call.detail', (d) => d.analytics.problem);
// @ts-expect-error a timeline entry's source is ivr, queue, agent or customer
client.on('call.detail', (d) => d.timeline.some((t) => t.source === 'robot'));
// @ts-expect-error the connection status is online, offline or reconnecting
client.on('connection.status', (c) => c.status === 'up');
// @ts-expect-error a snapshot's agent has no calls (the state has)
client.on('snapshot', (s) => s.state.agent.calls);
// @ts-expect-error '*' gets every payload: narrow on envelope.type first
client.on('*', (_payload, env) => env.payload.caller);
// @ts-expect-error the element's DOM event carries the call, which has no duration
bar.addEventListener('agentbar:call.ringing', (e) => e.detail.duration);
// @ts-expect-error the applied accent may be null
bar.addEventListener('agentbar:ready', (e) => e.detail.settings.theme.accent.length);

// Errors and elements.
client.answer().catch((e: unknown) => {
  // @ts-expect-error a misspelt error code
  if (e instanceof AgentBarError && e.code === 'not_alowed') return;
});
// @ts-expect-error a <div> is not an <agent-bar>
const notBar: AgentBarElement = document.createElement('div');
void notBar;
