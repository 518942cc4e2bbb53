#!/usr/bin/env python3
# Writes the seed corpora under tests/fuzz/corpus/ (committed; rerun after changing a seed).
import os, io, struct, tarfile, gzip, subprocess
HERE = os.path.dirname(os.path.abspath(__file__))
C = os.path.join(HERE, 'corpus')
PROTO = os.path.join(HERE, '..', '..', 'proto')
def w(target, name, data):
    d=os.path.join(C,target); os.makedirs(d,exist_ok=True)
    if isinstance(data,str): data=data.encode()
    open(os.path.join(d,name),'wb').write(data)

# json_codec: scheduler and operator calls in Mesos JSON.
w('json_codec','subscribe.json','{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"root","name":"fuzz","roles":["web"],"capabilities":[{"type":"MULTI_ROLE"}],"failover_timeout":60.0}}}')
w('json_codec','accept.json','{"framework_id":{"value":"fw-1"},"type":"ACCEPT","accept":{"offer_ids":[{"value":"o-1"}],"operations":[{"type":"LAUNCH","launch":{"task_infos":[{"name":"t","task_id":{"value":"t1"},"agent_id":{"value":"a1"},"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":0.5}},{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":31001}]}}],"command":{"value":"sleep 1","environment":{"variables":[{"name":"A","value":"1"}]}}}]}}],"filters":{"refuse_seconds":5.0}}}')
w('json_codec','acknowledge.json','{"framework_id":{"value":"fw-1"},"type":"ACKNOWLEDGE","acknowledge":{"agent_id":{"value":"a1"},"task_id":{"value":"t1"},"uuid":"AAECAwQFBgcICQoLDA0ODw=="}}')
w('json_codec','reserve.json','{"type":"RESERVE_RESOURCES","reserve_resources":{"agent_id":{"value":"a1"},"resources":[{"name":"mem","type":"SCALAR","scalar":{"value":64},"reservations":[{"type":"DYNAMIC","role":"web","principal":"ops","labels":{"labels":[{"key":"k","value":"v"}]}}]}]}}')
w('json_codec','get_state.json','{"type":"GET_STATE"}')
w('json_codec','update_quota.json','{"type":"UPDATE_QUOTA","update_quota":{"force":false,"quota_configs":[{"role":"dev","guarantees":{"cpus":{"value":2}},"limits":{"mem":{"value":"1024"}}}]}}')
w('json_codec','maintenance.json','{"type":"UPDATE_MAINTENANCE_SCHEDULE","update_maintenance_schedule":{"schedule":{"windows":[{"machine_ids":[{"hostname":"h1","ip":"10.0.0.1"}],"unavailability":{"start":{"nanoseconds":1000},"duration":{"nanoseconds":3600000000000}}}]}}}')

# proto_call: the same calls in protobuf, encoded by protoc.
def enc(msg, proto, text):
    return subprocess.run(['protoc','--encode='+msg,'-I' + PROTO,proto],input=text.encode(),capture_output=True,check=True).stdout
sp = os.path.join(PROTO, 'mesos/v1/scheduler/scheduler.proto')
mp = os.path.join(PROTO, 'mesos/v1/master/master.proto')
w('proto_call','subscribe.pb',enc('mesos.v1.scheduler.Call',sp,'type: SUBSCRIBE subscribe { framework_info { user: "root" name: "fuzz" roles: "web" capabilities { type: MULTI_ROLE } } }'))
w('proto_call','decline.pb',enc('mesos.v1.scheduler.Call',sp,'framework_id { value: "fw-1" } type: DECLINE decline { offer_ids { value: "o-1" } filters { refuse_seconds: 5 } }'))
w('proto_call','kill.pb',enc('mesos.v1.scheduler.Call',sp,'framework_id { value: "fw-1" } type: KILL kill { task_id { value: "t1" } agent_id { value: "a1" } }'))
w('proto_call','get_agents.pb',enc('mesos.v1.master.Call',mp,'type: GET_AGENTS'))
w('proto_call','mark_gone.pb',enc('mesos.v1.master.Call',mp,'type: MARK_AGENT_GONE mark_agent_gone { agent_id { value: "a1" } }'))

# recordio: first byte chooses the chunk size.
w('recordio','two_records','\x03'+'5\nhello12\n{"type":"X"}')
w('recordio','empty_record','\x00'+'0\n3\nabc')
w('recordio','partial','\x07'+'100\nshort')

# resources: text and JSON forms.
w('resources','text','cpus:24;mem:4096;disk:8192;ports:[31000-32000,33000-33010];gpus:1')
w('resources','roles','cpus(eng):2;mem(eng):512;cpus(*):1;disks:{a,b,c}')
w('resources','json_array','[{"name":"cpus","type":"SCALAR","scalar":{"value":2}},{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":1,"end":9}]}},{"name":"zones","type":"SET","set":{"item":["a","b"]}},{"name":"mem","type":"SCALAR","scalar":{"value":128},"role":"web"}]')
w('resources','resource_json','{"name":"disk","type":"SCALAR","scalar":{"value":100},"reservations":[{"type":"DYNAMIC","role":"db","principal":"p"}],"disk":{"persistence":{"id":"v1","principal":"p"},"volume":{"container_path":"data","mode":"RW"}}}')

# flags: NUL-separated command lines.
w('flags','basic','--work_dir=/tmp/w\0--port=5051\0--count=7\0--ratio=0.25\0--enabled\0--timeout=2mins')
w('flags','negated','--no-enabled\0--old_work_dir=/x\0--cgroups_root=x\0--max_size=512MB\0--timeout=100ms')
w('flags','bad','--port=70000\0--unknown=1\0positional')

# http_request: first byte chooses the piece size.
w('http_request','post_call','\x10'+'POST /api/v1/scheduler HTTP/1.1\r\nHost: m:5050\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: 19\r\n\r\n{"type":"SUBSCRIBE"}')
w('http_request','get_query','\x3f'+'GET /master/state?jsonp=cb&limit=10&name=a%20b HTTP/1.1\r\nHost: m\r\nX-A: 1\r\nX-A: 2\r\n\r\n')
w('http_request','chunked','\x05'+'POST /api/v1 HTTP/1.1\r\nContent-Type: application/x-protobuf\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n\x08\x01\r\n0\r\n\r\n')
# Found by the fuzzer: a chunked body whose chunk header arrives a byte at a time (Boost 1.74
# asserts on it when its assertions are on; docs/fuzzing.md). Kept as written in the corpus.
w('http_request','http10','\x00'+'GET /health HTTP/1.0\r\n\r\n')

# offer_constraints: byte 0 = selector | predicate<<2, then text NUL value.
w('offer_constraints','hostname_equals', bytes([0|(2<<2)])+b'agent-1\0agent-1')
w('offer_constraints','attr_regex', bytes([3|(4<<2)])+b'rack-[0-9]+\0rack-12')
w('offer_constraints','zone_not_regex', bytes([2|(5<<2)])+b'(us|eu)-.*\0ap-1')
w('offer_constraints','exists', bytes([3|(0<<2)])+b'\0x')

# marathon_app
w('marathon_app','app.json','{"id": "shop/web/", "cmd": "run", "cpus": 0.5, "mem": 64, "instances": 3, "env": {"A": "1"}, "labels": {"team": "x"}, "constraints": [["rack", "GROUP_BY", "2"], ["hostname", "UNIQUE"], ["rack", "LIKE", "r[0-9]"]], "portDefinitions": [{"port": 0, "name": "http"}], "upgradeStrategy": {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0.2}}')
w('marathon_app','docker.json','{"id": "/db", "args": ["postgres"], "container": {"type": "DOCKER", "docker": {"image": "postgres:15"}, "volumes": [{"containerPath": "/data", "hostPath": "/srv", "mode": "RW"}]}, "healthChecks": [{"protocol": "HTTP", "path": "/", "portIndex": 0, "gracePeriodSeconds": 10}], "fetch": [{"uri": "https://x/y.tgz", "extract": true}], "constraints": [["rack", "MAX_PER", "2"], ["zone", "IS", "a"], ["rack", "UNLIKE", "r9"], ["rack", "CLUSTER", "r1"]]}')

# chronos_job
w('chronos_job','job.json','{"name": "camus_kafka2hdfs", "command": "/srv/job.bash", "arguments": ["-verbose"], "shell": false, "epsilon": "PT30M", "retries": 3, "owner": "bofh@example.com", "async": false, "cpus": "0.5", "mem": 1024, "fetch": [{"uri": "https://example.com/x", "executable": true}], "schedule": "R/2026-03-08T20:00:00.000Z/PT2H", "scheduleTimeZone": "Europe/Berlin", "environmentVariables": [{"name": "JVMOPTS", "value": "-Xmx1000m"}], "constraints": [["rack", "EQUALS", "rack-1"]], "container": {"type": "MESOS"}}')
w('chronos_job','dependent.json','{"name": "child", "command": "echo", "parents": ["camus_kafka2hdfs", "other"]}')
w('chronos_job','cron.json','{"name": "c", "command": "x", "schedule": "cron:*/5 9-17 * JAN-MAR MON-FRI"}')
w('chronos_job','schedule','R5/2026-01-01T00:00:00+01:00/P1Y2M3DT4H5M6.5S')
w('chronos_job','schedule_inf','R//PT1S')
w('chronos_job','cron','@hourly')

# dns_packet: queries built by hand (header, one question, optional EDNS OPT).
def q(name, qtype, qid=0x1234, edns=False):
    hdr=struct.pack('>HHHHHH',qid,0x0100,1,0,0,1 if edns else 0)
    body=b''.join(bytes([len(l)])+l.encode() for l in name.strip('.').split('.'))+b'\0'
    body+=struct.pack('>HH',qtype,1)
    if edns: body+=b'\0'+struct.pack('>HHIH',41,4096,0,0)
    return hdr+body
w('dns_packet','a', q('web.marathon.mesos',1))
w('dns_packet','aaaa_edns', q('web.marathon.mesos',28,edns=True))
w('dns_packet','srv', q('_web._tcp.marathon.mesos',33))
w('dns_packet','soa', q('mesos',6))
w('dns_packet','any_external', q('example.com',255))
w('dns_packet','compressed', struct.pack('>HHHHHH',1,0x0100,2,0,0,0)+b'\x03web\x08marathon\x05mesos\x00\x00\x01\x00\x01'+b'\xc0\x0c\x00\x1c\x00\x01')

# image_layer: small tarballs, with a whiteout, a symlink, a hard link; one gzipped.
def tarball(entries, gz=False):
    buf=io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w') as t:
        for kind,name,arg in entries:
            i=tarfile.TarInfo(name)
            if kind=='f': i.size=len(arg); t.addfile(i, io.BytesIO(arg))
            elif kind=='d': i.type=tarfile.DIRTYPE; i.mode=0o755; t.addfile(i)
            elif kind=='s': i.type=tarfile.SYMTYPE; i.linkname=arg; t.addfile(i)
            elif kind=='h': i.type=tarfile.LNKTYPE; i.linkname=arg; t.addfile(i)
    data=buf.getvalue()
    return gzip.compress(data, mtime=0) if gz else data
w('image_layer','layer.tar', tarball([('d','etc/',None),('f','etc/hostname',b'box\n'),('s','etc/link','hostname'),('h','etc/hard','etc/hostname')]))
w('image_layer','whiteouts.tar', tarball([('d','var/',None),('f','var/.wh.old',b''),('d','opt/',None),('f','opt/.wh..wh..opq',b'')]))
w('image_layer','layer.tar.gz', tarball([('d','bin/',None),('f','bin/sh',b'#!/bin/true\n')], gz=True))

# urls: zk:// URLs and URL-encoded text.
w('urls','zk','zk://10.0.0.1:2181,10.0.0.2:2181,zk3.example.com:2182/mesos')
w('urls','zk_v6_auth','zk://jane:s3cr:t@[::1]:2181/a/b-c/d_e')
w('urls','encoded','a%20b%2Fc+d%zz%4')
