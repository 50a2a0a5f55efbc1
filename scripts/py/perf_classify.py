#!/usr/bin/env python3
"""Where a node's CPU goes, from `perf script -F comm,tid,ip,sym --no-demangle` output.

Each sample is put in the first category whose marker (a mangled module or function name) is on its
stack, in the order below (agent work before the storage, HTTP, TLS, transport and coordination it
may run under); the shares are scaled to the CPU per assessment given as the second argument.

    perf record -F 499 -g -p PID,PID,PID -o perf.data -- sleep 10
    perf script -i perf.data -F comm,tid,ip,sym --no-demangle > perf.txt
    scripts/py/perf_classify.py perf.txt 22.6
"""
import collections
import re
import sys

markers = [
 ("agent:Engine.compute", "Assessment0A6EngineO7compute"),
 ("agent:validate request", "RequestValidatorO8validate"),
 ("agent:render report json", "ReportRendererO4json"),
 ("agent:decode request", "RequestV10storedForm"),
 ("agent:decode results", "AgentResultV10storedForm"),
 ("agent:encode result", "AgentExecutorV7compute"),
 ("sqlite", "sqlite3"),
 ("storage(swift)", "7Storage"),
 ("http:hummingbird", "11Hummingbird"),
 ("http:HTTPAPI", "7HTTPAPI"),
 ("tls", "NIOSSL"),
 ("transport:ClusterSystem", "13ClusterSystem"),
 ("transport:Wire", "4Wire"),
 ("coord:Coordination", "12Coordination"),
 ("coord:Shell", "17CoordinationShell"),
 ("membership", "10Membership"),
 ("nio", "8NIOPosix"),
 ("nio", "7NIOCore"),
 ("inframind main", "9inframind"),
]
counts = collections.Counter(); bythread = collections.Counter(); total=0
comm=None; stack=[]
def flush():
    global total
    if comm is None: return
    total+=1
    label="other"
    # kernel-only stacks
    joined = "\n".join(stack)
    for name, m in markers:
        if m in joined:
            label=name; break
    else:
        if stack and all(('[unknown]' in s or s.strip()=='' ) for s in stack): label="unknown"
        elif any('futex' in s or 'schedule' in s or 'finish_task_switch' in s for s in stack[:8]): label="sched(no swift frame)"
        elif any('swift_task' in s or 'swift_job' in s or 'dispatch' in s for s in stack): label="swift concurrency runtime"
    g = re.sub(r'#\d+','',comm)
    counts[label]+=1; bythread[(g,label)]+=1
for line in open(sys.argv[1]):
    if not line.startswith('\t') and line.strip():
        flush(); parts=line.split(); comm=parts[0]; stack=[]
    elif line.strip():
        stack.append(line.strip())
flush()
scale=float(sys.argv[2]) if len(sys.argv)>2 else 100.0
for k,v in counts.most_common(): print(f"{v/total*scale:7.2f}  {k}")
print()
for (g,l),v in sorted(bythread.items(), key=lambda x:-x[1])[:40]: print(f"{v/total*scale:7.2f}  {g:18s} {l}")
