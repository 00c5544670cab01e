"""A linearizability checker for histories of puts and gets on keys, each key
a register: is there one order of the operations, consistent with their real
time (an operation that returned before another was called comes first),
in which every get returns the value of the latest put before it?

The search is Wing & Gong's with Lowe's memoisation (as in Knossos and
Porcupine), run per key (a history is linearizable iff each key's is).
Written here because no Debian package offers one for Python.

Operations whose outcome is unknown (a put that timed out or failed: it may
still have been applied) are given an infinite return time: they may take
effect at any point after their call, or never (last). A get that failed
tells nothing and is left out by the caller."""

import math
from collections import defaultdict


class Op:
    __slots__ = ("client", "kind", "key", "value", "call", "ret", "id")

    def __init__(self, client, kind, key, value, call, ret):
        self.client = client
        self.kind = kind  # "put" or "get"
        self.key = key
        self.value = value  # put: the value written; get: the value read (None: absent)
        self.call = call
        self.ret = ret  # math.inf when the outcome is unknown
        self.id = None

    def __repr__(self):
        ret = "?" if self.ret == math.inf else f"{self.ret:.4f}"
        return f"{self.client}:{self.kind}({self.key}, {self.value!r}) [{self.call:.4f}, {ret}]"


class _Entry:
    __slots__ = ("op", "is_call", "match", "prev", "next")

    def __init__(self, op, is_call):
        self.op = op
        self.is_call = is_call
        self.match = None
        self.prev = None
        self.next = None


def _entries(ops):
    events = []
    for op in ops:
        call, ret = _Entry(op, True), _Entry(op, False)
        call.match = ret
        # At equal times a call sorts before a return: the two overlap,
        # which allows more orders, never fewer.
        events.append((op.call, 0, call))
        events.append((op.ret, 1, ret))
    events.sort(key=lambda e: (e[0], e[1]))
    head = _Entry(None, False)
    prev = head
    for _, _, e in events:
        prev.next = e
        e.prev = prev
        prev = e
    return head


def _lift(call):
    call.prev.next = call.next
    if call.next:
        call.next.prev = call.prev
    ret = call.match
    ret.prev.next = ret.next
    if ret.next:
        ret.next.prev = ret.prev


def _unlift(call):
    ret = call.match
    ret.prev.next = ret
    if ret.next:
        ret.next.prev = ret
    call.prev.next = call
    if call.next:
        call.next.prev = call


def _step(state, op):
    if op.kind == "put":
        return True, op.value
    return op.value == state, state


def check_register(ops, initial=None):
    """(True, None) if `ops` (one key) is linearizable, else (False, the
    operations around the point where every order failed)."""
    ops = list(ops)
    for i, op in enumerate(ops):
        op.id = i
    head = _entries(ops)
    state = initial
    linearized = 0
    cache = set()
    stack = []
    entry = head.next
    deepest = 0
    while head.next is not None:
        if entry.is_call:
            ok, new_state = _step(state, entry.op)
            if ok:
                mark = linearized | (1 << entry.op.id)
                if (mark, new_state) not in cache:
                    cache.add((mark, new_state))
                    stack.append((entry, state))
                    deepest = max(deepest, len(stack))
                    state, linearized = new_state, mark
                    _lift(entry)
                    entry = head.next
                    continue
            entry = entry.next
        else:
            # A return reached with its call not yet placed: undo the last
            # choice and try the next candidate after it.
            if not stack:
                return False, _failure_window(ops, deepest)
            entry, state = stack.pop()
            linearized &= ~(1 << entry.op.id)
            _unlift(entry)
            entry = entry.next
    return True, None


def _failure_window(ops, deepest):
    ordered = sorted(ops, key=lambda o: o.call)
    lo = max(0, deepest - 5)
    return ordered[lo:deepest + 5]


def check_history(ops):
    """Checks every key's register. Returns a list of (key, window) for the
    keys whose history is not linearizable (empty: linearizable)."""
    by_key = defaultdict(list)
    for op in ops:
        by_key[op.key].append(op)
    failures = []
    for key, key_ops in sorted(by_key.items()):
        ok, window = check_register(key_ops)
        if not ok:
            failures.append((key, window))
    return failures
