"""Input validation without a cluster: names that reach a URL, image references, specs, durations."""

from __future__ import annotations

import pytest

from hotclone.core import configmap_values, durations, images, kinds
from hotclone.core.errors import InvalidInput, Refused
from hotclone.core.models import Environment, ImageSpec
from hotclone.core.validation import (
    validate_environment_name,
    validate_image,
    validate_label,
    validate_object_name,
)
from tests.helpers import run_cli

CLONE = Environment("ts", "hotfix", "ts-hotfix", "temporary")
TRAVERSALS = [
    "../../ts-production/configmaps/app-settings",
    "../../kube-system/configmaps/x",
    "name?dryRun=All",
    "../secrets/db",
    "app-settings/status",
    "app-settings#x",
    "app%2Fsettings",
    "..",
    ".",
    "a..b",
    "app-settings\n",
    "app settings",
    " app-settings",
    "App-Settings",
    "-app",
    "app-",
    "ä",
    "a" * 254,
    "",
]


@pytest.mark.parametrize("name", TRAVERSALS)
def test_object_names_that_could_leave_their_path_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput, match="ConfigMap name") as error:
        validate_object_name(name, "ConfigMap name")
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("name", ["app-settings", "a", "a.b-c.d", "x" * 253, "0abc"])
def test_object_names_kubernetes_accepts(name: str) -> None:
    assert validate_object_name(name, "ConfigMap name") == name


@pytest.mark.parametrize("name", ["qa\n", "qa\r", "qa ", "q_a", "\u0663"])
def test_labels_refuse_a_trailing_newline_and_non_ascii(name: str) -> None:
    # `re.match` with `$` accepts "qa\n": the patterns are matched whole.
    with pytest.raises(InvalidInput, match="invalid environment name"):
        validate_label(name, "environment name")
    with pytest.raises(InvalidInput, match="invalid environment name"):
        validate_environment_name("ts", name)


def test_every_path_segment_is_quoted() -> None:
    # The second wall: even a name that slipped past validation stays one segment.
    path = kinds.CONFIGMAP.object_path("ts-hotfix", "../../x?dryRun=All#y")
    assert path == "/api/v1/namespaces/ts-hotfix/configmaps/..%2F..%2Fx%3FdryRun%3DAll%23y"
    assert kinds.DEPLOYMENT.collection_path("a/b") == "/apis/apps/v1/namespaces/a%2Fb/deployments"
    for dots in ("..", ".", ""):
        with pytest.raises(InvalidInput):
            kinds.CONFIGMAP.object_path("ts-hotfix", dots)


@pytest.mark.parametrize("name", TRAVERSALS[:4])
def test_set_config_refuses_a_path_as_configmap_name_before_reading_anything(name: str) -> None:
    # edit is pure; _prepare runs the same check before its first request.
    with pytest.raises(InvalidInput, match=r"^invalid ConfigMap name "):
        configmap_values.edit(CLONE, None, name, {"K": "V"}, [])


def test_set_config_refuses_an_incomplete_clone() -> None:
    interrupted = Environment("ts", "hotfix", "ts-hotfix", "temporary", incomplete=True)
    configmap = {"kind": "ConfigMap", "metadata": {"name": "app-settings"}, "data": {}}
    with pytest.raises(Refused, match="incomplete"):
        configmap_values.edit(interrupted, configmap, "app-settings", {"K": "V"}, [])


@pytest.mark.parametrize("setting", ["A\n=1", "A\r=1", "ключ=1"])
def test_configmap_keys_are_matched_whole(setting: str) -> None:
    with pytest.raises(InvalidInput, match="invalid ConfigMap key"):
        configmap_values.parse_assignment(setting)


@pytest.mark.parametrize(
    "reference",
    [
        "web:1.9.4-ü",  # Unicode letters in a tag
        "web:1.9.\u0664",  # an Arabic-Indic four: \d matches it without re.ASCII
        "web:\u0661\u0662\u0663",  # Arabic-Indic digits
        "web:\u06f1\u06f2\u06f3",  # Extended Arabic-Indic digits
        "wéb:1",
        "web:1.9.4\n",
        "web:",
        "web:-1",
        "web@sha256:" + "A" * 64,  # registries want lowercase hex
        "web@sha256:" + "a" * 63,
        "web@sha512:" + "a" * 64,
        "Web:1",
    ],
)
def test_image_references_outside_the_ascii_grammar_are_refused(reference: str) -> None:
    with pytest.raises(InvalidInput, match="invalid image reference") as error:
        validate_image(reference)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    "reference",
    [
        "web",
        "ts/web:1.9.4",
        "registry.example.com:5000/team/web:v1_2.3-rc",
        "localhost/web:1",
        "[::1]:5000/web:1",
        "web@sha256:" + "a" * 64,
        "web:1.9.4@sha256:" + "0" * 64,
        "web:" + "x" * 128,
    ],
)
def test_image_references_registries_accept(reference: str) -> None:
    assert validate_image(reference) == reference


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("../web=a:1", "invalid workload name '..'"),  # WORKLOAD/CONTAINER: '..' is the workload
        ("web?x=a:1", "invalid workload name"),
        ("web\n=a:1", "invalid workload name"),
        ("web/../x=a:1", "invalid container name '../x'"),
        ("web/Web=a:1", "invalid container name 'Web'"),
    ],
)
def test_image_specs_validate_workload_and_container_names(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        images.parse_spec(text)


def _deployment(name: str, *containers: str) -> dict[str, object]:
    return {
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {"template": {"spec": {"containers": [{"name": c, "image": f"{c}:1"} for c in containers]}}},
    }


@pytest.mark.parametrize(
    "specs",
    [
        ["web=a:1", "web=a:2"],
        ["web/web=a:1", "web/web=a:2"],
        ["web=a:1", "web/web=a:2"],  # the same container, named two ways
        ["web=a:1", "web=a:1"],
    ],
)
def test_two_images_for_one_container_are_refused(specs: list[str]) -> None:
    with pytest.raises(InvalidInput, match="given twice"):
        images.edit(CLONE, [_deployment("web", "web")], [images.parse_spec(s) for s in specs])


def test_images_for_different_containers_are_fine() -> None:
    specs = [ImageSpec("web", "web", "a:2"), ImageSpec("web", "sidecar", "b:2")]
    _, _, changes = images.edit(CLONE, [_deployment("web", "web", "sidecar")], specs)
    assert [(c.container, c.new) for c in changes] == [("web", "a:2"), ("sidecar", "b:2")]


@pytest.mark.parametrize("text", ["999999999h", "99999999999999999999d", "366d", "53w", "8761h"])
def test_ttl_is_capped_at_a_year(text: str) -> None:
    with pytest.raises(InvalidInput, match=rf"^invalid duration {text!r}: at most 365 days"):
        durations.parse(text)


def test_ttl_of_a_year_is_accepted_and_digits_are_ascii() -> None:
    assert durations.parse("365d") == durations.MAX
    with pytest.raises(InvalidInput, match="invalid duration"):
        durations.parse("\u0662\u0664h")


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "0", "soon"])
def test_rollout_timeout_must_be_a_positive_number(value: str) -> None:
    result = run_cli("promote", "ts", "hotfix", "--timeout", value)
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        f"hotclone: error: argument --timeout: invalid number of seconds {value!r}: must be a positive number"
        " (see hotclone --help)"
    ]


def test_demo_seed_only_refuses_in_read_only_mode() -> None:
    result = run_cli("demo", "--seed-only", "--read-only")
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        "hotclone: error: read-only mode: demo --seed-only is disabled (it writes the demo app into the context)"
    ]
