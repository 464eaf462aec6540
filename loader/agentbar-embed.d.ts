// Types of the agentbar embedding loader and of its postMessage protocol (docs/EMBEDDING.md).
//
// With the classic script (<script src=".../agentbar-embed.js">), include this file for the
// globals: `/// <reference types="@agentbar/embed" />` (or a path to this file). It declares
// `<agent-bar>` (`document.querySelector('agent-bar')` is an `AgentBarElement`) and
// `AgentBar`. With the package, `import { AgentBarClient } from '@agentbar/embed'`.

// ---------------------------------------------------------------------------------------------
// Common

/** The protocol version, `v` in every envelope. */
export type ProtocolVersion = 1;

/** The toolbar's languages. */
export type Lang = 'zh-CN' | 'en';

/** A text in both of the toolbar's languages. */
export interface Messages {
  'zh-CN': string;
  en: string;
}

/** Every message, both ways. */
export interface Envelope<T extends string = string, P = unknown> {
  v: ProtocolVersion;
  type: T;
  /** Unique per message (the sender chooses). */
  id: string;
  /** On replies: the `id` of the command answered. */
  replyTo?: string;
  /** On events: +1 per event, kept across reloads of the toolbar. */
  seq?: number;
  /** Sender's clock, epoch ms. */
  ts: number;
  payload: P;
}

/**
 * What the agent can do right now (`allowedActions`): enable your buttons from it. The names
 * listed are the known ones; a newer toolbar may add others.
 */
export type AgentBarAction =
  | 'signIn'
  | 'signOut'
  | 'ready'
  | 'busy'
  | 'break'
  | 'rest'
  | 'enterWrapUp'
  | 'leaveWrapUp'
  | 'dial'
  | 'answer'
  | 'reject'
  | 'hangup'
  | 'hold'
  | 'retrieve'
  | 'mute'
  | 'unmute'
  | 'dtmf'
  | 'transfer'
  | 'consult'
  | 'connectHeld'
  | 'conference'
  | 'consultCancel'
  | 'consultComplete'
  | (string & {});

// ---------------------------------------------------------------------------------------------
// Errors

/** Stable error codes of the toolbar. */
export type ToolbarErrorCode =
  | 'malformed'
  | 'unsupported_version'
  | 'not_ready'
  | 'unknown_type'
  | 'invalid_argument'
  | 'not_allowed'
  | 'no_call'
  | 'not_signed_in'
  | 'unsupported'
  | 'in_progress'
  | 'gateway_refused'
  | 'gateway_unavailable';

/** Stable error codes: the toolbar's, and the loader's own (`timeout`, `bad_nonce`). */
export type ErrorCode = ToolbarErrorCode | 'timeout' | 'bad_nonce';

/** The payload of an `error` reply. */
export interface ErrorPayload {
  code: ErrorCode;
  message: Messages;
  /** The vendor's own code (a CC-Gateway retcode, a CCC `Code`). */
  vendorCode?: string;
  vendorMessage?: string;
}

/** A refused or failed command, as the client's promises reject. */
export declare class AgentBarError extends Error {
  constructor(payload: ErrorPayload);
  readonly name: 'AgentBarError';
  /** Stable: branch on this. */
  readonly code: ErrorCode;
  /** The text in both languages (`message` is the English one). */
  readonly messages: Messages;
  readonly vendorCode?: string;
  readonly vendorMessage?: string;
}

// ---------------------------------------------------------------------------------------------
// State

/** The agent's state as the toolbar shows it. */
export type AgentState =
  | 'signed-out'
  | 'signing-in'
  | 'ready'
  | 'busy'
  | 'rest'
  | 'wrap-up'
  | 'ringing'
  | 'dialing'
  | 'talking'
  | 'held'
  | 'consulting';

export type CallState = 'ringing' | 'dialing' | 'talking' | 'held';
export type CallDirection = 'inbound' | 'outbound' | 'internal';
export type ConnectionState = 'online' | 'offline' | 'reconnecting';

/** A call: the payload of `call.ringing`, `call.dialing`, `call.answered`, `call.held`, `call.resumed`, `call.muted`, `call.unmuted`. */
export interface Call {
  callId: string;
  caller: string;
  called: string;
  state: CallState;
  direction: CallDirection;
  skill: string | null;
  calldata: string | null;
  transferredFrom: string | null;
  muted: boolean;
  /** Epoch ms the call entered `state`. */
  since: number;
  allowedActions: AgentBarAction[];
}

/** A consultation: the customer's call and whom the agent consults. */
export interface Consult {
  callId: string;
  target: string;
}

/** Everything needed to draw the agent's situation from scratch (`snapshot` `state`). */
export interface Snapshot {
  agent: { id: string; state: AgentState; since: number };
  connection: ConnectionState;
  calls: Call[];
  consult: Consult | null;
  allowedActions: AgentBarAction[];
}

/** The `snapshot` reply (to `getSnapshot`, or to `subscribe` when replay is not possible). */
export interface SnapshotReply {
  /** The seq of the last event the state includes. */
  seq: number;
  state: Snapshot;
}

// ---------------------------------------------------------------------------------------------
// Events

export interface AgentStateChanged {
  state: AgentState;
  previous: AgentState;
  allowedActions: AgentBarAction[];
}

export interface CallTransferred {
  callId: string;
  target?: string;
}

export interface CallEnded {
  callId: string;
  caller: string;
  called: string;
  direction: CallDirection;
  skill: string | null;
  calldata: string | null;
  /** Talk time in seconds, when the call was connected. */
  duration: number | null;
  /** CCC's ContactDisposition vocabulary: `Success`, `NoAnswer`, `Reject`, `Transferred`, … */
  disposition: string;
  /** Epoch ms. */
  endedAt: number;
}

/** A dial, transfer or consult that did not connect. */
export interface CallFailed {
  attempt: 'dial' | 'transfer' | 'consult';
  callId: string | null;
  /** `not_connected` (the far end did not answer), or why the gateway refused. */
  code: 'not_connected' | ErrorCode;
  vendorCode?: string | null;
  message: Messages;
}

/** A message the toolbar shows the agent (a failure, a warning, information). */
export interface Notice {
  /** Increases with every notice. */
  id: number;
  level: 'error' | 'info';
  /** The toolbar's message key, e.g. `ConnectFailed`. */
  code: string;
  message: Messages;
  vendorCode?: string | null;
  vendorMessage?: Messages | null;
  detail?: string | null;
  /** Seconds until the toolbar tries again. */
  retryAfter?: number | null;
}

/** What CCC's speech analytics say about a call. */
export interface CallAnalytics {
  problemSolved: boolean | null;
  problem: string;
  solution: string;
  emotion: string;
  /** Percent. */
  emotionConfidence: number | null;
  satisfactionNote: string;
  todo: string[];
}

export interface CallTimelineEntry {
  /** Epoch ms. */
  at: number;
  source: 'ivr' | 'queue' | 'agent' | 'customer';
  who: string;
  event: string;
}

/** The call's detail record, for CRM call logging. Times are epoch ms. */
export interface CallDetail {
  callId: string;
  disposition: string;
  /** `INBOUND`, `OUTBOUND`, `INTERNAL`, … */
  contactType: string;
  /** `agent` or `customer`. */
  releasedBy: string | null;
  /** The far end's answer code (`200 - OK`, `486 - Busy Here`, …). */
  releaseReason: string | null;
  earlyMediaState: string | null;
  caller: string;
  called: string;
  callerLocation: string | null;
  calleeLocation: string | null;
  agents: string[];
  skillGroups: string[];
  start: number | null;
  established: number | null;
  released: number | null;
  waitSecs: number | null;
  talkSecs: number | null;
  recordingReady: boolean | null;
  satisfaction: number | null;
  satisfactionChannel: string | null;
  surveyOffered: boolean | null;
  analytics: CallAnalytics | null;
  timeline: CallTimelineEntry[];
}

export interface ConnectionStatus {
  status: ConnectionState;
}

/** Every event the toolbar pushes (with a `seq`), by type. */
export interface AgentBarEventMap {
  'agent.stateChanged': AgentStateChanged;
  'call.ringing': Call;
  'call.dialing': Call;
  'call.answered': Call;
  'call.held': Call;
  'call.resumed': Call;
  /** The call was muted (from the toolbar or a host): its `allowedActions` changed with it. */
  'call.muted': Call;
  'call.unmuted': Call;
  'call.consultStarted': Consult;
  'call.consultCancelled': Consult;
  'call.transferred': CallTransferred;
  'call.ended': CallEnded;
  'call.failed': CallFailed;
  'call.detail': CallDetail;
  notice: Notice;
  'connection.status': ConnectionStatus;
}

export type AgentBarEventType = keyof AgentBarEventMap;

/** An event's envelope: a union discriminated by `type`. */
export type EventEnvelope<K extends AgentBarEventType = AgentBarEventType> = {
  [T in K]: Envelope<T, AgentBarEventMap[T]> & { seq: number };
}[K];

/** What `on('snapshot')` listeners get as the envelope (the `subscribe` reply carried a snapshot). */
export interface SnapshotEnvelope {
  type: 'snapshot';
  payload: SnapshotReply;
}

/** What `on('*')` listeners get: every event, and the snapshot. */
export type AnyEnvelope = EventEnvelope | SnapshotEnvelope;

/** A payload of any event, or the snapshot. */
export type AnyPayload = AgentBarEventMap[AgentBarEventType] | SnapshotReply;

export type Unsubscribe = () => void;

// ---------------------------------------------------------------------------------------------
// Commands

export type Density = 'comfortable' | 'compact';
export type ThemeMode = 'light' | 'dark';

/** The look a page asks for in `hello`. */
export interface ThemeSettings {
  /** `#rrggbb`. */
  accent?: `#${string}`;
  density?: Density;
  mode?: ThemeMode;
}

/** What a page may ask for in `hello`: the toolbar applies what its deployment allows. */
export interface HelloSettings {
  lang?: Lang;
  theme?: ThemeSettings;
}

/** What the toolbar applied (`ready` `settings`). */
export interface AppliedSettings {
  lang: Lang;
  theme: { accent: string | null; density: Density | null; mode: ThemeMode | null };
}

/** The `ready` reply to `hello` (`client.info`). */
export interface ReadyInfo {
  version: string;
  protocol: ProtocolVersion;
  nonce: string;
  vendor: 'huawei' | 'aliyun';
  capabilities: {
    commands: (CommandType | (string & {}))[];
    events: (AgentBarEventType | (string & {}))[];
    actions: AgentBarAction[];
  };
  /** The seq of the toolbar's last event. */
  lastSeq: number;
  settings: AppliedSettings;
}

/** The `subscribed` reply: replayed events follow it. */
export interface Subscribed {
  replayed: number;
  lastSeq: number;
}

/** A `result` reply: the gateway accepted the command. */
export interface CommandResult {
  ok: true;
  result?: unknown;
  /** The toolbar queued the command (it will be sent when the gateway can take it). */
  queued?: true;
}

export type RejectMode = 1 | 2;

export type TransferTargetType = 'skill' | 'agent' | 'ivr' | 'accessCode' | 'external';

export interface TransferTarget {
  type: TransferTargetType;
  address: string;
}

export interface TransferOptions {
  /** The vendor's transfer mode; the first one the target allows when left out. */
  mode?: number;
  calldata?: string;
}

export interface ConsultTarget {
  type: 'agent' | 'skill';
  address: string;
}

export type SetStatePayload =
  | { state: 'ready' }
  /** `reason`: 200–250. */
  | { state: 'busy'; reason?: number }
  /** `minutes` of rest (15 when left out), `cause` the rest reason. */
  | { state: 'rest'; minutes?: number; cause?: number };

type Empty = Record<string, never>;

/** Every command: its payload and the payload of its reply. */
export interface AgentBarCommands {
  hello: { payload: { nonce: string } & HelloSettings; result: ReadyInfo };
  subscribe: { payload: { since?: number }; result: Subscribed | SnapshotReply };
  getSnapshot: { payload: Empty; result: SnapshotReply };
  dial: { payload: { number: string }; result: CommandResult };
  answer: { payload: Empty; result: CommandResult };
  reject: { payload: { mode: RejectMode }; result: CommandResult };
  hangup: { payload: Empty; result: CommandResult };
  hold: { payload: Empty; result: CommandResult };
  retrieve: { payload: { callId: string }; result: CommandResult };
  mute: { payload: Empty; result: CommandResult };
  unmute: { payload: Empty; result: CommandResult };
  sendDtmf: { payload: { digits: string }; result: CommandResult };
  transfer: { payload: { target: TransferTarget } & TransferOptions; result: CommandResult };
  consult: { payload: { target: ConsultTarget }; result: CommandResult };
  consultCancel: { payload: Empty; result: CommandResult };
  consultComplete: { payload: Empty; result: CommandResult };
  conference: { payload: Empty; result: CommandResult };
  dropHeld: { payload: { callId: string }; result: CommandResult };
  setState: { payload: SetStatePayload; result: CommandResult };
  endWrapUp: { payload: Empty; result: CommandResult };
  signOut: { payload: Empty; result: CommandResult };
}

export type CommandType = keyof AgentBarCommands;

// ---------------------------------------------------------------------------------------------
// The client

export interface AgentBarClientOptions {
  /** The sessionStorage key of the last seen seq (default `agentbar.lastSeq:<toolbar origin>`). */
  seqKey?: string;
  /** How long to repeat hello until the toolbar answers, ms (30000). */
  helloTimeoutMs?: number;
  /** How long a command waits for its reply, ms (15000). */
  requestTimeoutMs?: number;
  /** Asked for in hello. */
  lang?: Lang;
  /** Asked for in hello. */
  theme?: ThemeSettings;
}

/** The page's end of the protocol, talking to one toolbar iframe. */
export declare class AgentBarClient {
  constructor(iframe: HTMLIFrameElement, options?: AgentBarClientOptions);
  readonly iframe: HTMLIFrameElement;
  /** The toolbar's origin (from the iframe's `src`): the only one messages go to and come from. */
  readonly origin: string;
  readonly seqKey: string;
  /** The last event seq seen (kept in sessionStorage). */
  readonly lastSeq: number;
  /** The `ready` reply, once connected. */
  readonly info: ReadyInfo | null;
  lang?: Lang;
  theme?: ThemeSettings;
  helloForMs: number;
  requestTimeoutMs: number;

  /** Handshake (hello, nonce checked) and subscribe with replay since `lastSeq`. */
  connect(settings?: HelloSettings): Promise<this>;

  /** Listens to an event; returns a function that stops listening. */
  on<K extends AgentBarEventType>(
    type: K,
    listener: (payload: AgentBarEventMap[K], envelope: EventEnvelope<K>) => void,
  ): Unsubscribe;
  /** The snapshot `subscribe` gets when it cannot replay what was missed. */
  on(type: 'snapshot', listener: (payload: SnapshotReply, envelope: SnapshotEnvelope) => void): Unsubscribe;
  /** Everything: narrow on `envelope.type`. */
  on(type: '*', listener: (payload: AnyPayload, envelope: AnyEnvelope) => void): Unsubscribe;

  dial(number: string): Promise<CommandResult>;
  answer(): Promise<CommandResult>;
  /** 1: back to the queue and busy; 2: release and stay ready. */
  reject(mode: RejectMode): Promise<CommandResult>;
  hangup(): Promise<CommandResult>;
  hold(): Promise<CommandResult>;
  retrieve(callId: string): Promise<CommandResult>;
  mute(): Promise<CommandResult>;
  unmute(): Promise<CommandResult>;
  /** 1–32 of `0`–`9`, `*`, `#` on the active call. */
  sendDtmf(digits: string): Promise<CommandResult>;
  /** `options`: the mode as a number, or `{ mode?, calldata? }`. */
  transfer(target: TransferTarget, options?: number | TransferOptions): Promise<CommandResult>;
  consult(target: ConsultTarget): Promise<CommandResult>;
  consultCancel(): Promise<CommandResult>;
  /** Transfers the customer to the consulted party. */
  consultComplete(): Promise<CommandResult>;
  /** Joins the customer and the consulted party. */
  conference(): Promise<CommandResult>;
  /** Hangs up a held call. */
  dropHeld(callId: string): Promise<CommandResult>;
  setState(state: 'ready'): Promise<CommandResult>;
  setState(state: 'busy', extra?: { reason?: number }): Promise<CommandResult>;
  setState(state: 'rest', extra?: { minutes?: number; cause?: number }): Promise<CommandResult>;
  endWrapUp(): Promise<CommandResult>;
  signOut(): Promise<CommandResult>;
  /** `getSnapshot`. */
  snapshot(): Promise<SnapshotReply>;
  /** Any command by its protocol name. */
  request<K extends Exclude<CommandType, 'hello'>>(
    type: K,
    payload: AgentBarCommands[K]['payload'],
    timeoutMs?: number,
  ): Promise<AgentBarCommands[K]['result']>;
  /** Stops listening to the toolbar. */
  close(): void;
}

// ---------------------------------------------------------------------------------------------
// The element

/** The DOM events of `<agent-bar>`: `agentbar:ready`, `agentbar:error`, and `agentbar:<event type>`. */
export type AgentBarElementEventMap = HTMLElementEventMap & {
  'agentbar:ready': CustomEvent<ReadyInfo>;
  'agentbar:error': CustomEvent<AgentBarError | Error>;
  'agentbar:snapshot': CustomEvent<SnapshotReply>;
} & {
  [K in AgentBarEventType as `agentbar:${K}`]: CustomEvent<AgentBarEventMap[K]>;
};

/**
 * `<agent-bar src height width title hello-timeout request-timeout lang theme-accent
 * theme-density theme-mode>`.
 */
interface AgentBarElementInterface extends HTMLElement {
  /** The connected client; set when the element is in the document (and defined). */
  readonly client: AgentBarClient;
  /** The toolbar's iframe; set when the element is in the document. */
  readonly iframe: HTMLIFrameElement;
  /** Settles with the handshake. */
  readonly ready: Promise<AgentBarClient>;
  addEventListener<K extends keyof AgentBarElementEventMap>(
    type: K,
    listener: (this: AgentBarElement, ev: AgentBarElementEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof AgentBarElementEventMap>(
    type: K,
    listener: (this: AgentBarElement, ev: AgentBarElementEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}

export type AgentBarElement = AgentBarElementInterface;
export declare const AgentBarElement: {
  prototype: AgentBarElement;
  new (): AgentBarElement;
};

/** Registers the element as `name` ('agent-bar') unless taken; returns the class registered under it. */
export declare function defineAgentBar(name?: string): typeof AgentBarElement | undefined;

/** Connects to a toolbar iframe of your own: `const bar = await connect(iframe)`. */
export declare function connect(iframe: HTMLIFrameElement, options?: AgentBarClientOptions): Promise<AgentBarClient>;

export declare const PROTOCOL: ProtocolVersion;

/** `window.AgentBar`, which the loader sets. */
export interface AgentBarGlobal {
  connect: typeof connect;
  defineAgentBar: typeof defineAgentBar;
  AgentBarClient: typeof AgentBarClient;
  AgentBarError: typeof AgentBarError;
  AgentBarElement: typeof AgentBarElement;
  PROTOCOL: ProtocolVersion;
  /** = AgentBarClient */
  Client: typeof AgentBarClient;
  /** = AgentBarError */
  Error: typeof AgentBarError;
}

declare global {
  /** `<agent-bar>`, from the agentbar loader. */
  interface AgentBarElement extends AgentBarElementInterface {}
  interface HTMLElementTagNameMap {
    'agent-bar': AgentBarElement;
  }
  /** Set by the loader (the classic script and the module alike). */
  var AgentBar: AgentBarGlobal;
}

// Only what is marked `export` above is exported (not the helpers).
export {};
