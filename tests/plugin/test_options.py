"""The plugin's options, ini keys, env variables and markers, through pytester."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_botkube.settings import OPTIONS

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[2]

SHOW_SETTINGS = """
def test_show(botkube_settings):
    for name in {names!r}:
        print(f"SETTING {{name}}={{getattr(botkube_settings, name)!r}}")
"""


def settings_of(pytester: pytest.Pytester, *args: str, names: tuple[str, ...]) -> dict[str, str]:
    pytester.makepyfile(test_show=SHOW_SETTINGS.format(names=names))
    result = pytester.runpytest("-s", "-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=1)
    found = {}
    for line in result.outlines:
        _, marker, rest = line.partition("SETTING ")  # -s output may follow the file name
        if marker:
            key, _, value = rest.partition("=")
            found[key] = value
    return found


def test_every_option_is_a_botkube_flag_with_an_ini_key_in_help(pytester: pytest.Pytester):
    result = pytester.runpytest("--help")
    text = result.stdout.str()
    for option in OPTIONS:
        assert option.flag.startswith("--botkube-")
        assert option.flag in text
        assert option.ini in text
    assert result.ret == 0


def test_no_option_clashes_with_pytest_kind(pytester: pytest.Pytester):
    # pytest-kind owns these; registering any of them again would make pytest refuse to start.
    owned = {"--cluster-name", "--keep-cluster", "--kind-image", "--kind-bin", "--kubeconfig"}
    assert owned.isdisjoint(option.flag for option in OPTIONS)
    result = pytester.runpytest("--help")
    assert "--cluster-name" in result.stdout.str()  # pytest-kind's, still there


def test_defaults(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    for option in OPTIONS:
        if option.env:
            monkeypatch.delenv(option.env, raising=False)
    got = settings_of(
        pytester,
        names=("cluster_mode", "keep", "require_cluster", "quiet_window", "receiver_port"),
    )
    assert got == {
        "cluster_mode": "'create'",
        "keep": "'never'",
        "require_cluster": "False",
        "quiet_window": "20.0",
        "receiver_port": "0",
    }


def test_command_line_beats_env_beats_ini(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    pytester.makeini(
        "[pytest]\n"
        "botkube_keep = always\n"
        "botkube_cluster_name = from-ini\n"
        "botkube_quiet_window = 7\n"
        "botkube_scenario =\n    crash-v1.13.0\n    fixed-v1.14.0\n"
    )
    monkeypatch.setenv("BOTKUBE_CLUSTER_NAME", "from-env")
    monkeypatch.setenv("BOTKUBE_KEEP", "on-failure")
    monkeypatch.delenv("BOTKUBE_SCENARIO", raising=False)
    got = settings_of(
        pytester,
        "--botkube-keep",
        "never",
        names=("keep", "cluster_name", "quiet_window", "scenario"),
    )
    assert got == {
        "keep": "'never'",  # command line
        "cluster_name": "'from-env'",  # env over ini
        "quiet_window": "7.0",  # ini
        "scenario": "('crash-v1.13.0', 'fixed-v1.14.0')",  # ini linelist
    }


def test_repeated_and_comma_separated_scenarios(pytester: pytest.Pytester):
    got = settings_of(
        pytester,
        "--botkube-scenario",
        "crash-v1.13.0,fixed-v1.14.0",
        "--botkube-scenario",
        "control-healthy-v1.13.0",
        names=("scenario",),
    )
    assert got == {"scenario": "('crash-v1.13.0', 'fixed-v1.14.0', 'control-healthy-v1.13.0')"}


def test_require_cluster_from_flag_and_env(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("BOTKUBE_REQUIRE_CLUSTER", raising=False)
    assert settings_of(pytester, "--botkube-require-cluster", names=("require_cluster",)) == {
        "require_cluster": "True"
    }
    monkeypatch.setenv("BOTKUBE_REQUIRE_CLUSTER", "1")
    assert settings_of(pytester, names=("require_cluster",)) == {"require_cluster": "True"}
    monkeypatch.setenv("BOTKUBE_REQUIRE_CLUSTER", "no")
    assert settings_of(pytester, names=("require_cluster",)) == {"require_cluster": "False"}


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("--botkube-cluster-mode", "nope"), {}, "--botkube-cluster-mode: expected one of"),
        (("--botkube-keep", "sometimes"), {}, "--botkube-keep: expected one of"),
        (("--botkube-quiet-window", "soon"), {}, "--botkube-quiet-window: expected a number"),
        (("--botkube-event-timeout", "-1"), {}, "--botkube-event-timeout: must be >= 0"),
        ((), {"BOTKUBE_RECEIVER_PORT": "http"}, "environment variable BOTKUBE_RECEIVER_PORT"),
        ((), {"BOTKUBE_REQUIRE_CLUSTER": "maybe"}, "BOTKUBE_REQUIRE_CLUSTER: expected yes/no"),
        (("--botkube-values", "mine.yaml"), {}, "--botkube-values needs --botkube-version"),
    ],
)
def test_bad_setting_is_one_usage_error_naming_it(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    env: dict[str, str],
    message: str,
):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()
    assert "Traceback" not in result.stderr.str()


def test_bad_ini_value_names_the_ini_key(pytester: pytest.Pytester):
    pytester.makeini("[pytest]\nbotkube_cluster_mode = sideways\n")
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "ini key botkube_cluster_mode: expected one of create, reuse, existing" in (
        result.stderr.str()
    )


def test_markers_are_registered(pytester: pytest.Pytester):
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(
        ["@pytest.mark.botkube_scenario(name):*", "@pytest.mark.botkube_e2e:*"]
    )


def test_user_test_with_markers_is_clean_under_strict_markers_and_warnings_as_errors(
    pytester: pytest.Pytester,
):
    pytester.makepyfile(
        test_mine="""
        import pytest

        @pytest.mark.botkube_e2e
        @pytest.mark.botkube_scenario("crash-v1.13.0")
        def test_mine(botkube_scenario):
            assert botkube_scenario.name == "crash-v1.13.0"
            assert botkube_scenario.botkube_version == "v1.13.0"
            assert botkube_scenario.expect.plugin.status == "Deactivated"
        """
    )
    result = pytester.runpytest("--strict-markers", "--strict-config", "-W", "error")
    result.assert_outcomes(passed=1)


def test_scenario_fixture_without_marker_fails_clearly(pytester: pytest.Pytester):
    pytester.makepyfile(
        test_mine="""
        def test_unmarked(request):
            request.getfixturevalue("botkube_scenario")  # too late for the matrix
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    assert "botkube_scenario needs @pytest.mark.botkube_scenario('name')" in result.stdout.str()


@pytest.mark.parametrize(
    ("marker", "fixtures", "message"),
    [
        (
            '("no-such-scenario")',
            "botkube_reproduce, botkube_scenario",
            "@pytest.mark.botkube_scenario('no-such-scenario'): no scenario named "
            "'no-such-scenario' in ",
        ),
        (
            "()",
            "botkube_reproduce, botkube_scenario",
            "@pytest.mark.botkube_scenario(): needs exactly one scenario name",
        ),
        (
            '("crash-v1.13.0", "fixed-v1.14.0")',
            "botkube_release",
            "@pytest.mark.botkube_scenario('crash-v1.13.0', 'fixed-v1.14.0'): needs exactly one",
        ),
        (  # a test that takes no scenario fixture: the marker's name is still checked
            '("no-such-scenario")',
            "botkube_environment",
            "@pytest.mark.botkube_scenario('no-such-scenario'): no scenario named",
        ),
        (
            '("reports/broken.yaml")',
            "botkube_reproduce, botkube_scenario",
            "@pytest.mark.botkube_scenario('reports/broken.yaml'): reports/broken.yaml: "
            "<root>: missing required key",
        ),
    ],
    ids=["unknown-name", "no-name", "two-names", "no-scenario-fixture", "broken-file"],
)
def test_a_bad_scenario_marker_is_a_collection_error_naming_test_and_marker(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    marker: str,
    fixtures: str,
    message: str,
):
    """Before, the marker was read in a function fixture, after the session's environment had
    skipped: "SKIPPED ... no Docker daemon answers", exit 0, on a machine without Docker."""
    (pytester.path / "reports").mkdir()
    (pytester.path / "reports" / "broken.yaml").write_text("name: broken\n", encoding="utf-8")
    pytester.makepyfile(
        test_mine=f"""
        import pytest

        @pytest.mark.botkube_scenario{marker}
        def test_mine({fixtures}):
            pass

        def test_other():
            pass
        """
    )
    empty_bin = pytester.path / "empty-bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))  # no docker: nothing live can run
    for option in OPTIONS:
        if option.env:
            monkeypatch.delenv(option.env, raising=False)
    for args in ((), ("--collect-only",)):
        result = pytester.runpytest("-p", "no:cacheprovider", "-rs", *args)
        assert result.ret == pytest.ExitCode.INTERRUPTED, result.stdout.str()
        result.assert_outcomes(errors=1)
        text = result.stdout.str()
        assert "ERROR collecting test_mine.py" in text
        assert f"test_mine.py::test_mine: {message}" in text
        assert "Traceback" not in text
        assert "SKIPPED" not in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--botkube-scenario", "nosuch"), "--botkube-scenario: unknown nosuch (known: "),
        (
            ("--botkube-scenario", "crash-v1.13.0,./broken.yaml"),
            "--botkube-scenario: {dir}/broken.yaml: <root>: missing required key",
        ),
        (
            ("--botkube-scenario", "./typo.yaml"),
            "--botkube-scenario: {dir}/typo.yaml: no such file",
        ),
        (
            ("--botkube-values", "./nonexist.yaml", "--botkube-version", "1.13.0"),
            "--botkube-values: {dir}/nonexist.yaml: no such file",
        ),
        (
            ("--botkube-values", "./bad.yaml", "--botkube-version", "1.13.0"),
            "--botkube-values: {dir}/bad.yaml:2:1: invalid YAML",
        ),
    ],
    ids=["unknown-name", "broken-scenario", "missing-scenario", "missing-values", "bad-values"],
)
def test_scenario_options_are_checked_where_parsed_even_if_no_test_uses_them(
    pytester: pytest.Pytester, args: tuple[str, ...], message: str
):
    """A user's project whose tests take no scenario: before, each of these ran "1 passed",
    exit 0 (only a test parametrized by the plugin ever loaded them)."""
    pytester.path.joinpath("broken.yaml").write_text("name: x\n", encoding="utf-8")
    pytester.path.joinpath("bad.yaml").write_text("sources: [\n", encoding="utf-8")
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    assert message.format(dir=pytester.path) in result.stderr.str()
    assert "Traceback" not in result.stderr.str()
    assert "passed" not in result.stdout.str()


def test_scenario_options_from_the_ini_file_are_checked_too(pytester: pytest.Pytester):
    pytester.makeini("[pytest]\nbotkube_scenario =\n    crash-v1.13.0\n    nosuch\n")
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--botkube-scenario: unknown nosuch (known: " in result.stderr.str()


USER_TESTS = """
import pytest

def test_mine(botkube_scenario):
    print(f"SCENARIO {botkube_scenario.name} {botkube_scenario.botkube_version}")

@pytest.mark.botkube_scenario("crash-v1.13.0")
def test_named(botkube_scenario):
    assert botkube_scenario.name == "crash-v1.13.0"

@pytest.mark.parametrize("botkube_scenario_name", ["fixed-v1.14.0"])
def test_own_parameter(botkube_scenario):
    assert botkube_scenario.name == "fixed-v1.14.0"
"""


def test_the_installed_plugin_runs_a_users_test_once_per_scenario(pytester: pytest.Pytester):
    """No conftest: the plugin itself parametrizes a test that uses ``botkube_scenario``."""
    from pytest_botkube.scenario import scenario_names

    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest("-v", "-p", "no:cacheprovider")
    names = scenario_names()
    result.assert_outcomes(passed=len(names) + 2)
    for name in names:
        result.stdout.fnmatch_lines([f"*test_mine?{name}? PASSED*"])
    result.stdout.fnmatch_lines(
        ["*test_named PASSED*", "*test_own_parameter?fixed-v1.14.0? PASSED*"]
    )


def test_the_installed_plugin_honours_botkube_scenario_in_a_users_test(
    pytester: pytest.Pytester, tmp_path: Path
):
    mine = pytester.path / "reports" / "crash-v1.13.0.yaml"  # a user's copy, outside scenarios/
    mine.parent.mkdir()
    mine.write_text((ROOT / "scenarios" / "crash-v1.13.0.yaml").read_text(), encoding="utf-8")
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest(
        "-v", "-s", "-p", "no:cacheprovider",
        "--botkube-scenario", "control-healthy-v1.13.0,reports/crash-v1.13.0.yaml",
    )  # fmt: skip
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines([
        "*test_mine?control-healthy-v1.13.0? SCENARIO control-healthy-v1.13.0 v1.13.0*",
        "*test_mine?crash-v1.13.0? SCENARIO crash-v1.13.0 v1.13.0*",
    ])  # fmt: skip
    unknown = pytester.runpytest("--botkube-scenario", "nope")
    assert unknown.ret != pytest.ExitCode.OK
    assert (
        "--botkube-scenario: unknown nope (known: " in unknown.stdout.str() + unknown.stderr.str()
    )


def test_fixture_scopes(pytester: pytest.Pytester):
    # --setup-plan shows each fixture's scope (S session, F function) without running any.
    pytester.makepyfile(
        test_plan="""
        import pytest

        @pytest.mark.botkube_scenario("crash-v1.13.0")
        def test_plan(botkube_workload, botkube_health, botkube_cluster):
            pass
        """
    )
    result = pytester.runpytest("--setup-plan")
    lines = [line.strip() for line in result.outlines]

    def scope_of(name: str) -> str:
        for line in lines:
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "SETUP" and parts[2] == name:
                return parts[1]
        raise AssertionError(f"{name} not in the setup plan:\n" + "\n".join(lines))

    for name in (
        "botkube_settings",
        "botkube_environment",
        "botkube_cluster",
        "botkube_receiver_endpoint",
    ):
        assert scope_of(name) == "S", name
    for name in (
        "botkube_receiver",
        "botkube_scenario",
        "botkube_release",
        "botkube_workload",
        "botkube_health",
    ):
        assert scope_of(name) == "F", name


def test_relative_paths_follow_where_they_were_written(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    pytester.makeini("[pytest]\nbotkube_kubeconfig = cfg/kubeconfig\n")
    sub = pytester.mkdir("sub")
    pytester.makepyfile(test_show=SHOW_SETTINGS.format(names=("artifacts", "kubeconfig")))
    monkeypatch.delenv("BOTKUBE_ARTIFACTS", raising=False)
    monkeypatch.delenv("BOTKUBE_KUBECONFIG", raising=False)
    monkeypatch.chdir(sub)
    result = pytester.runpytest("-s", "-p", "no:cacheprovider", "--botkube-artifacts", "out", "..")
    result.assert_outcomes(passed=1)
    out = result.stdout.str()
    assert f"SETTING artifacts={sub / 'out'!r}" in out  # command line: from where pytest started
    assert f"SETTING kubeconfig={pytester.path / 'cfg' / 'kubeconfig'!r}" in out  # ini: its dir


def test_tests_using_live_fixtures_are_marked_and_deselectable(pytester: pytest.Pytester):
    pytester.makepyfile(
        test_mixed="""
        import pytest

        @pytest.mark.botkube_scenario("crash-v1.13.0")
        def test_live(botkube_release):
            pass

        @pytest.mark.botkube_scenario("crash-v1.13.0")
        def test_offline(botkube_scenario):
            assert botkube_scenario.name == "crash-v1.13.0"
        """
    )
    result = pytester.runpytest("-m", "not botkube_e2e", "-v")
    result.assert_outcomes(passed=1, deselected=1)
    result.stdout.fnmatch_lines(["*test_offline PASSED*"])


def test_pytest_and_botkube_repro_run_build_the_same_settings(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    """The same flags and environment give the same typed Settings in both front-ends."""
    from pytest_botkube.cli import build_parser
    from pytest_botkube.cli.run import LIVE_OPTIONS, live_settings
    from pytest_botkube.plugin import SETTINGS_KEY
    from pytest_botkube.settings import Settings

    for option in OPTIONS:
        if option.env:
            monkeypatch.delenv(option.env, raising=False)
    monkeypatch.setenv("BOTKUBE_KEEP", "always")
    seen: list[Settings] = []

    class Grab:
        def pytest_sessionstart(self, session: pytest.Session) -> None:
            seen.append(session.config.stash[SETTINGS_KEY])

    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--botkube-quiet-window", "5", "--botkube-kubeconfig", "cfg",
        "--botkube-no-download", plugins=[Grab()],
    )  # fmt: skip
    result.assert_outcomes(passed=1)
    args = build_parser().parse_args(
        ["run", "crash-v1.13.0", "--quiet-window", "5", "--kubeconfig", "cfg", "--no-download"]
    )
    from_run = live_settings(args, {"BOTKUBE_KEEP": "always"})
    (from_pytest,) = seen
    assert isinstance(from_pytest, Settings)
    assert from_run.keep == "always"
    assert from_run.quiet_window == 5.0
    assert from_run.kubeconfig == pytester.path / "cfg"
    for option in LIVE_OPTIONS:
        assert getattr(from_run, option.name) == getattr(from_pytest, option.name), option.name
