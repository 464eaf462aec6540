#!/usr/bin/env python3
"""Groups twiggy's `top` (CSV) by the crate or module that owns each item, so a size profile
reads as "tachys 250 KB, serde 190 KB" instead of 4,000 mangled names.
Usage: twiggy top -n 100000 --format csv named.wasm | scripts/wasm-crates.py [depth]"""
import csv, re, sys
from collections import Counter

depth = int(sys.argv[1]) if len(sys.argv) > 1 else 1
sizes = Counter()
for row in csv.DictReader(sys.stdin):
    name, size = row['Name'], int(row['ShallowSize'])
    if 'function names' in name or name.startswith('"'):
        continue
    if name.startswith('data segment'):
        key = 'data'
    elif name.startswith(('type[', 'import ', 'export ', 'table[', 'elem[', 'global[', 'code[', 'memory[')):
        key = name.split('[')[0].split(' ')[0]
    else:
        # `<A as B>::f` belongs to A (the type whose code it is); generic impls to their trait crate.
        m = re.match(r'<?&?(?:mut )?(?:dyn )?([A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*)', name)
        path = m.group(1).split('::') if m else ['?']
        if path[0] in ('T', 'F', 'C', 'I', 'E', 'V', 'A') and ' as ' in name:
            path = re.split(r' as ', name, 1)[1].lstrip('&').split('::')
        key = '::'.join(path[:depth])
    sizes[key] += size
total = sum(sizes.values())
for key, size in sizes.most_common(int(sys.argv[2]) if len(sys.argv) > 2 else 30):
    print(f'{size:>9}  {100*size/total:5.1f}%  {key}')
print(f'{total:>9}  total (code and data, no name section)')
