"""Redaction: secrets never leave the machine in a report, an artifact or a pasted log.

Reports are meant to be pasted into public GitHub issues, and the values and logs they carry are a
user's real ones: chat tokens, webhook URLs, kubeconfig credentials. Everything that leaves goes
through here. A secret is replaced by ``<redacted>`` while its key, scheme and URL host stay, so a
maintainer still sees *which* setting was set and where a URL pointed.

Two layers: structured (``redact_values``: any key named like a secret, at any depth) and textual
(``redact_text``: known token shapes, credentials inside URLs, ``key: value`` / ``key=value`` pairs
whose key is named like a secret, PEM private keys). Structured redaction also runs the textual
layer over every remaining string, so a token pasted into an unexpected place is still caught.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

REDACTED: Final = "<redacted>"

# Normalised (lower case, no "-", "_", ".", " ") key fragments that mark a secret. Checked against
# the BotKube v1.14.0 chart and config: socketSlack.botToken/appToken, mattermost.token,
# discord.token, cloudSlack.token, teams.appPassword, elasticsearch.password,
# pagerDuty.integrationKey, config.provider.apiKey, kubeconfig.base64Config,
# plugins.repositories.<name>.headers (Authorization), and kubeconfig files themselves.
_SECRET_KEY_FRAGMENTS: Final = (
    "token",
    "secret",
    "password",
    "passwd",
    "passphrase",
    "apikey",
    "privatekey",
    "accesskey",
    "integrationkey",
    "clientkeydata",
    "clientcertificatedata",
    "credential",
    "authorization",
    "cookie",
    "signature",
    "base64config",
)
_SECRET_KEY_EXACT: Final = frozenset({"pwd", "sig", "auth", "key", "code"})
# Keys that contain a secret word but hold a *name* or a flag, never the secret itself; keeping
# them readable matters (``existingSecret: botkube-comms`` tells a maintainer where to look).
_NOT_SECRET_SUFFIXES: Final = (
    "name",
    "names",
    "ref",
    "valid",
    "enabled",
    "path",
    "file",
    "ttl",
    "class",
)
_NOT_SECRET_PREFIXES: Final = ("existing",)

# ``key`` and ``code`` are only secrets as URL query parameters (``?key=...``), not as YAML keys
# (labels, annotations and ``kubectl`` flags use ``key:`` for plain data).
_QUERY_ONLY: Final = frozenset({"key", "code"})


def _normalise(key: str) -> str:
    return re.sub(r"[-_. ]", "", key).lower()


def is_secret_key(key: object, *, query_param: bool = False) -> bool:
    """True when a mapping key (or, with ``query_param``, a URL query name) names a secret."""
    if not isinstance(key, str):
        return False
    norm = _normalise(key)
    if not norm:
        return False
    if norm in _SECRET_KEY_EXACT:
        return query_param or norm not in _QUERY_ONLY
    if norm.startswith(_NOT_SECRET_PREFIXES) or norm.endswith(_NOT_SECRET_SUFFIXES):
        return False
    return any(fragment in norm for fragment in _SECRET_KEY_FRAGMENTS)


# --- textual layer -----------------------------------------------------------------------------

_PEM_PRIVATE_KEY = re.compile(
    r"(?P<begin>-----BEGIN (?P<kind>[A-Z0-9 ]*?)PRIVATE KEY-----)"
    r"(?:.*?(?P<end>-----END (?P=kind)PRIVATE KEY-----)|.*\Z)",
    re.DOTALL,
)

# Known webhook URLs whose *path* is the credential: keep scheme, host and the fixed prefix. A
# backslash ends the secret too: inside a logfmt or JSON-escaped message the URL is followed by
# ``\\"``, and that quote's escape must survive.
_WEBHOOK_PATHS: Final = (
    re.compile(
        r"(?P<keep>https?://hooks\.slack\.com/(?:services|workflows|triggers)/)[^\s\"'<>\\]+"
    ),
    re.compile(
        r"(?P<keep>https?://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/(?:v\d+/)?webhooks/)"
        r"[^\s\"'<>?\\]+"
    ),
    re.compile(r"(?P<keep>https?://[A-Za-z0-9.-]*\.webhook\.office\.com/)[^\s\"'<>?\\]+"),
    re.compile(r"(?P<keep>https?://outlook\.office(?:365)?\.com/webhook/)[^\s\"'<>?\\]+"),
    # The same secrets behind another host (a relay, a proxy, a self-hosted chat): Slack's
    # ``/services/T<team>/B<bot>/<secret>`` path shape, and the ``/hooks/<key>`` of Mattermost and
    # Rocket.Chat incoming webhooks (``/hooks/<id>/<token>``), whatever the host.
    re.compile(
        r"(?P<keep>https?://[^\s/\"'<>\\]+(?:/[^\s/?#\"'<>\\]+)*?/services/)"
        r"T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[^\s\"'<>?#\\]+"
    ),
    re.compile(r"(?P<keep>https?://[^\s/\"'<>\\]+(?:/[^\s/?#\"'<>\\]+)*?/hooks/)[^\s\"'<>?#\\]+"),
)

# Any other URL path segment that looks like a generated credential: 20 or more characters of
# letters, digits, ``-`` and ``_`` with upper case, lower case and digits mixed (API keys, hook
# secrets). Release tags, file names (a dot), UUIDs and commit ids (lower case) stay readable.
_URL_PATH = re.compile(r"(?P<base>https?://[^\s/\"'<>\\]+)(?P<path>/[^\s?#\"'<>\\]*)")
_RANDOM_SEGMENT = re.compile(
    r"(?=[A-Za-z0-9_-]*[A-Z])(?=[A-Za-z0-9_-]*[a-z])(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{20,}"
)


def _redact_url_path(match: re.Match[str]) -> str:
    segments = match.group("path").split("/")
    kept = [REDACTED if _RANDOM_SEGMENT.fullmatch(seg) else seg for seg in segments]
    return match.group("base") + "/".join(kept)


_URL_USERINFO = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/\s@\"'<>]+)@(?=[^\s/@\"'<>]+)"
)
# ``user:pass@host`` without a scheme (a proxy setting, a git remote): the password goes.
_BARE_USERINFO = re.compile(
    r"(?<![A-Za-z0-9_.:/@%+-])(?P<user>[A-Za-z0-9_.+-]+):(?P<password>[^\s:@/\"'<>]+)@"
    r"(?=(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}|\d{1,3}(?:\.\d{1,3}){3})"
)
# ``--token VALUE`` / ``--password=VALUE`` on a command line (a pasted helm or botkube call).
_FLAG_VALUE = re.compile(
    r"(?P<flag>(?<![A-Za-z0-9_-])--?[A-Za-z][A-Za-z0-9_-]*)(?P<sep>=|[ \t]+)"
    r"(?P<value>(?!-)(?!<redacted>)[^\s\"']+)"
)
_QUERY_PARAM = re.compile(r"(?P<lead>[?&;])(?P<name>[A-Za-z0-9_.\-\[\]]+)=(?P<value>[^&#\s\"'<>]*)")

_TOKEN_SHAPES: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    # Slack: bot/user/app/config/refresh tokens.
    (re.compile(r"\b(?P<keep>xox[abposre]-)[A-Za-z0-9-]{6,}"), r"\g<keep>" + REDACTED),
    (re.compile(r"\b(?P<keep>xapp-)[A-Za-z0-9-]{6,}"), r"\g<keep>" + REDACTED),
    # Discord bot tokens and JWTs (service account tokens): three base64url parts.
    (
        re.compile(
            r"(?<![A-Za-z0-9_\-.])[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{20,}"
        ),
        REDACTED,
    ),
    # Microsoft Entra (Azure AD) client secrets, used as Teams app passwords: "xxx8Q~...".
    (re.compile(r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_.-]{3}\dQ~[A-Za-z0-9_.~-]{31,}"), REDACTED),
    # GitHub and AWS credentials, in case a CI log is attached.
    (re.compile(r"\b(?P<keep>gh[pousr]_)[A-Za-z0-9]{30,}"), r"\g<keep>" + REDACTED),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), REDACTED),
    # Credentials after an HTTP auth scheme wherever they appear.
    (
        re.compile(r"\b(?P<keep>(?:Bearer|Basic|Bot)\s+)(?!<redacted>)[A-Za-z0-9._~+/=-]{8,}"),
        r"\g<keep>" + REDACTED,
    ),
)


# ``key: value``, ``key=value``, ``"key": "value"`` and the same escaped inside a JSON log
# message. Only keys containing a secret word match, so a non-secret key never swallows a
# value that itself holds ``key: value`` pairs; ``is_secret_key`` then applies the exceptions.
def _fragment_pattern(fragment: str) -> str:
    return "[-_. ]?".join(re.escape(char) for char in fragment)


_SECRET_KEY_NAME = (
    r"[A-Za-z0-9_.\-]*?(?:"
    + "|".join(_fragment_pattern(f) for f in _SECRET_KEY_FRAGMENTS)
    + r")[A-Za-z0-9_.\-]*|pwd|sig|auth"
)
_KEY_VALUE = re.compile(
    r"(?<![A-Za-z0-9_.\-])(?P<key>(?:\\?[\"'])?(?P<name>" + _SECRET_KEY_NAME + r")(?:\\?[\"'])?)"
    r"(?P<sep>[ \t]*[:=][ \t]*)"
    r"(?P<scheme>(?:Bearer|Basic|Bot|Token|Digest)[ \t]+)?"
    r"(?P<value>\\\"(?:[^\"\\]|\\[^\"])*\\\"|\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'"
    r"|(?![\[{])[^\s\x00-\x1f,;}&\"'\\]+)",  # a YAML flow list/map is left whole (valid YAML)
    re.IGNORECASE,
)


# A YAML block scalar (``password: |``) under a secret key: the secret is on the lines below.
_YAML_BLOCK = re.compile(
    r"^(?P<head>(?P<indent>[ \t]*)(?:- )?(?P<key>[^\s:#\"']+):[ \t]*[|>][-+0-9]*[ \t]*\n)"
    r"(?P<body>(?:(?P=indent)[ \t]+\S.*(?:\n|\Z)|[ \t]*\n)+)",
    re.MULTILINE,
)


# A container env entry whose *name* says secret: ``- name: SLACK_BOT_TOKEN`` / ``value: ...`` in
# YAML, ``{"name":"SLACK_BOT_TOKEN","value":"..."}`` in JSON (pod specs, Helm ``extraEnv``).
_ENV_YAML = re.compile(
    r"^(?P<head>[ \t]*(?:- )?[ \t]*name:[ \t]*[\"']?(?P<name>[A-Za-z0-9_.\-]+)[\"']?[ \t]*\n"
    r"[ \t]*value:[ \t]*)(?P<value>\S.*)$",
    re.MULTILINE,
)
_ENV_JSON = re.compile(
    r"(?P<head>\\?\"name\\?\"[ \t]*:[ \t]*\\?\"(?P<name>[A-Za-z0-9_.\-]+)\\?\"[ \t]*,[ \t]*"
    r"\\?\"value\\?\"[ \t]*:[ \t]*)(?P<value>\\?\"(?:[^\"\\]|\\[^\"])*\\?\")"
)


def _redact_env(match: re.Match[str]) -> str:
    value = match.group("value")
    if not is_secret_key(match.group("name")) or REDACTED in value:
        return match.group(0)
    quote = '\\"' if value.startswith('\\"') else value[0] if value[0] in "\"'" else ""
    return f"{match.group('head')}{quote}{REDACTED}{quote}"


def _redact_yaml_block(match: re.Match[str]) -> str:
    if not is_secret_key(match.group("key")):
        return match.group(0)
    trailer = "\n" if match.group("body").endswith("\n") else ""
    return f"{match.group('head')}{match.group('indent')}  {REDACTED}{trailer}"


def _redact_key_value(match: re.Match[str]) -> str:
    key = match.group("name")
    value = match.group("value")
    if (
        not is_secret_key(key)
        or REDACTED in value
        or value in {'""', "''", '\\"\\"'}
        or re.fullmatch(r"[|>][-+0-9]*", value)  # YAML block indicator, handled above
    ):
        return match.group(0)
    if value.startswith('\\"'):
        new_value = f'\\"{REDACTED}\\"'
    elif value[:1] in {'"', "'"}:
        new_value = f"{value[0]}{REDACTED}{value[0]}"
    else:
        new_value = REDACTED
    scheme = match.group("scheme") or ""
    return f"{match.group('key')}{match.group('sep')}{scheme}{new_value}"


def _redact_flag(match: re.Match[str]) -> str:
    if not is_secret_key(match.group("flag").lstrip("-")):
        return match.group(0)
    return f"{match.group('flag')}{match.group('sep')}{REDACTED}"


def _redact_query(match: re.Match[str]) -> str:
    if not match.group("value") or not is_secret_key(match.group("name"), query_param=True):
        return match.group(0)
    return f"{match.group('lead')}{match.group('name')}={REDACTED}"


def _redact_pem(match: re.Match[str]) -> str:
    # Keep the line structure: an escaped "\\n" inside a JSON log line, a real one in a file.
    newline = "\\n" if "\\n" in match.group(0) else "\n"
    end = match.group("end")
    tail = f"{newline}{end}" if end else ""
    return f"{match.group('begin')}{newline}{REDACTED}{tail}"


_TEXT_PASSES: Final[tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...]] = (
    (_PEM_PRIVATE_KEY, _redact_pem),
    (_YAML_BLOCK, _redact_yaml_block),
    (_ENV_YAML, _redact_env),
    (_ENV_JSON, _redact_env),
    *((pattern, r"\g<keep>" + REDACTED) for pattern in _WEBHOOK_PATHS),
    (_URL_PATH, _redact_url_path),
    (_URL_USERINFO, r"\g<scheme>" + REDACTED + "@"),
    (_BARE_USERINFO, r"\g<user>:" + REDACTED + "@"),
    (_FLAG_VALUE, _redact_flag),
    (_QUERY_PARAM, _redact_query),
    *_TOKEN_SHAPES,
    (_KEY_VALUE, _redact_key_value),
)


def redact_text(text: str) -> str:
    """Redact every secret this module knows the shape of from free text (logs, YAML, Markdown)."""
    for pattern, replacement in _TEXT_PASSES:
        text = pattern.sub(replacement, text)
    return text


def redact_bytes(data: bytes) -> bytes:
    """``redact_text`` over bytes; undecodable bytes pass through unchanged (surrogateescape)."""
    text = data.decode("utf-8", errors="surrogateescape")
    return redact_text(text).encode("utf-8", errors="surrogateescape")


def redact_file(source: Path, destination: Path) -> None:
    """Copy ``source`` to ``destination`` with its content redacted."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_bytes(redact_bytes(source.read_bytes()))


# --- structured layer --------------------------------------------------------------------------


def _blank(value: Any) -> Any:
    """The value at a secret-named key: a scalar (or a list's scalars) becomes the marker. A
    mapping is not a secret but a subtree with its own keys (a source alias such as
    ``k8s-secret-events``, an RBAC group, ``headers``): it is redacted key by key."""
    if isinstance(value, Mapping):
        return redact_values(value)
    if isinstance(value, list | tuple):
        return [redact_values(v) if isinstance(v, Mapping) else _blank(v) for v in value]
    if value is None or isinstance(value, bool) or value == "":
        return value  # "not set" is useful information and holds nothing
    return REDACTED


def _is_env_entry(value: Mapping[Any, Any]) -> bool:
    """``{name: SLACK_BOT_TOKEN, value: ...}``: the shape of ``extraEnv`` / container ``env``."""
    return "value" in value and is_secret_key(value.get("name"))


def redact_values(values: Any) -> Any:
    """A redacted deep copy of Helm values (or any YAML/JSON data); the input is never mutated."""
    if isinstance(values, Mapping):
        env_entry = _is_env_entry(values)
        out: dict[Any, Any] = {}
        for key, value in values.items():
            if is_secret_key(key) or (env_entry and key == "value"):
                out[key] = _blank(value)
            else:
                out[key] = redact_values(value)
        return out
    if isinstance(values, list | tuple):
        return [redact_values(v) for v in values]
    if isinstance(values, str):
        return redact_text(values)
    return values


def redact_strings(data: Any) -> Any:
    """A deep copy of JSON-shaped data with ``redact_text`` applied to every string, keys too.

    For reports built from a log (``diagnose``): their keys are the report's own names, not the
    user's settings, so nothing is blanked by key name, only by the shape of the text."""
    if isinstance(data, str):
        return redact_text(data)
    if isinstance(data, Mapping):
        return {redact_strings(k): redact_strings(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [redact_strings(v) for v in data]
    return data
