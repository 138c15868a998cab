"""The official Python kubernetes client against a sandbox, as a user's script would use it.

kube_client.py KUBECONFIG list NAMESPACE
kube_client.py KUBECONFIG watch-configmaps NAMESPACE NEW_NAME   (creates NEW_NAME while watching)
kube_client.py KUBECONFIG exec NAMESPACE POD COMMAND...

Prints one JSON document on stdout.
"""
import json
import sys

from kubernetes import client, config, watch
from kubernetes.stream import stream


def main(kubeconfig, command, *args):
    config.load_kube_config(config_file=kubeconfig)
    v1 = client.CoreV1Api()
    if command == 'list':
        (namespace,) = args
        return {'pods': [p.metadata.name for p in v1.list_namespaced_pod(namespace).items]}
    if command == 'watch-configmaps':
        namespace, new_name = args
        events = []
        w = watch.Watch()
        for event in w.stream(v1.list_namespaced_config_map, namespace, timeout_seconds=10):
            events.append([event['type'], event['object'].metadata.name])
            if len(events) == 1:
                body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name=new_name), data={'from': 'python'})
                v1.create_namespaced_config_map(namespace, body)
            if event['object'].metadata.name == new_name:
                w.stop()
        return {'events': events}
    if command == 'exec':
        namespace, pod, *argv = args
        resp = stream(v1.connect_get_namespaced_pod_exec, pod, namespace, command=argv,
                      stderr=True, stdin=False, stdout=True, tty=False, _preload_content=False)
        resp.run_forever(timeout=10)
        return {'stdout': resp.read_stdout(), 'stderr': resp.read_stderr(), 'open': resp.is_open(),
                'returncode': None if resp.is_open() else resp.returncode}
    raise SystemExit(f'unknown command {command}')


if __name__ == '__main__':
    print(json.dumps(main(*sys.argv[1:])))
