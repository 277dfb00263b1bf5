"""Several clusters, the pure parts: addressing ENV@CONTEXT, merging applications, where a clone
came from, the cross-cluster preflight, the type's `cluster` key and the repeatable --context.
No cluster, no network (tests/test_multicluster.py runs the story on two control planes)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from hotclone.cli.parser import build_parser, contexts_of
from hotclone.core import clone, discovery, envtypes, live, preflight
from hotclone.core.envtypes import TypeDefinition
from hotclone.core.errors import InvalidInput, NotFound
from hotclone.core.inventory import Inventory
from hotclone.core.models import Application, ClonePlan, Environment, Skipped

Obj = dict[str, Any]

PROD_A = Environment("shop", "production", "shop-production", "production", cluster="a")
QA_A = Environment("shop", "qa", "shop-qa", "qa", cluster="a")
QA_B = Environment("shop", "qa", "shop-qa", "qa", cluster="b")
HOTFIX_B = Environment(
    "shop",
    "hotfix",
    "shop-hotfix",
    "temporary",
    cloned_from="production",
    cluster="b",
    cloned_from_context="a",
    cloned_from_server="https://a.example:6443",
)


def test_a_bare_name_in_one_cluster_resolves_and_in_two_is_ambiguous() -> None:
    known = [PROD_A, QA_A, QA_B, HOTFIX_B]
    assert discovery.pick("shop", "production", known) == PROD_A
    assert discovery.pick("shop", "qa@b", known) == QA_B
    with pytest.raises(InvalidInput, match=r"'qa' of 'shop' is in more than one cluster: name one \(qa@a, qa@b\)"):
        discovery.pick("shop", "qa", known)
    with pytest.raises(NotFound, match=r"unknown environment 'qa@c'.*known: production@a, qa@a, qa@b, hotfix@b"):
        discovery.pick("shop", "qa@c", known)


def test_a_single_cluster_lists_names_without_contexts() -> None:
    one = [Environment("shop", "qa", "shop-qa", "qa", cluster="a")]
    with pytest.raises(NotFound, match=r"\(known: qa\)$"):
        discovery.pick("shop", "dev", one)


def test_applications_merge_across_clusters_by_name_and_keep_each_context() -> None:
    merged = live.merged_applications(
        [[Application("shop", (QA_A, PROD_A))], [Application("shop", (HOTFIX_B,)), Application("blog", (QA_B,))]]
    )
    assert [a.name for a in merged] == ["blog", "shop"]
    shop = merged[1]
    assert [(e.name, e.cluster) for e in shop.environments] == [("production", "a"), ("qa", "a"), ("hotfix", "b")]


def test_the_namespace_read_through_a_context_is_an_environment_of_that_context() -> None:
    namespace = {
        "metadata": {
            "name": "shop-hotfix",
            "labels": {"hotclone.io/app": "shop", "hotclone.io/env": "hotfix", "hotclone.io/env-type": "temporary"},
            "annotations": {
                "hotclone.io/cloned-from": "production",
                "hotclone.io/cloned-from-context": "a",
                "hotclone.io/cloned-from-server": "https://a.example:6443",
            },
        }
    }
    found = discovery.from_namespace(namespace, "b")
    assert (found.cluster, found.cloned_from_context, found.cloned_from_server) == ("b", "a", "https://a.example:6443")
    assert found.address == "hotfix@b"


def test_a_clone_came_from_its_source_by_name_and_by_cluster() -> None:
    a, b = "https://a.example:6443", "https://b.example:6443"
    hotfix_b = dataclasses.replace(HOTFIX_B, server=b)
    assert hotfix_b.cloned_from_env(dataclasses.replace(PROD_A, server=a))
    assert not hotfix_b.cloned_from_env(dataclasses.replace(PROD_A, server=b))  # the same name elsewhere
    within = Environment("shop", "hotfix", "shop-hotfix", "temporary", cloned_from="production", cluster="a")
    within = dataclasses.replace(within, server=a)
    assert within.cloned_from_env(dataclasses.replace(PROD_A, server=a))
    assert not within.cloned_from_env(dataclasses.replace(PROD_A, server=b))
    assert not within.cloned_from_env(dataclasses.replace(QA_A, server=a))


def _deployment(env_value: str) -> Obj:
    container = {"name": "web", "image": "shop/web:1", "env": [{"name": "URL", "value": env_value}]}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop-production"},
        "spec": {"template": {"spec": {"containers": [container]}}},
    }


def test_across_clusters_the_source_api_server_still_points_at_the_source() -> None:
    origin = Environment("shop", "production", "shop-production", "production")
    read = Inventory(objects=[_deployment("https://api.prod-eu.example.com:6443/apis")])
    definition = TypeDefinition("remote", None, (), cluster="b")
    within = clone.plan_from(origin, "fix", read, definition)
    assert within.plan.still_pointing == ()
    across = clone.plan_from(origin, "fix", read, definition, source_server="https://api.prod-eu.example.com:6443")
    (finding,) = across.plan.still_pointing
    assert (finding.object, finding.path) == ("Deployment/web", "spec.template.spec.containers[web].env[URL].value")
    assert "API server api.prod-eu.example.com" in finding.points_at
    assert across.plan.refused


def test_across_clusters_other_namespaces_services_are_warned_about_and_the_own_rewritten() -> None:
    origin = Environment("shop", "production", "shop-production", "production")
    value = "kafka.shared.svc:9092,search.shop-production.svc.cluster.local"
    read = Inventory(objects=[_deployment(value)])
    planned = clone.plan_from(origin, "fix", read, TypeDefinition("remote", None, ()), source_server="https://10.0.0.1")
    assert planned.copies[0]["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] == (
        "kafka.shared.svc:9092,search.shop-fix.svc.cluster.local"
    )
    (warning,) = [w for w in planned.plan.warnings if "Service" in w]
    assert "names Service kafka in namespace shared" in warning
    assert not planned.plan.refused  # a shared Service elsewhere is not production's
    assert preflight.server_endpoints("https://127.0.0.1:6443") == []  # a local plane names nothing


def test_kinds_the_target_does_not_serve_refuse_the_plan_in_one_line() -> None:
    plan = ClonePlan(
        "shop",
        "production",
        "fix",
        "shop-fix",
        "remote",
        cluster="b",
        source_cluster="a",
        missing_kinds=(Skipped("example.com/v1 Widget", "not served by context b (Widget.example.com/w)"),),
    )
    assert plan.refused and plan.cross_cluster
    message = clone.refusal(plan)
    assert message.startswith("clone refused: context b does not serve 1 kind(s) that production has")
    assert "example.com/v1 Widget" in message and "\n" not in message


def test_the_types_cluster_key_is_parsed_and_bad_names_are_one_line() -> None:
    configmap = envtypes.type_configmap("remote", "", "24h", app="shop", cluster="prod-eu-1")
    assert envtypes.from_configmap(configmap).cluster == "prod-eu-1"
    assert envtypes.from_configmap(configmap).summary().cluster == "prod-eu-1"
    bad = envtypes.type_configmap("remote", "", "24h", cluster="two words\x1b[31m")
    with pytest.raises(InvalidInput, match=r"cluster .* is not a kubeconfig context name"):
        envtypes.from_configmap(bad)


def test_context_may_be_repeated_before_and_after_the_subcommand() -> None:
    args = build_parser().parse_args(["--context", "a", "apps", "--context", "b", "--context", "a"])
    assert contexts_of(args) == ["a", "b"]
    assert contexts_of(build_parser().parse_args(["apps"])) == []
