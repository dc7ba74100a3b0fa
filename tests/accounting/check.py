#!/usr/bin/python3
"""Every corpus file: the reader's lines, counted independently here, each
end in exactly one bucket (records + headers + blanks + errors == lines).

usage: check.py FLOWLOG FILE_OR_DIR...   (TAP output; stdlib only)

A line is what the reader reads a record from: a physical line of the text
(after gzip), one logEvent of a CloudWatch Logs subscription document (one
event or result row of the AWS CLI's filter-log-events, get-log-events or
get-query-results output), one
line of NDJSON or of the console's CSV export (its header included).
"""
import base64
import json
import os
import re
import subprocess
import sys
import zlib


def decompress(data):
    """Every gzip member, as far as it decodes (a damaged tail ends it)."""
    out = bytearray()
    while data[:2] == b'\x1f\x8b':
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out += d.decompress(data)
        except zlib.error:
            return bytes(out), True
        if not d.eof:
            return bytes(out), True
        data = d.unused_data
    return bytes(out), bool(data)


def physical_lines(data):
    if not data:
        return 0
    n = data.count(b'\n')
    return n + (0 if data.endswith(b'\n') else 1)


def parquet_rows(data):
    """The rows a Parquet file's footer says it has (FileMetaData.num_rows,
    read with a Thrift compact-protocol walk of our own), or None when the
    footer is damaged."""
    if len(data) < 12 or data[-4:] != b'PAR1':
        return None
    n = int.from_bytes(data[-8:-4], 'little')
    if n > len(data) - 12:
        return None
    buf, pos = data[-8 - n:-8], [0]

    def byte():
        b = buf[pos[0]]
        pos[0] += 1
        return b

    def varint():
        v = shift = 0
        while True:
            b = byte()
            v |= (b & 0x7f) << shift
            shift += 7
            if not b & 0x80:
                return v

    def skip(t):
        if t in (1, 2):
            return
        if t == 3:
            byte()
        elif t in (4, 5, 6):
            varint()
        elif t == 7:
            pos[0] += 8
        elif t == 8:
            length = varint()  # before pos is read: varint moves it
            pos[0] += length
        elif t in (9, 10):
            h = byte()
            size = h >> 4 if h >> 4 != 15 else varint()
            for _ in range(size):
                skip(h & 0x0f)
        elif t == 11:
            size = varint()
            if size:
                kv = byte()
                for _ in range(size):
                    skip(kv >> 4)
                    skip(kv & 0x0f)
        elif t == 12:
            last = 0
            while True:
                h = byte()
                if h == 0:
                    return
                last = last + (h >> 4) if h >> 4 else varint()
                skip(h & 0x0f)
        else:
            raise ValueError('bad type')

    try:
        last = 0
        while True:
            h = byte()
            if h == 0:
                return None
            fid = last + (h >> 4) if h >> 4 else (lambda z: (z >> 1) ^ -(z & 1))(varint())
            last = fid
            if fid == 3 and h & 0x0f == 6:
                z = varint()
                return (z >> 1) ^ -(z & 1)
            skip(h & 0x0f)
    except (IndexError, ValueError):
        return None


def expected_lines(data):
    """The lines of a whole, undamaged input; None when the file is damaged
    (a damaged input's lines are what decoded before the damage)."""
    damaged = False
    if data[:4] == b'PAR1':
        # a Parquet file is read as its text twin: a header line of its
        # columns, then a line per row
        rows = parquet_rows(data)
        return None if rows is None else rows + 1
    if data[:2] == b'\x1f\x8b':
        data, damaged = decompress(data)
        if damaged:
            return None
    text = data.lstrip()
    if re.match(rb'^[A-Za-z0-9+/=\s]+$', text) and len(text) > 16:
        try:
            raw = base64.b64decode(text, validate=False)
            if raw[:2] == b'\x1f\x8b':
                return expected_lines(raw)
        except ValueError:
            pass
    if text[:1] == b'{':
        try:
            doc = json.loads(data)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            for key in ('logEvents', 'events', 'results'):
                if isinstance(doc.get(key), list):
                    return len(doc[key])
        if doc is None:
            # A damaged document is one error however many lines it spans;
            # NDJSON with damage is one line per object. Both are checked
            # by the bucket sum only.
            return None
    return physical_lines(data)


def stats(flowlog, path):
    p = subprocess.run([flowlog, 'parse', '--stats', path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    last = p.stderr.decode('utf-8', 'replace').strip().split('\n')[-1]
    return {k: int(v) for k, v in re.findall(r'([a-z-]+) (\d+)', last)}


def main():
    flowlog = sys.argv[1]
    files = []
    for arg in sys.argv[2:]:
        if os.path.isdir(arg):
            for root, _, names in os.walk(arg):
                files += [os.path.join(root, n) for n in names]
        elif os.path.exists(arg):
            files.append(arg)
    # The VPC configurations beside the logs (config/*/describe-*.json, the
    # AWS CLI's output) are not flow logs.
    files = sorted(f for f in files if not f.endswith(('.md', 'MANIFEST', '.fmt', '.query', '.state', '.mjs'))
                   and os.sep + 'config' + os.sep not in f)
    print('1..%d' % len(files))
    failed = 0
    for i, f in enumerate(files, 1):
        s = stats(flowlog, f)
        buckets = s.get('records', -1) + s.get('headers', 0) + s.get('blanks', 0) + s.get('errors', 0)
        data = open(f, 'rb').read()
        want = expected_lines(data)
        if data[:4] == b'PAR1' and s.get('input-errors', 0):
            want = None  # a damaged Parquet file: its lines are the rows decoded before the damage
        good = buckets == s.get('lines', -2) and (want is None or want == s['lines'])
        if not good:
            failed += 1
        print('%s %d - %s: %s lines (%s counted here), %d in buckets' % (
            'ok' if good else 'not ok', i, f, s.get('lines'), 'not' if want is None else want, buckets))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
