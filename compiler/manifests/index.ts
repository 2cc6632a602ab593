// The parser and validator of generated manifests, for the reconciler's IntentSource and
// for `joinery plan`: `parseIntentManifests('generated')` or `parseIntentManifests(files)`.
export {
  parseIntentManifests,
  parseIntentManifestFiles,
  type ManifestFile,
  type ManifestError,
  type IntentParseResult,
} from './parse.ts';
