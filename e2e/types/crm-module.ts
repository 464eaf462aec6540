// A CRM page bundling the loader as an ES module (`import ... from '@agentbar/embed'`, the
// package in loader/): the import registers <agent-bar>; types come from the package.
import {
  AgentBarClient,
  AgentBarElement,
  AgentBarError,
  PROTOCOL,
  connect,
  defineAgentBar,
  type AgentBarEventMap,
  type Call,
  type CallDetail,
  type CommandResult,
  type EventEnvelope,
  type Notice,
  type ReadyInfo,
} from '@agentbar/embed';

const version: 1 = PROTOCOL;
const element: AgentBarElement = document.createElement('agent-bar');
element.setAttribute('src', 'https://toolbar.example.com/');
element.setAttribute('lang', 'en');
document.body.append(element);
const same: typeof AgentBarElement | undefined = defineAgentBar();
if (same && !(element instanceof same)) throw new Error('not the registered class');

function popCard(call: Call): void {
  document.title = `${call.caller} (${call.skill ?? 'no queue'})`;
}

function logCall(detail: CallDetail): void {
  console.log('call logged', detail.disposition, detail.talkSecs, detail.timeline.length);
}

async function main(): Promise<void> {
  const iframe = document.createElement('iframe');
  iframe.src = 'https://toolbar.example.com/';
  document.body.append(iframe);
  const client: AgentBarClient = await connect(iframe, { lang: 'en', theme: { mode: 'light' } });
  const info: ReadyInfo | null = client.info;
  console.log(version, info?.capabilities.events);
  client.on('call.ringing', popCard);
  client.on('call.detail', logCall);
  client.on('notice', (n: Notice) => console.log(n.code, n.message.en));
  const onFailed = (f: AgentBarEventMap['call.failed'], env: EventEnvelope<'call.failed'>) => console.log(env.seq, f.attempt);
  client.on('call.failed', onFailed);
  try {
    const r: CommandResult = await client.dial('13800000001');
    console.log(r.ok);
    await element.client.sendDtmf('1');
  } catch (e) {
    if (e instanceof AgentBarError && e.code === 'not_allowed') console.log(e.messages['zh-CN']);
  }
  const direct = new AgentBarClient(iframe);
  await direct.connect();
  direct.close();
}

void main();
