// The release dist/: one wasm per vendor, and a boot script that loads the deployment's, so a
// CC-Gateway site never downloads the CCC code and the other way round (issue 14).
//
//   node scripts/build-dist.mjs            the page with Trunk, each vendor's wasm split, then dist/
//
// The page (index.html, CSS, the CSP hook) is one Trunk release build. Each vendor's wasm is
// built with `--features split`: wasm-split-cli cuts it at the engine's split point
// (src/runtime/engine.rs) into the first load (the sign-in screen) and the engine (fetched at
// sign-in, or at once when there is a session to carry on with); wasm-bindgen
// (--keep-lld-exports: the engine links against the first load's exports) and wasm-opt follow,
// as cargo-leptos does for Leptos' own `#[lazy]`; esbuild minifies the JS. Each vendor's
// files go in a directory named by their hash (the engine is fetched relative to the glue).
// dist/ is the page with Trunk's own wasm and preload links dropped (which wasm is not known
// before the vendor is) and its boot script replaced by one that picks: `?vendor=` when the
// link names one (as the toolbar itself does), else agentbar.json's `vendor`, else huawei.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const VENDORS = ['huawei', 'aliyun'];
// The browser phone (issue 16) is a build of its own per vendor, loaded only when
// agentbar.json configures `softphone`; AGENTBAR_VOICE_VENDORS picks which (default: both).
const VOICE = (process.env.AGENTBAR_VOICE_VENDORS ?? 'huawei,aliyun').split(',').filter(Boolean);
const VARIANTS = [
  ...VENDORS.map((v) => ({ name: v, features: v })),
  ...VOICE.map((v) => ({ name: `${v}-voice`, features: `${v},softphone` })),
];
const DIST = join(ROOT, 'dist');
// Its own target directory: the split build links with relocations kept (wasm-split-cli reads
// them), and sharing target/ with Trunk's build would rebuild every crate at each switch.
const SPLIT_TARGET = join(ROOT, 'target', 'split');
// wasm32's flags from .cargo/config.toml, plus the relocations.
const configFlags = [...readFileSync(join(ROOT, '.cargo', 'config.toml'), 'utf8').matchAll(/^rustflags = \[(.*)\]$/gm)]
  .flatMap((m) => JSON.parse(`[${m[1]}]`));
const RUSTFLAGS = [...configFlags, '-Clink-args=--emit-relocs'].join(' ');
const WASM_OPT_FLAGS = ['-Oz', '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext',
  '--enable-reference-types', '--enable-mutable-globals', '--strip-debug', '--strip-producers'];

const run = (cmd, args, env = {}) =>
  execFileSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });

const page = join(ROOT, 'target', 'dist-page');
if (!process.env.AGENTBAR_REUSE_VENDOR_BUILDS) {
  console.error('[agentbar] trunk build --release (the page)');
  // In the split builds' target directory, with their flags: the crates are built once for
  // both (Trunk's own wasm is not shipped; the page is what this build is for).
  run('trunk', ['build', '--release', '--no-default-features', '--features', VENDORS[0], '--dist', page],
    { CARGO_TARGET_DIR: SPLIT_TARGET, CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS: RUSTFLAGS });
}

const builds = {};
for (const { name: vendor, features } of VARIANTS) {
  const out = join(SPLIT_TARGET, `dist-${vendor}`);
  if (!process.env.AGENTBAR_REUSE_VENDOR_BUILDS) {
    console.error(`[agentbar] cargo build --release (features ${features},split), wasm-split, wasm-bindgen, wasm-opt`);
    run('cargo', ['build', '--release', '--target', 'wasm32-unknown-unknown', '-p', 'agentbar', '--bin', 'agentbar',
      '--no-default-features', '--features', `${features},split`, '--target-dir', SPLIT_TARGET],
    { CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS: RUSTFLAGS });
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    run('wasm-split-cli', ['--out-name', 'agentbar', join(SPLIT_TARGET, 'wasm32-unknown-unknown', 'release', 'agentbar.wasm'), out]);
    run('wasm-bindgen', ['--target', 'web', '--keep-lld-exports', '--no-typescript', '--out-dir', out, '--out-name', 'agentbar',
      join(out, 'agentbar.wasm')]);
    rmSync(join(out, 'agentbar.wasm'));
    for (const f of readdirSync(out).filter((f) => f.endsWith('.wasm'))) {
      run('wasm-opt', [...WASM_OPT_FLAGS, join(out, f), '-o', join(out, f)]);
    }
    // The glue and the split loader, minified (names a module exports or imports stay).
    for (const f of readdirSync(out).filter((f) => f.endsWith('.js'))) {
      run('esbuild', [join(out, f), '--minify', '--format=esm', '--log-level=warning', `--outfile=${join(out, f)}`, '--allow-overwrite']);
    }
  }
  const files = readdirSync(out).sort();
  if (!files.includes('agentbar.js') || !files.includes('agentbar_bg.wasm')) throw new Error(`no wasm or glue in ${out}`);
  const hash = createHash('sha256');
  for (const f of files) hash.update(f).update(readFileSync(join(out, f)));
  builds[vendor] = { out, files, dir: `wasm-${vendor}-${hash.digest('hex').slice(0, 16)}` };
}

rmSync(DIST, { recursive: true, force: true });
mkdirSync(DIST);
for (const f of readdirSync(page)) {
  if (!/^boot-.*\.js$/.test(f) && !/^agentbar-[0-9a-f]+(_bg\.wasm|\.js)$/.test(f)) cpSync(join(page, f), join(DIST, f));
}
for (const { out, files, dir } of Object.values(builds)) {
  mkdirSync(join(DIST, dir));
  for (const f of files) cpSync(join(out, f), join(DIST, dir, f));
}

const table = Object.fromEntries(
  Object.entries(builds).map(([v, b]) => [v, { js: `/${b.dir}/agentbar.js`, wasm: `/${b.dir}/agentbar_bg.wasm` }]),
);
const boot = `// Generated by scripts/build-dist.mjs: loads the wasm of the deployment's vendor.
const builds = ${JSON.stringify(table)};
const named = (v) => (v === 'ccc' ? 'aliyun' : v);
const asked = new URLSearchParams(location.search).get('vendor');
let d = {};
try {
  const r = await fetch('/agentbar.json', { cache: 'no-cache' });
  if (r.ok) {
    const text = await r.text();
    // The toolbar reads the same file: hand it the text rather than fetch it a second time.
    globalThis.agentbarDeploymentText = text;
    d = JSON.parse(text);
  }
} catch {
  /* no deployment file, or not JSON: the defaults here, and the toolbar says why */
}
let vendor = named(asked ?? d.vendor);
if (!builds[vendor]) vendor = 'huawei';
// The browser phone's build only where the deployment configures one.
if (d && d.softphone && builds[vendor + '-voice']) vendor += '-voice';
const { default: init } = await import(builds[vendor].js);
const wasm = await init({ module_or_path: builds[vendor].wasm });
dispatchEvent(new CustomEvent('TrunkApplicationStarted', { detail: { wasm, vendor } }));
`;
const hash = createHash('sha384').update(boot).digest();
const bootName = `boot-${hash.toString('hex').slice(0, 16)}.js`;
writeFileSync(join(DIST, bootName), boot);

let html = readFileSync(join(page, 'index.html'), 'utf8');
const tag = /<script type="module" src="\/boot-[0-9a-f]+\.js"[^>]*><\/script>/;
if (!tag.test(html)) throw new Error('no boot script in the Trunk page');
html = html.replace(
  tag,
  `<script type="module" src="/${bootName}" integrity="sha384-${hash.toString('base64')}" crossorigin="anonymous"></script>`,
);
html = html.replace(/<link rel="(?:modulepreload|preload)" href="\/agentbar-[^>]*>/g, '');
if (/agentbar-[0-9a-f]+(_bg\.wasm|\.js)/.test(html)) throw new Error('a vendor build is still linked from index.html');
writeFileSync(join(DIST, 'index.html'), html);
console.error(`[agentbar] dist/: ${Object.entries(builds).map(([v, b]) => `${v} ${b.dir}/ (${b.files.join(', ')})`).join('; ')}`);
