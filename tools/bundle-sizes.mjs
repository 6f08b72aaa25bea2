// Prints the size of each Lambda function's bundle in a synthesized cloud assembly:
//   npx cdk synth -q -o <dir> && node tools/bundle-sizes.mjs <dir>
// One line per function: its logical id (without CDK's hash suffix), a tab, the bytes of its asset's index.js,
// found through the function's Code.S3Key in the template (an asset folder is named by its hash, not its function).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';

const dir = process.argv[2];
if (!dir || !existsSync(dir)) {
  console.error('usage: node tools/bundle-sizes.mjs <cdk.out directory>');
  process.exit(2);
}
const rows = [];
for (const file of readdirSync(dir).filter((f) => f.endsWith('.template.json'))) {
  const template = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8'));
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    const key = resource.Type === 'AWS::Lambda::Function' ? resource.Properties?.Code?.S3Key : undefined;
    if (typeof key !== 'string') continue;
    const bundle = `${dir}/asset.${key.replace(/\.zip$/, '')}/index.js`;
    if (existsSync(bundle)) rows.push([id.replace(/[0-9A-F]{8}$/, ''), statSync(bundle).size]);
  }
}
rows.sort((a, b) => a[0].localeCompare(b[0]));
for (const [id, size] of rows) console.log(`${id}\t${size}`);
