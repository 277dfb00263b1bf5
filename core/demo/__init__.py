"""The TopicShare demo: data files, the module that seeds them, and the local control plane.

`seeding` holds the public names; `controlplane` (the local etcd + kube-apiserver that tests,
`hotclone demo` and the benchmarks run on) is imported by its full name.
"""

from hotclone.core.demo.seeding import (
    DEMO_APP,
    VERSIONS,
    crds,
    database_host,
    environment_objects,
    material_objects,
    namespace_object,
    production_objects,
    public_host,
    secret_value,
    seed,
    seed_crds,
    seed_types,
    type_configmaps,
)

__all__ = [
    "DEMO_APP",
    "VERSIONS",
    "crds",
    "database_host",
    "environment_objects",
    "material_objects",
    "namespace_object",
    "production_objects",
    "public_host",
    "secret_value",
    "seed",
    "seed_crds",
    "seed_types",
    "type_configmaps",
]
