"""Replays the session against one server and normalises what differs by
nature between two servers: cluster/member ids, raft terms (and lease ids),
plus etcdctl's own client-side noise in its retry warnings (timestamp and a
random client target uuid). Everything else is compared byte for byte."""

import re

import grpc
from google.protobuf import text_format

from etcd3.etcdrpc import rpc_pb2

from session import TXN_PROMPTS

# Non-zero ids only: a zero where the reference prints a real id (or the
# reverse) is a real difference and must stay visible.
_JSON_IDS = re.compile(r'"(cluster_id|member_id|raft_term|ID|lease)":([1-9][0-9]*)')
_FIELDS_IDS = re.compile(r'"(ClusterID|MemberID|RaftTerm|Lease|ID)" : ([1-9][0-9]*)')
_WARN_TS = re.compile(r'"ts":"[^"]*"')
_WARN_TARGET = re.compile(r'"target":"endpoint://client-[0-9a-f-]+/[^"]*"')
_ENDPOINT = re.compile(r"127\.0\.0\.1:[0-9]+")

_TERM_NAMES = {"raft_term", "RaftTerm"}


def _placeholder(name):
    return "<TERM>" if name in _TERM_NAMES else "<ID>"


def normalise_text(text):
    text = _JSON_IDS.sub(lambda m: f'"{m.group(1)}":{_placeholder(m.group(1))}', text)
    text = _FIELDS_IDS.sub(lambda m: f'"{m.group(1)}" : {_placeholder(m.group(1))}', text)
    text = _WARN_TS.sub('"ts":"<TS>"', text)
    text = _WARN_TARGET.sub('"target":"<CLIENT>"', text)
    text = _ENDPOINT.sub("127.0.0.1:<PORT>", text)
    return text


_PB_IDS = re.compile(r"\b(cluster_id|member_id|raft_term|lease|ID): ([1-9][0-9]*)")


def render_message(msg):
    """Text form of a response with non-zero ids/terms blanked (txn responses
    nest headers; text_format prints each field on its own line)."""
    text = text_format.MessageToString(msg, as_utf8=True)
    return _PB_IDS.sub(lambda m: f"{m.group(1)}: {_placeholder(m.group(1))}", text)


def decode_protobuf(raw, type_name, prefix=b""):
    """Decodes `-w protobuf` output (raw bytes of the response message),
    after an expected text prefix such as txn -i's prompts."""
    if prefix and raw.startswith(prefix):
        raw = raw[len(prefix):]
    msg = getattr(rpc_pb2, type_name)()
    try:
        msg.ParseFromString(raw)
    except Exception as e:  # undecodable output is itself a finding
        return f"<undecodable {type_name}: {e}; raw={raw.hex()}>"
    return f"{type_name} {{\n{render_message(msg)}}}\n"


class Record:
    def __init__(self, step, rc, stdout, stderr):
        self.step = step
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr

    def command(self):
        s = self.step
        if s.grpc is not None:
            return f"[grpc] {s.label}"
        shown = [a if len(a) <= 60 else a[:40] + f"...({len(a)} bytes)" for a in s.args]
        cmd = "etcdctl " + " ".join(repr(a) if (" " in a or a == "") else a for a in shown)
        if s.stdin is not None:
            stdin = s.stdin if len(s.stdin) <= 200 else s.stdin[:120] + "..."
            cmd += f"  <<< {stdin!r}"
        return cmd


def replay(server, steps):
    records = []
    client = server.client()
    try:
        for step in steps:
            if step.grpc is not None:
                try:
                    resp = step.grpc(client.kvstub)
                    records.append(Record(step, 0, render_message(resp), ""))
                except grpc.RpcError as e:
                    records.append(Record(step, 1, "", f"{e.code().name}: {e.details()}"))
                continue
            r = server.ctl(*step.args, stdin=step.stdin)
            if step.pb:
                out = (decode_protobuf(r.stdout, step.pb, TXN_PROMPTS.encode())
                       if r.rc == 0 else normalise_text(r.out))
            else:
                out = normalise_text(r.out)
            records.append(Record(step, r.rc, out, normalise_text(r.err)))
    finally:
        client.close()
    return records
