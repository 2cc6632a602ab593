// The shipped per-region catalogs (data/regions/*.json.gz, data/gen/ec2_regions.py): every
// commercial region moto knows, loaded lazily, each internally consistent; a region with no
// file is an error that names the regions there are.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hasRegionCatalog, loadRegionCatalog, NoRegionCatalogError, shippedRegions } from '../../../data/catalog.ts';

const REGIONS_DIR = fileURLToPath(new URL('../../../data/regions/', import.meta.url));

test('a catalog is shipped for 30 regions, us-east-1 among them', () => {
  const regions = shippedRegions();
  expect(regions).toHaveLength(30);
  expect(regions).toEqual(expect.arrayContaining(['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2', 'ap-northeast-1', 'sa-east-1', 'me-central-1', 'il-central-1']));
});

test('the region files stay compact: under 150 KB together, gzipped', () => {
  const total = readdirSync(REGIONS_DIR).reduce((sum, f) => sum + statSync(REGIONS_DIR + f).size, 0);
  expect(total).toBeLessThan(150_000);
});

test.each(shippedRegions())('%s: every offered type has specs, zones of the region and no stray zone', (region) => {
  const { raw } = loadRegionCatalog(region);
  expect(raw.instanceTypes.length).toBeGreaterThan(200);
  for (const t of raw.instanceTypes) {
    expect(t.zones.length).toBeGreaterThan(0);
    for (const z of t.zones) expect(z.startsWith(region)).toBe(true);
    expect(t.memoryMiB).toBeGreaterThan(0);
    expect(['amd64', 'arm64']).toContain(t.arch);
  }
});

test('a region with no file is a NoRegionCatalogError naming the shipped regions', () => {
  expect(hasRegionCatalog('mx-central-1')).toBe(false);
  expect(() => loadRegionCatalog('mx-central-1')).toThrow(NoRegionCatalogError);
  expect(() => loadRegionCatalog('mx-central-1')).toThrow(/no EC2 catalog is shipped for region "mx-central-1" \(data\/regions\/ has af-south-1, .*us-west-2\)/);
  // Not a path: a name that is not a region never reaches the file system.
  expect(hasRegionCatalog('../ec2-us-east-1')).toBe(false);
});
