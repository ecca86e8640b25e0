"""Differential probe for src/http: runs raw bytes through the real haproxy 2.6 and shows
what a recording backend received and what the client got. How the src/http tests were
captured:
    /usr/sbin/haproxy -f scripts/h1_probe/haproxy.cfg -D -p /tmp/h1probe.pid
    python3 -c "from probe import show; show(\"name\", 18001, b\"GET / HTTP/1.1\\r\\n\\r\\n\")"
Ports: 18001 keep-alive, 18002 accept-invalid-http-*, 18003 http-server-close,
18004 httpclose, 18005 forwardfor+originalto, 18006 h1-case-adjust, 18007-18008 forwardfor
variants, 18009/18010 backend httpclose/server-close, 18011 pretend-keepalive; the backend
listens on 18100 and answers every request with RESP (a "#CLOSE" suffix closes)."""
import socket, threading, time, sys
BPORT = 18100
conns = []          # list of bytearray per backend connection
RESP = [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"]
lock = threading.Lock()
def handle(c):
    buf = bytearray()
    with lock: conns.append(buf)
    c.settimeout(0.12)
    pending = False; idx = 0
    while True:
        try:
            d = c.recv(65536)
            if not d: break
            buf += d; pending = True
        except socket.timeout:
            if pending:
                r = RESP[min(idx, len(RESP)-1)]; idx += 1
                if r is None:
                    break
                try: c.sendall(r)
                except Exception: break
                pending = False
                if r.endswith(b"#CLOSE"):
                    break
        except Exception:
            break
    try: c.close()
    except: pass
def server():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", BPORT)); s.listen(50)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()
threading.Thread(target=server, daemon=True).start()
time.sleep(0.2)
def probe(port, data, resp=None, pieces=None, idle=0.5, total=2.5):
    global RESP
    if resp is not None:
        RESP = resp if isinstance(resp, list) else [resp]
    else:
        RESP = [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"]
    with lock: conns.clear()
    c = socket.create_connection(("127.0.0.1", port))
    if pieces:
        for p in pieces:
            c.sendall(p); time.sleep(0.2)
    else:
        c.sendall(data)
    c.settimeout(idle); got = b""; closed = False; t0 = time.time()
    while time.time() - t0 < total:
        try:
            d = c.recv(65536)
            if not d: closed = True; break
            got += d
        except socket.timeout:
            break
        except ConnectionResetError:
            closed = True; break
    c.close(); time.sleep(0.15)
    with lock: be = [bytes(b) for b in conns]
    return got, closed, be
def show(name, port, data, **kw):
    got, closed, be = probe(port, data, **kw)
    print("=== " + name)
    print("IN      :", repr(data if data else kw.get('pieces')))
    print("CLIENT  :", repr(got[:400]), "CLOSED" if closed else "OPEN")
    for i, b in enumerate(be):
        print("BACKEND%d:" % i, repr(b[:600]))
    sys.stdout.flush()
