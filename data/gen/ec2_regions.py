#!/usr/bin/env python3
"""Regenerates data/regions/<region>.json.gz, the per-region EC2 catalogs, from the
instance-type and offering data the moto project ships (Apache-2.0).

    python3 data/gen/ec2_regions.py --moto <path to the installed moto package> [--check]

moto is installed by the test environment (test/env/setup.sh, a virtualenv under
~/.cache/joinery-testenv/<hash>/venv); `pip install moto==5.2.5` anywhere works too:
    --moto "$(python3 -c 'import moto, os; print(os.path.dirname(moto.__file__))')"

Each region file holds, compactly:
  zones      the region's availability zones (moto's instance_type_offerings/availability-zone)
  offerings  instance type -> indexes into zones where it is offered
  types      full records (data/README.md's fields, no price) of the types offered in the
             region that data/ec2-us-east-1.json does not describe
Types moto offers but does not describe, and mac instances, are left out (meta.skipped).
The specs of every other type are data/ec2-us-east-1.json's (instance type specs are the
same in every region). No prices: see data/README.md for the price model of each region.

--check compares moto's data with data/ec2-us-east-1.json (specs and us-east-1 zones) and
prints every difference, so a moto upgrade shows what it changes before it is written.
"""
import argparse
import gzip
import json
import os
import sys

DATA = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
ARCH = {'x86_64': 'amd64', 'arm64': 'arm64'}


def record(t):
    """One moto DescribeInstanceTypes entry as a data/README.md record (no zones, no price)."""
    proc = t.get('ProcessorInfo') or {}
    archs = [ARCH[a] for a in proc.get('SupportedArchitectures', []) if a in ARCH]
    gpus = ((t.get('GpuInfo') or {}).get('Gpus') or [])
    neuron = ((t.get('NeuronInfo') or {}).get('NeuronDevices') or [])
    net = t.get('NetworkInfo') or {}
    storage = t.get('InstanceStorageInfo') or {}
    return {
        'name': t['InstanceType'],
        'vcpu': t['VCpuInfo']['DefaultVCpus'],
        'memoryMiB': t['MemoryInfo']['SizeInMiB'],
        'arch': archs[0] if archs else None,
        'manufacturer': proc.get('Manufacturer'),
        'gpu': {
            'count': gpus[0]['Count'],
            'manufacturer': gpus[0]['Manufacturer'],
            'name': gpus[0]['Name'],
            'memoryMiB': gpus[0]['MemoryInfo']['SizeInMiB'],
        } if gpus else None,
        'neuron': {'count': neuron[0]['Count'], 'name': neuron[0]['Name']} if neuron else None,
        'maxNetworkInterfaces': net.get('MaximumNetworkInterfaces'),
        'ipv4PerInterface': net.get('Ipv4AddressesPerInterface'),
        'networkPerformance': net.get('NetworkPerformance'),
        'instanceStorageGB': storage.get('TotalSizeInGB', 0),
        'bareMetal': bool(t.get('BareMetal')),
        'hypervisor': t.get('Hypervisor'),
        'burstable': bool(t.get('BurstablePerformanceSupported')),
        'currentGeneration': bool(t.get('CurrentGeneration')),
        'usageClasses': sorted(t.get('SupportedUsageClasses', [])),
    }


def load_gz(path):
    with gzip.open(path, 'rt', encoding='utf-8') as f:
        return json.load(f)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--moto', required=True, help='directory of the installed moto package')
    parser.add_argument('--check', action='store_true', help='compare with data/ec2-us-east-1.json, write nothing')
    args = parser.parse_args()
    resources = os.path.join(args.moto, 'ec2', 'resources')
    version = 'unknown'
    try:
        sys.path.insert(0, os.path.dirname(args.moto))
        import moto  # noqa: E402
        version = moto.__version__
    except Exception:  # the data is read from files; the version is only for the provenance note
        pass

    specs = {name: record(t) for name, t in load_gz(os.path.join(resources, 'instance_types.json.gz')).items()}
    with open(os.path.join(DATA, 'ec2-us-east-1.json'), encoding='utf-8') as f:
        use1 = {t['name']: t for t in json.load(f)['instanceTypes']}

    offerings_dir = os.path.join(resources, 'instance_type_offerings', 'availability-zone')
    regions = sorted(f[: -len('.json.gz')] for f in os.listdir(offerings_dir) if f.endswith('.json.gz'))

    if args.check:
        differences = 0
        for name, shipped in sorted(use1.items()):
            spec = specs.get(name)
            if spec is None:
                print(f'{name}: in data/ec2-us-east-1.json, not in moto {version}')
                differences += 1
                continue
            for key, value in spec.items():
                if shipped.get(key) != value:
                    print(f'{name}.{key}: shipped {shipped.get(key)!r}, moto {value!r}')
                    differences += 1
        zones = {}
        for o in load_gz(os.path.join(offerings_dir, 'us-east-1.json.gz')):
            zones.setdefault(o['InstanceType'], set()).add(o['Location'])
        for name, shipped in sorted(use1.items()):
            if sorted(zones.get(name, ())) != shipped['zones']:
                print(f'{name}.zones: shipped {shipped["zones"]}, moto {sorted(zones.get(name, ()))}')
                differences += 1
        print(f'{differences} differences between moto {version} and data/ec2-us-east-1.json')
        return 1 if differences else 0

    out_dir = os.path.join(DATA, 'regions')
    os.makedirs(out_dir, exist_ok=True)
    for region in regions:
        if region == 'us-east-1':
            continue  # data/ec2-us-east-1.json, with its prices
        by_type = {}
        for o in load_gz(os.path.join(offerings_dir, f'{region}.json.gz')):
            by_type.setdefault(o['InstanceType'], set()).add(o['Location'])
        # Only types moto describes (a type without specs cannot be scheduled on), and only
        # x86_64 or arm64 ones (mac instances, x86_64_mac/arm64_mac, run no EKS node; the
        # us-east-1 file has none either).
        unknown = sorted(t for t in by_type if t not in specs or specs[t]['arch'] is None)
        for t in unknown:
            del by_type[t]
        zones = sorted({z for zs in by_type.values() for z in zs})
        index = {z: i for i, z in enumerate(zones)}
        doc = {
            'meta': {
                'region': region,
                'count': len(by_type),
                'sources': {
                    'zones': f'DescribeInstanceTypeOfferings (location-type availability-zone) for {region} as shipped by moto {version} (Apache-2.0)',
                    'specs': f'data/ec2-us-east-1.json for the types it describes; the others (types) from DescribeInstanceTypes as shipped by moto {version}',
                },
                'skipped': unknown,
                'generator': 'data/gen/ec2_regions.py',
            },
            'zones': zones,
            'offerings': {t: sorted(index[z] for z in by_type[t]) for t in sorted(by_type)},
            'types': [specs[t] for t in sorted(by_type) if t not in use1],
        }
        text = json.dumps(doc, separators=(',', ':'), sort_keys=False) + '\n'
        path = os.path.join(out_dir, f'{region}.json.gz')
        # mtime 0: the same input writes the same bytes.
        with open(path, 'wb') as raw, gzip.GzipFile(filename='', mode='wb', fileobj=raw, mtime=0, compresslevel=9) as f:
            f.write(text.encode('utf-8'))
        print(f'{path}: {len(by_type)} types in {len(zones)} zones, {len(doc["types"])} not in us-east-1, {len(unknown)} skipped (no specs, or not x86_64/arm64)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
