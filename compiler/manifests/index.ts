// The parser and validator of generated manifests, for the reconciler's IntentSource and
// for `joinery plan`: `parseIntentManifests('generated')` or `parseIntentManifests(files)`.
export {
  parseIntentManifests,
  parseIntentManifestFiles,
  pointerToField,
  type ManifestFile,
  type ParsedManifest,
  type OtherManifest,
  type IntentManifests,
  type ManifestError,
  type IntentParseResult,
} from './parse.ts';
export { schemaProblems, type SchemaProblem } from './schema.ts';
export { semanticProblems } from './semantic-rules.ts';
