#!/usr/bin/python3
"""Writes the malformed Parquet cases of tests/data/bad (run from that folder): small
files made field by field in Thrift's compact protocol, each wrong in one
way, and a good file cut or re-ended. Made for this project."""
import struct


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7f
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def zz(v):
    return varint((v << 1) ^ (v >> 63))


class Struct:
    """Fields in order: (id, kind, value); kinds i32, i64, bin, struct, list."""

    def __init__(self, *fields):
        self.fields = fields

    def encode(self):
        out, last = bytearray(), 0
        for fid, kind, value in self.fields:
            t = {'i32': 5, 'i64': 6, 'bin': 8, 'list': 9, 'struct': 12}[kind]
            out.append(((fid - last) << 4) | t)
            last = fid
            if kind in ('i32', 'i64'):
                out += zz(value)
            elif kind == 'bin':
                out += varint(len(value)) + value
            elif kind == 'struct':
                out += value.encode()
            else:
                elem, items = value
                et = {'i32': 5, 'bin': 8, 'struct': 12}[elem]
                out.append((len(items) << 4 | et) if len(items) < 15 else (0xf0 | et))
                if len(items) >= 15:
                    out += varint(len(items))
                for it in items:
                    out += zz(it) if elem == 'i32' else (varint(len(it)) + it) if elem == 'bin' else it.encode()
        out.append(0)
        return bytes(out)


def page_header(kind, uncompressed, compressed, values, encoding):
    sub = Struct((1, 'i32', values), (2, 'i32', encoding), (3, 'i32', 3), (4, 'i32', 3))
    fid = 7 if kind == 2 else 5
    if kind == 2:
        sub = Struct((1, 'i32', values), (2, 'i32', encoding))
    return Struct((1, 'i32', kind), (2, 'i32', uncompressed), (3, 'i32', compressed), (fid, 'struct', sub)).encode()


def parquet(column, ptype, pages, rows, dict_offset=0):
    """One required column in one row group: pages is the bytes of its pages."""
    body = b'PAR1' + pages
    # dict_offset: where the data page starts after a dictionary page (0: none)
    meta = Struct((1, 'i32', ptype), (2, 'list', ('i32', [0])), (3, 'list', ('bin', [column])), (4, 'i32', 0),
                  (5, 'i64', rows), (6, 'i64', len(pages)), (7, 'i64', len(pages)), (9, 'i64', 4 + dict_offset),
                  *([(11, 'i64', 4)] if dict_offset else []))
    chunk = Struct((2, 'i64', 4), (3, 'struct', meta))
    group = Struct((1, 'list', ('struct', [chunk])), (2, 'i64', len(pages)), (3, 'i64', rows))
    schema = [Struct((4, 'bin', b'schema'), (5, 'i32', 1)), Struct((1, 'i32', ptype), (3, 'i32', 0), (4, 'bin', column))]
    footer = Struct((1, 'i32', 1), (2, 'list', ('struct', schema)), (3, 'i64', rows),
                    (4, 'list', ('struct', [group]))).encode()
    return body + footer + struct.pack('<I', len(footer)) + b'PAR1'


# a data page that says it is 300 MiB once decompressed
values = struct.pack('<q', 7)
big = page_header(0, 300 << 20, len(values), 1, 0) + values
open('parquet-page-too-large.parquet', 'wb').write(parquet(b'packets', 2, big, 1))

# a page that says it holds 3 million values (held decoded, they would take 72 MB)
many = page_header(0, len(values), len(values), 3000000, 0) + values
open('parquet-page-too-many-values.parquet', 'wb').write(parquet(b'packets', 2, many, 3000000))

# a dictionary of one word, and a data page whose index is 5
word = b'ACCEPT'
dictionary = struct.pack('<I', len(word)) + word
dict_page = page_header(2, len(dictionary), len(dictionary), 1, 0) + dictionary
indices = bytes([3]) + varint(2 << 1) + bytes([5])  # bit width 3; an RLE run of 2 values of 5
data_page = page_header(0, len(indices), len(indices), 2, 8) + indices
open('parquet-bad-dictionary-index.parquet', 'wb').write(parquet(b'action', 6, dict_page + data_page, 2,
                                                                   dict_offset=len(dict_page)))

good = open('../parquet/v5-gzip.parquet', 'rb').read()
open('parquet-truncated-footer.parquet', 'wb').write(good[:-20])
open('parquet-wrong-end-magic.parquet', 'wb').write(good[:-4] + b'PARX')
