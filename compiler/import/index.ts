// `joinery import`: Karpenter manifests (files, directories or a live cluster) to typed policies.
export { readManifestPaths, readManifestText, ImportInputError, type ImportedObject } from './read.ts';
export { readClusterObjects } from './live.ts';
export { importObjects, writeImportedFiles, ImportConflictError, type ImportReport, type ImportOptions } from './import.ts';
export { renderImportReport } from './report.ts';
