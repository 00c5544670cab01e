"""A small bbolt file reader for tests: the buckets of an etcd snapshot or
backend db as {bucket: [(key, value), ...]} (bytes), to compare what Cairn's
snapshot holds with what etcd's holds. Independent of Cairn's C++ reader on
purpose (a second reading of the format). Inline buckets are supported."""

import struct

PAGE_HEADER = struct.Struct("<QHHI")
LEAF_ELEM = struct.Struct("<IIII")
BRANCH_ELEM = struct.Struct("<IIQ")
META = struct.Struct("<IIIIQQQQQQ")
MAGIC = 0xED0CDAED


def _meta(data):
    best = None
    for pgid in (0, 1):
        off = pgid * 4096 + PAGE_HEADER.size
        if len(data) < off + META.size:
            continue
        m = META.unpack_from(data, off)
        if m[0] != MAGIC:
            continue
        if best is None or m[8] > best[8]:
            best = m
    if best is None:
        raise ValueError("no bbolt meta page")
    return best


def _walk(data, page_size, pgid, page=None):
    if page is None:
        page = memoryview(data)[pgid * page_size:]
    _, flags, count, _ = PAGE_HEADER.unpack_from(page, 0)
    for i in range(count):
        at = PAGE_HEADER.size + i * LEAF_ELEM.size
        if flags & 0x02:
            eflags, pos, ksize, vsize = LEAF_ELEM.unpack_from(page, at)
            k = bytes(page[at + pos:at + pos + ksize])
            v = bytes(page[at + pos + ksize:at + pos + ksize + vsize])
            yield eflags, k, v
        else:
            pos, ksize, child = BRANCH_ELEM.unpack_from(page, at)
            yield from _walk(data, page_size, child)


def read_buckets(path):
    with open(path, "rb") as f:
        data = f.read()
    m = _meta(data)
    page_size, root = m[2], m[4]
    out = {}
    for eflags, name, header in _walk(data, page_size, root):
        if not eflags & 0x01:
            continue
        broot = struct.unpack_from("<Q", header, 0)[0]
        if broot == 0:
            items = _walk(data, page_size, 0, memoryview(header)[16:])
        else:
            items = _walk(data, page_size, broot)
        out[name.decode()] = [(k, v) for f, k, v in items if not f & 0x01]
    return out
