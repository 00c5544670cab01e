"""A lock holder run as its own process by test_concurrency.py, so the test
can freeze it with SIGSTOP: it keeps a short lease alive, takes the lock
through the Lock gRPC service, prints its key and fencing token (the key's
create revision), then on each stdin line "write <value>" attempts a fenced
write — a Txn that only applies while the lock key is still the one it
created — and prints whether it applied.

    lock_holder.py <host> <port> <lock name> <ttl> <data key>
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from concurrency_clients import Services  # noqa: E402
from etcd_protos import pb  # noqa: E402


class _Target:
    def __init__(self, host, port):
        self.host, self.client_port = host, int(port)


def main():
    host, port, name, ttl, data_key = sys.argv[1:6]
    svc = Services(_Target(host, port))
    lease = svc.grant(int(ttl))

    def keep_alive():
        from etcd_protos import KeepAliveStream
        stream = KeepAliveStream(svc.channel)
        while True:
            stream.keep_alive(lease)
            time.sleep(0.3)

    threading.Thread(target=keep_alive, daemon=True).start()
    resp = svc.lock(name.encode(), lease, timeout=30)
    token = svc.get(resp.key).kvs[0].create_revision
    print(f"locked {resp.key.decode()} {token}", flush=True)
    for line in sys.stdin:
        cmd, _, value = line.strip().partition(" ")
        if cmd != "write":
            continue
        txn = pb.TxnRequest(
            compare=[pb.Compare(key=resp.key, target=pb.Compare.CREATE,
                                result=pb.Compare.EQUAL, create_revision=token)],
            success=[pb.RequestOp(request_put=pb.PutRequest(key=data_key.encode(),
                                                            value=value.encode()))])
        print(f"applied {svc.txn(txn).succeeded}", flush=True)


if __name__ == "__main__":
    main()
