// The reconciler image starts from a reviewed base: every FROM in the Dockerfile resolves to
// an image pinned by digest (directly, or through an ARG whose default is), so a moved tag
// cannot change what ships. A stage built FROM another stage of the same file is fine.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DOCKERFILE = fileURLToPath(new URL('../../../Dockerfile', import.meta.url));
const DIGEST = /@sha256:[0-9a-f]{64}$/;

/** The image each FROM line names, with `${ARG}` replaced by the ARG's default. */
function baseImages(text: string): string[] {
  const args = new Map<string, string>();
  const stages = new Set<string>();
  const images: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const arg = /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)=(\S+)$/.exec(line);
    if (arg) args.set(arg[1]!, arg[2]!);
    const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (!from) continue;
    const image = from[1]!.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_m, name: string) => args.get(name) ?? `<unset ${name}>`);
    if (!stages.has(image)) images.push(image);
    if (from[2]) stages.add(from[2]);
  }
  return images;
}

test('every base image of the reconciler image is pinned by digest', () => {
  const images = baseImages(readFileSync(DOCKERFILE, 'utf8'));
  expect(images.length).toBeGreaterThan(0);
  expect(images.filter((image) => !DIGEST.test(image))).toEqual([]);
});

test('the check refuses a tag', () => {
  expect(baseImages('ARG NODE_IMAGE=node:20-alpine\nFROM ${NODE_IMAGE} AS deps\nFROM deps\n')).toEqual(['node:20-alpine']);
});
