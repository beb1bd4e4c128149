import * as esbuild from 'esbuild';
const entry = process.argv[2];
const r = await esbuild.build({ entryPoints: [entry], bundle: true, minify: true, format: 'iife', platform: 'browser', target: 'es2022', write: false, metafile: true, outfile: '/tmp/x.js' });
const out = Object.values(r.metafile.outputs)[0];
const by = {};
for (const [f, v] of Object.entries(out.inputs)) {
  let k = f;
  const i = f.lastIndexOf('node_modules/');
  if (i >= 0) k = f.slice(i + 13);
  k = k.replace('@vscode-elements/elements/dist/', '').split('/').slice(0, 2).join('/');
  by[k] = (by[k] || 0) + v.bytesInOutput;
}
console.log('total', out.bytes);
console.log(Object.entries(by).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join('\n'));
