// Types of the ES module (agentbar-embed.mjs): the same as the classic script's.
export * from './agentbar-embed.js';
