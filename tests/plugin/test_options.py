"""The plugin's options, ini keys, env variables and markers, through pytester."""

from __future__ import annotations

import pytest

from pytest_botkube.plugin.options import OPTIONS

pytest_plugins = ["pytester"]

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
        "a,b",
        "--botkube-scenario",
        "c",
        names=("scenario",),
    )
    assert got == {"scenario": "('a', 'b', 'c')"}


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


def test_scenario_fixture_without_marker_or_with_unknown_name_fails_clearly(
    pytester: pytest.Pytester,
):
    pytester.makepyfile(
        test_mine="""
        import pytest

        def test_unmarked(botkube_scenario):
            pass

        @pytest.mark.botkube_scenario("no-such-scenario")
        def test_unknown(botkube_scenario):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=2)
    text = result.stdout.str()
    assert "botkube_scenario needs @pytest.mark.botkube_scenario('name')" in text
    assert "no scenario named 'no-such-scenario'" in text


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
