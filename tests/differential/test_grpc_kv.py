"""Differential test at the gRPC level: one scripted KV session (Range, Put,
DeleteRange, Txn, Compact) against a fresh etcd 3.4 and a fresh Cairn with
identical flags, compared request by request.

Each answer is recorded as the full response (MessageToDict with field names
as in the proto and default values included) or as the gRPC error (code name
and details). Only the non-zero cluster_id, member_id and raft_term of
response headers are normalised; a zero where the other server has a real id
stays visible. Bytes fields are shown as Python bytes literals (lossless,
readable) instead of base64.
"""

import base64
import difflib
import json

import grpc
import pytest
from google.protobuf import json_format, text_format

from etcd3.etcdrpc import rpc_pb2_grpc

from differential_run import record, require_cairn
from grpc_kv_session import SERVER_FLAGS, steps

# Large enough for the oversized requests of the session.
_CHANNEL_OPTIONS = [("grpc.max_send_message_length", 8 << 20),
                    ("grpc.max_receive_message_length", 8 << 20)]

_HEADER_IDS = {"cluster_id": "<ID>", "member_id": "<ID>", "raft_term": "<TERM>"}
_BYTES_FIELDS = {"key", "value", "range_end"}


def _normalise(node, parent=None):
    """Blanks non-zero header ids/terms; bytes fields become b'...' literals."""
    if isinstance(node, list):
        return [_normalise(x, parent) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if parent == "header" and k in _HEADER_IDS and v not in ("0", 0):
            out[k] = _HEADER_IDS[k]
        elif k in _BYTES_FIELDS and isinstance(v, str):
            out[k] = repr(base64.b64decode(v))
        else:
            out[k] = _normalise(v, k)
    return out


class Record:
    def __init__(self, index, step, response=None, error=None):
        self.index = index
        self.step = step
        self.response = response  # normalised dict, or None on error
        self.error = error  # (code name, details), or None on success

    def key(self):
        return (self.response, self.error)

    def header_revision(self):
        if self.response is None:
            return None
        return int(self.response.get("header", {}).get("revision", "0"))

    def render(self):
        if self.error is not None:
            return f"ERROR {self.error[0]}: {self.error[1]}\n"
        return json.dumps(self.response, indent=1, sort_keys=True) + "\n"

    def title(self):
        req = text_format.MessageToString(self.step.request, as_utf8=False, as_one_line=True)
        if len(req) > 400:
            req = req[:300] + f"...({len(req)} chars)"
        return f"step {self.index} {self.step.label!r}: {self.step.method}({req})"


def replay(server, session):
    records = []
    channel = grpc.insecure_channel(f"127.0.0.1:{server.client_port}", options=_CHANNEL_OPTIONS)
    try:
        stub = rpc_pb2_grpc.KVStub(channel)
        for i, step in enumerate(session, 1):
            try:
                resp = getattr(stub, step.method)(step.request, timeout=15)
            except grpc.RpcError as e:
                records.append(Record(i, step, error=(e.code().name, e.details())))
                continue
            d = json_format.MessageToDict(resp, preserving_proto_field_name=True,
                                          including_default_value_fields=True)
            records.append(Record(i, step, response=_normalise(d)))
    finally:
        channel.close()
    return records


def _record(flavour):
    return record(flavour, lambda server: replay(server, steps()), "grpc",
                  lambda rec: f"=== {rec.title()}\n{rec.render()}", extra_args=SERVER_FLAGS)

@pytest.fixture(scope="module")
def etcd_records():
    return _record("etcd")


def test_session_shape():
    s = steps()
    assert len(s) >= 60
    assert len({st.label for st in s}) == len(s), "step labels must be unique"
    methods = {st.method for st in s}
    assert methods == {"Range", "Put", "DeleteRange", "Txn", "Compact"}


def test_etcd_matches_golden(etcd_records):
    """The reference still answers what the session was written against
    (header revision of each success, code and details of each error);
    otherwise comparing Cairn with it would prove little."""
    problems = []
    for rec in etcd_records:
        st = rec.step
        if st.err is not None:
            if rec.error != st.err:
                problems.append(f"{rec.title()}\n  expected error {st.err}, got {rec.render()}")
        elif st.rev is not None:
            if rec.error is not None or rec.header_revision() != st.rev:
                problems.append(f"{rec.title()}\n  expected revision {st.rev}, got "
                                f"{rec.render() if rec.error else rec.header_revision()}")
    if problems:
        pytest.fail("etcd deviates from the golden session:\n" + "\n".join(problems),
                    pytrace=False)


def test_cairn_matches_etcd(etcd_records):
    require_cairn()
    cairn_records = _record("cairn")
    assert len(cairn_records) == len(etcd_records)
    failures = []
    for ref, got in zip(etcd_records, cairn_records):
        if ref.key() == got.key():
            continue
        diff = "".join(difflib.unified_diff(ref.render().splitlines(True),
                                            got.render().splitlines(True), "etcd", "cairn"))
        failures.append(f"=== {ref.title()}\n{diff}")
    if failures:
        pytest.fail(f"{len(failures)} of {len(etcd_records)} requests differ:\n\n" +
                    "\n".join(failures), pytrace=False)
