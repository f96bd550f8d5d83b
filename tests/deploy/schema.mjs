// Offline schema validation of rendered Kubernetes objects, in two passes:
//
//  1. kubernetes-models' validators (JSON schema from the Kubernetes OpenAPI
//     spec, and the Prometheus Operator's CRDs): required fields, types, enums,
//     formats.
//  2. The same package's TypeScript declarations, through the TypeScript
//     compiler: every object becomes a typed object literal, so a field the API
//     does not have (a typo such as `readinesProbe`, or a field at the wrong
//     level) is an "excess property" error. The JSON schemas allow unknown
//     fields, the API server's strict field validation does not.
//
// Used by deploy_test.mjs; no cluster involved.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ts = require('typescript');

// apiVersion -> the package folder that holds its models.
function modelModule(apiVersion, kind) {
  if (apiVersion === 'monitoring.coreos.com/v1') {
    return `@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/${kind}`;
  }
  return `kubernetes-models/${apiVersion}/${kind}`;
}

function describe(obj) {
  return `${obj.kind}/${obj.metadata?.name ?? '?'}`;
}

// Pass 1. Returns a list of error strings.
export async function validateWithModels(objects) {
  const errors = [];
  for (const obj of objects) {
    let Model;
    try {
      Model = (await import(modelModule(obj.apiVersion, obj.kind)))[obj.kind];
    } catch {
      errors.push(`${describe(obj)}: no model for apiVersion ${obj.apiVersion} kind ${obj.kind}`);
      continue;
    }
    try {
      new Model(obj).validate();
    } catch (err) {
      errors.push(`${describe(obj)}: ${err.message}`);
    }
  }
  return errors;
}

// Pass 2. Returns a list of error strings (TypeScript's diagnostics, with the
// object they are about).
export function checkKnownFields(objects) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-k8s-types-'));
  try {
    const lines = [];
    const owners = [];  // line number -> object
    objects.forEach((obj, i) => {
      const declaration = require.resolve(modelModule(obj.apiVersion, obj.kind))
        .replace(/\.js$/, '');
      lines.push(`import type { I${obj.kind} as T${i} } from ${JSON.stringify(declaration)};`);
    });
    objects.forEach((obj, i) => {
      const start = lines.length;
      lines.push(`export const o${i}: T${i} = ${JSON.stringify(obj, null, 2)};`.split('\n'));
      lines.splice(start, 1, ...lines[start]);
      for (let l = start; l < lines.length; ++l) owners[l] = obj;
    });
    const file = path.join(dir, 'objects.ts');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      types: [],
    });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (!d.file) return message;
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      const owner = owners[line];
      const where = owner ? describe(owner) : path.basename(d.file.fileName);
      return `${where}: ${d.file === program.getSourceFile(file) ? lines[line].trim() + ': ' : ''}${message}`;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
