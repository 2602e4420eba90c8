// Checks Kubernetes objects against their schemas, two ways:
//   1. kubernetes-models' JSON-schema validators (types, required fields, enums, formats) for
//      the Kubernetes API, the Prometheus Operator's CRDs and KEDA's;
//   2. the TypeScript compiler over each object as a typed literal of that model's interface,
//      which rejects unknown fields anywhere in it (a misspelt "readinesProbe" passes 1 but
//      would be dropped, or refused, by the API server).
//
//   node validate.js objects.json     (a JSON array of objects)
//
// Prints "ok <apiVersion> <kind> <name>" per object, or what is wrong; exits 1 if anything is.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

// apiVersion group -> the npm package whose models cover it.
const PACKAGES = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
  'keda.sh': '@kubernetes-models/keda',
};

// "apps/v1" + Deployment -> "kubernetes-models/apps/v1/Deployment".
function modulePath(obj) {
  const group = obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : '';
  return `${PACKAGES[group] || 'kubernetes-models'}/${obj.apiVersion}/${obj.kind}`;
}

function describe(obj) {
  return `${obj.apiVersion} ${obj.kind} ${(obj.metadata || {}).name}`;
}

function main() {
  const objects = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  let failed = false;
  const typed = [];
  objects.forEach((obj, i) => {
    let model;
    try {
      model = require(modulePath(obj));
    } catch (e) {
      console.log(`FAIL ${describe(obj)}: no schema (${modulePath(obj)})`);
      failed = true;
      return;
    }
    try {
      new model[obj.kind](obj).validate();
    } catch (e) {
      console.log(`FAIL ${describe(obj)}: ${e.message}`);
      failed = true;
      return;
    }
    typed.push({ i, obj });
  });

  // One .ts file: `const o3: IDeployment = {...};` per object. It lives in a temp dir whose
  // node_modules points here, so the imports resolve to the same packages.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-schema-'));
  try {
    fs.symlinkSync(path.resolve(__dirname, 'node_modules'), path.join(dir, 'node_modules'));
    const lines = typed.map(({ i, obj }) =>
      `import type { I${obj.kind} as T${i} } from "${modulePath(obj)}";\n` +
      `export const o${i}: T${i} = ${JSON.stringify(obj)};`);
    fs.writeFileSync(path.join(dir, 'objects.ts'), lines.join('\n') + '\n');
    const tsc = path.resolve(__dirname, 'node_modules', 'typescript', 'bin', 'tsc');
    try {
      execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck',
        '--preserveSymlinks', '--target', 'es2020', '--module', 'commonjs',
        '--moduleResolution', 'node', path.join(dir, 'objects.ts')], { cwd: dir, stdio: 'pipe' });
    } catch (e) {
      const out = e.stdout.toString();
      // objects.ts(<line>,<col>): error ...: line 2i+2 is object i.
      for (const m of out.matchAll(/objects\.ts\((\d+),\d+\): (error .*)/g)) {
        const obj = typed[Math.floor((Number(m[1]) - 1) / 2)].obj;
        console.log(`FAIL ${describe(obj)}: ${m[2]}`);
      }
      if (!/objects\.ts\(/.test(out)) console.log(`FAIL tsc: ${out}`);
      failed = true;
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (!failed) typed.forEach(({ obj }) => console.log(`ok ${describe(obj)}`));
  process.exit(failed ? 1 : 0);
}

main();
