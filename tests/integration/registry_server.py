#!/usr/bin/env python3
"""A small Docker registry (HTTP API v2, pull side only) for the image tests.

It builds its images at start from Debian's busybox-static and serves them on a loopback port:

  busybox:latest     Docker manifest v2 schema 2: a gzip base layer (busybox, /etc/os-release)
                     and a plain tar top layer (/etc/motd "one"); Cmd prints /etc/motd.
  busybox:v2         the same base layer, another top layer (/etc/motd "two").
  oci:latest         an OCI image index: linux/arm64 first (its os-release says ID=wrong-arm),
                     then linux/amd64 (the busybox:latest layers).
  schema1:latest     Docker schema 1 (signed media type), the busybox:latest layers.
  corrupt:latest     schema 2 whose top layer's bytes do not match its digest.
  private/busybox:latest   busybox:latest, readable only with the --auth credentials.

  foreign:latest     busybox:latest whose top layer is a foreign layer (Docker's foreign media
                     type) with `urls`: it is served only at /foreign/<digest>, not as a blob.
  foreign-gone:latest   the same, its url answering 404.
  large:latest       the busybox base layer and one plain tar layer of 17 MiB (over the client's
                     in-memory limit: a blob that must stream to a file).
  big:latest         (with --big only) the busybox base layer and four plain tar layers of 25 MiB
                     of random bytes each: about 100 MB in 5 layers, for the image benchmark.

Blobs are answered with a 307 redirect to /blobstore/<digest>, which honours "Range: bytes=N-"
(206). POST /_cut?digest=D&bytes=N&mode=stall|close makes the next download of D send N bytes and
then stall (until POST /_release) or close the connection. GET /_layers?repo=R&tag=T lists an
image's layer digests; /_stats also has "ranges", the Range headers blob downloads sent. With --auth USER:PASSWORD every
/v2/ request needs a bearer token from /token (anonymous tokens read every repository but
private/*); with --tls CERT KEY it serves https. GET /_stats answers {"paths": {path: count}}; POST /_retag?repo=R&tag=T&to=U makes
R:T point at R:U's manifest. Prints "registry_listening address=127.0.0.1:PORT" once it serves.
"""

import argparse
import base64
import gzip
import hashlib
import io
import json
import os
import ssl
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

SCHEMA2 = "application/vnd.docker.distribution.manifest.v2+json"
SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+prettyjws"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
LAYER_FOREIGN = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tar_of(entries):
    """entries: (name, bytes or None for a dir, mode, symlink target or None)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data, mode, link in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            info.mode = mode
            if link is not None:
                info.type = tarfile.SYMTYPE
                info.linkname = link
                tar.addfile(info)
            elif data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def base_layer(os_release):
    with open("/bin/busybox", "rb") as f:
        busybox = f.read()
    entries = [("bin", None, 0o755, None), ("etc", None, 0o755, None),
               ("tmp", None, 0o1777, None), ("bin/busybox", busybox, 0o755, None)]
    for applet in ["sh", "cat", "echo", "ls", "sleep", "test", "env", "pwd", "id", "true"]:
        entries.append(("bin/" + applet, None, 0o777, "busybox"))
    entries.append(("etc/os-release", os_release.encode(), 0o644, None))
    return gzip.compress(tar_of(entries), mtime=0)


def top_layer(motd):
    return tar_of([("etc", None, 0o755, None), ("etc/motd", motd.encode(), 0o644, None)])


class Registry:
    def __init__(self):
        self.blobs = {}      # digest -> bytes as served
        self.manifests = {}  # (repo, reference) -> (media type, bytes)
        self.counts = {}
        self.lock = threading.Lock()
        self.layers = {}     # (repo, tag) -> layer digests
        self.foreign = {}    # digest -> bytes served at /foreign/<digest>
        self.cuts = {}       # digest -> (bytes, mode) for its next download
        self.ranges = []     # Range headers of blob downloads
        self.released = threading.Event()

    def add_blob(self, data, served=None):
        d = digest(data)
        self.blobs[d] = data if served is None else served
        return d

    def config(self, layers, cmd, arch="amd64"):
        diff_ids = [digest(gzip.decompress(l) if l[:2] == b"\x1f\x8b" else l) for l in layers]
        return json.dumps({"architecture": arch, "os": "linux",
                           "config": {"Cmd": cmd, "Env": ["PATH=/bin", "FROM=registry"]},
                           "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()

    def schema2(self, layers, cmd, media=SCHEMA2, served=None):
        config = self.config(layers, cmd)
        refs = []
        for i, layer in enumerate(layers):
            wire = served if served is not None and i == len(layers) - 1 else None
            refs.append({"mediaType": LAYER_GZIP if layer[:2] == b"\x1f\x8b" else LAYER_TAR,
                         "size": len(layer), "digest": self.add_blob(layer, wire)})
        body = {"schemaVersion": 2, "mediaType": media,
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                           "size": len(config), "digest": self.add_blob(config)},
                "layers": refs}
        return media, json.dumps(body).encode()

    def foreign_image(self, base, top, cmd, url):
        config = self.config([base, top], cmd)
        top_digest = digest(top)
        self.foreign[top_digest] = top
        refs = [{"mediaType": LAYER_GZIP, "size": len(base), "digest": self.add_blob(base)},
                {"mediaType": LAYER_FOREIGN, "size": len(top), "digest": top_digest,
                 "urls": [url + top_digest]}]
        body = {"schemaVersion": 2, "mediaType": SCHEMA2,
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                           "size": len(config), "digest": self.add_blob(config)},
                "layers": refs}
        return SCHEMA2, json.dumps(body).encode()

    def schema1(self, layers, cmd):
        digests = [self.add_blob(l) for l in layers]
        history = [{"v1Compatibility": json.dumps(
            {"id": "top", "parent": "base", "config": {"Cmd": cmd, "Env": ["FROM=schema1"]}})},
            {"v1Compatibility": json.dumps({"id": "base"})}]
        body = {"schemaVersion": 1, "name": "schema1", "tag": "latest", "architecture": "amd64",
                "fsLayers": [{"blobSum": d} for d in reversed(digests)], "history": history}
        return SCHEMA1, json.dumps(body).encode()

    def build(self, address, big=False):
        base = base_layer('NAME="Registry Test Image"\nID=registry-test\n')
        one, two = top_layer("one\n"), top_layer("two\n")
        cmd = ["/bin/sh", "-c", "cat /etc/motd"]
        self.layers[("busybox", "latest")] = [digest(base), digest(one)]
        large = tar_of([("data/large", os.urandom(17 << 20), 0o644, None)])
        self.manifests[("large", "latest")] = self.schema2([base, large], ["ls", "-l", "/data"])
        if big:
            data = [tar_of([("data/part%d" % i, os.urandom(25 << 20), 0o644, None)])
                    for i in range(4)]
            self.manifests[("big", "latest")] = self.schema2([base] + data, ["true"])
        foreign_top = top_layer("foreign\n")
        self.manifests[("foreign", "latest")] = self.foreign_image(
            base, foreign_top, cmd, "http://%s/foreign/" % address)
        self.manifests[("foreign-gone", "latest")] = self.foreign_image(
            base, top_layer("gone\n"), cmd, "http://%s/nowhere/" % address)
        self.manifests[("busybox", "latest")] = self.schema2([base, one], cmd)
        self.manifests[("busybox", "v2")] = self.schema2([base, two], cmd)
        self.manifests[("private/busybox", "latest")] = self.schema2([base, one], cmd)
        self.manifests[("schema1", "latest")] = self.schema1([base, one], cmd)
        bad = top_layer("bad\n")
        self.manifests[("corrupt", "latest")] = self.schema2([base, bad], cmd, served=bad + b"x")
        arm_base = base_layer('NAME="wrong platform"\nID=wrong-arm\n')
        entries = []
        for arch, layers in [("arm64", [arm_base, one]), ("amd64", [base, one])]:
            media, body = self.schema2(layers, cmd, media=OCI_MANIFEST)
            d = digest(body)
            self.manifests[("oci", d)] = (media, body)
            entries.append({"mediaType": media, "size": len(body), "digest": d,
                            "platform": {"architecture": arch, "os": "linux"}})
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
        self.manifests[("oci", "latest")] = (OCI_INDEX, json.dumps(index).encode())
        for (repo, ref), (media, body) in list(self.manifests.items()):
            self.manifests[(repo, digest(body))] = (media, body)


def make_handler(registry, auth, scheme):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def reply(self, status, body=b"", headers=None):
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def count(self, path):
            with registry.lock:
                registry.counts[path] = registry.counts.get(path, 0) + 1

        def token(self):
            given = self.headers.get("Authorization", "")
            if not given:
                return self.reply(200, json.dumps({"token": "anonymous"}).encode())
            expected = "Basic " + base64.b64encode(auth.encode()).decode()
            if given != expected:
                return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}')
            return self.reply(200, json.dumps({"access_token": "user"}).encode())

        def authorized(self, repo):
            if auth is None:
                return True
            token = self.headers.get("Authorization", "")
            if token == "Bearer user" or (token == "Bearer anonymous" and
                                          not repo.startswith("private/")):
                return True
            host = self.headers.get("Host")
            challenge = ('Bearer realm="%s://%s/token",service="test-registry",'
                         'scope="repository:%s:pull"' % (scheme, host, repo))
            self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                       {"WWW-Authenticate": challenge})
            return False

        def v2(self, path):
            rest = path[len("/v2/"):]
            for kind in ("/manifests/", "/blobs/"):
                if kind in rest:
                    repo, ref = rest.split(kind, 1)
                    break
            else:
                return self.reply(200, b"{}") if self.authorized("") else None
            if not self.authorized(repo):
                return None
            if kind == "/blobs/":
                if ref not in registry.blobs:
                    return self.reply(404, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}')
                return self.reply(307, b"", {"Location": "/blobstore/" + ref})
            with registry.lock:
                found = registry.manifests.get((repo, ref))
            if found is None:
                return self.reply(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
            media, body = found
            return self.reply(200, body, {"Content-Type": media,
                                          "Docker-Content-Digest": digest(body)})

        def blob(self, name, store):
            data = store.get(name)
            if data is None:
                return self.reply(404)
            given = self.headers.get("Range", "")
            status, headers = 200, {"Content-Type": "application/octet-stream"}
            if given:
                with registry.lock:
                    registry.ranges.append(given)
                start = int(given[len("bytes="):].split("-")[0])
                if start >= len(data):
                    return self.reply(416)
                headers["Content-Range"] = "bytes %d-%d/%d" % (start, len(data) - 1, len(data))
                status, data = 206, data[start:]
            with registry.lock:
                cut = registry.cuts.pop(name, None)
            if cut is None:
                return self.reply(status, data, headers)
            size, mode = cut
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:size])
            self.wfile.flush()
            if mode == "stall":
                registry.released.wait(120)
            self.close_connection = True
            self.connection.shutdown(2)

        def do_GET(self):
            path = urlparse(self.path).path
            self.count(path)
            if path == "/_stats":
                with registry.lock:
                    body = json.dumps({"paths": registry.counts, "ranges": registry.ranges}).encode()
                return self.reply(200, body, {"Content-Type": "application/json"})
            if path == "/token":
                return self.token()
            if path == "/_layers":
                query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                found = registry.layers.get((query.get("repo"), query.get("tag")), [])
                return self.reply(200, json.dumps(found).encode())
            if path.startswith("/blobstore/"):
                return self.blob(path[len("/blobstore/"):], registry.blobs)
            if path.startswith("/foreign/"):
                return self.blob(path[len("/foreign/"):], registry.foreign)
            if path.startswith("/v2/"):
                return self.v2(path)
            return self.reply(404)

        def do_POST(self):
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/_cut":
                with registry.lock:
                    registry.released.clear()
                    registry.cuts[query["digest"]] = (int(query["bytes"]), query["mode"])
                return self.reply(200)
            if url.path == "/_release":
                registry.released.set()
                return self.reply(200)
            if url.path != "/_retag":
                return self.reply(404)
            with registry.lock:
                source = registry.manifests.get((query["repo"], query["to"]))
                if source is None:
                    return self.reply(404)
                registry.manifests[(query["repo"], query["tag"])] = source
            return self.reply(200)

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--auth", help="USER:PASSWORD: require bearer tokens")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="serve https")
    parser.add_argument("--big", action="store_true", help="also serve big:latest (100 MB)")
    args = parser.parse_args()
    registry = Registry()
    handler = make_handler(registry, args.auth, "https" if args.tls else "http")
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    registry.build("127.0.0.1:%d" % server.server_address[1], args.big)
    if args.tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls[0], args.tls[1])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print("registry_listening address=127.0.0.1:%d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    os.umask(0o022)
    main()
