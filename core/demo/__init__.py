"""The TopicShare demo: data files, the module that seeds them, and the local control plane.

`seeding` holds the public names; `controlplane` (the local etcd + kube-apiserver that tests,
`hotclone demo` and the benchmarks run on) is imported by its full name.
"""

from hotclone.core.demo.seeding import (
    DEMO_APP,
    VERSIONS,
    database_host,
    environment_objects,
    material_objects,
    namespace_object,
    public_host,
    secret_value,
    seed,
    seed_types,
)

__all__ = [
    "DEMO_APP",
    "VERSIONS",
    "database_host",
    "environment_objects",
    "material_objects",
    "namespace_object",
    "public_host",
    "secret_value",
    "seed",
    "seed_types",
]
