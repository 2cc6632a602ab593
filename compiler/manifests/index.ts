// The parser and validator of generated manifests, for the reconciler's IntentSource and
// for `joinery plan`: `parseIntentManifests('generated')` or `parseIntentManifests(files)`.
export {
  parseIntentManifests,
  parseIntentManifestFiles,
  type ManifestFile,
  type ManifestError,
  type IntentParseResult,
} from './parse.ts';
export { NO_NODE_POOLS_API_VERSION, NO_NODE_POOLS_KIND, NO_NODE_POOLS_FILE, NO_NODE_POOLS_CONTENT, declaresNoNodePools } from './no-node-pools.ts';
