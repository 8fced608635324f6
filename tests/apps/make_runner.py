"""Runs the Make custom app definition (`apps/make`) against a live hub, as Make would.

It reads the app's files (`makecomapp.json` and the `.imljson` files it names), evaluates the
IML templates they use (`{{…}}`: paths, literals, the functions and operators below) and performs
each request they describe: the OAuth 2 connection (authorize URL, token, info, refresh), a
webhook's attach and detach, the processing of a delivery, every module and RPC, with the Base's
URL, headers and error handling. Whatever the definition uses that this runner does not know
(a function, an operator, a directive, a variable) fails loudly: a mistake in the definition
fails the tests instead of passing unnoticed.

IML as implemented here (Make's documented meaning): a string that is exactly one `{{expr}}`
gives the expression's value (number, object, array...); otherwise each `{{expr}}` is written
into the text. A path to nothing is *undefined*: a key whose value is undefined is left out of
a request's query, body and headers, as Make leaves out unmapped fields. Functions: `if`,
`ifempty`, `join`, `map`, `length`, `lower`, `replace` (a text, or a `/regex/flags` literal),
`sha256(text, 'hex'|'base64')`, `addSeconds`, `addMinutes`, `merge`, `distinct`; variables
`now`, `uuid`, `emptyarray`; operators `<`, `>`, `<=`, `>=`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid as uuidlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests


class UnsupportedIML(Exception):
    """The definition uses IML (or a directive) this runner does not implement."""


class MakeError(Exception):
    """An error the definition's `response.error` turns an API answer into."""

    def __init__(self, error_type: str, message: str, status: int) -> None:
        super().__init__(f"{error_type}: {message}")
        self.type = error_type
        self.message = message
        self.status = status


class _Undefined:
    def __repr__(self) -> str:
        return "undefined"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Any = _Undefined()


# -- IML expressions ----------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<num>\d+(?:\.\d+)?)
      | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
      | (?P<op><=|>=|<|>)
      | (?P<punct>[(),])
      | (?P<regex>/(?:[^/\\]|\\.)+/[gimsu]*)
      | (?P<other>\S)
    )""",
    re.VERBOSE,
)


def _tokens(expr: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(expr):
        if expr[pos:].strip() == "":
            break
        match = _TOKEN.match(expr, pos)
        if match is None:  # pragma: no cover - the pattern matches any non-space character
            raise UnsupportedIML(f"cannot read {expr[pos:]!r} in {{{{{expr}}}}}")
        kind = match.lastgroup or "other"
        if kind == "other":
            raise UnsupportedIML(
                f"unsupported IML operator {match.group(kind)!r} in {{{{{expr}}}}}"
            )
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    raise UnsupportedIML(f"not a date: {value!r}")


def _sha256(text: Any, encoding: Any = "hex") -> str:
    digest = hashlib.sha256(str(text).encode()).digest()
    if encoding == "hex":
        return digest.hex()
    if encoding == "base64":
        return base64.b64encode(digest).decode()
    raise UnsupportedIML(f"sha256 encoding {encoding!r} is not supported")


def _empty(value: Any) -> bool:
    return value is UNDEFINED or value is None or value == "" or value == [] or value == {}


def _map(items: Any, key: Any) -> list[Any]:
    if not isinstance(items, list):
        raise UnsupportedIML(f"map() of a non-array: {items!r}")
    return [item.get(key) if isinstance(item, dict) else UNDEFINED for item in items]


def _join(items: Any, sep: Any) -> str:
    if items is UNDEFINED or items is None:
        return ""
    if not isinstance(items, list):
        raise UnsupportedIML(f"join() of a non-array: {items!r}")
    return str(sep).join(_text(item) for item in items)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "if": lambda cond, a, b=UNDEFINED: a if (cond and cond is not UNDEFINED) else b,
    "ifempty": lambda a, b: b if _empty(a) else a,
    "join": _join,
    "map": _map,
    "length": lambda x: 0 if x is UNDEFINED or x is None else len(x),
    "lower": lambda s: UNDEFINED if s is UNDEFINED else str(s).lower(),
    "sha256": _sha256,
    "addSeconds": lambda d, n: _as_datetime(d) + timedelta(seconds=float(n)),
    "addMinutes": lambda d, n: _as_datetime(d) + timedelta(minutes=float(n)),
    "merge": lambda *lists: [x for lst in lists for x in (lst or [])],
    "distinct": lambda lst: list(dict.fromkeys(lst)),
}
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


class _Parser:
    def __init__(self, expr: str, scope: Mapping[str, Any]) -> None:
        self.expr = expr
        self.tokens = _tokens(expr)
        self.pos = 0
        self.scope = scope

    def parse(self) -> Any:
        value = self._comparison()
        if self.pos != len(self.tokens):
            raise UnsupportedIML(f"unexpected {self.tokens[self.pos][1]!r} in {{{{{self.expr}}}}}")
        return value

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise UnsupportedIML(f"{{{{{self.expr}}}}} ends too early")
        self.pos += 1
        return token

    def _comparison(self) -> Any:
        left = self._primary()
        token = self._peek()
        if token and token[0] == "op":
            self.pos += 1
            right = self._primary()
            a, b = left, right
            if isinstance(a, datetime) or isinstance(b, datetime):
                a, b = _as_datetime(a), _as_datetime(b)
            if a is UNDEFINED or b is UNDEFINED:
                return False
            return COMPARISONS[token[1]](a, b)
        return left

    def _primary(self) -> Any:
        kind, text = self._take()
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "str":
            return bytes(text[1:-1], "utf-8").decode("unicode_escape")
        if kind == "regex":
            body, flags = text[1:].rsplit("/", 1)
            unknown = set(flags) - {"g", "i"}
            if unknown:
                raise UnsupportedIML(f"regex flags {''.join(unknown)!r} are not supported")
            return _GlobalPattern(re.compile(body, re.I if "i" in flags else 0), "g" in flags)
        if kind == "name":
            nxt = self._peek()
            if nxt and nxt == ("punct", "("):
                return self._call(text)
            return self._path(text)
        raise UnsupportedIML(f"unexpected {text!r} in {{{{{self.expr}}}}}")

    def _call(self, name: str) -> Any:
        if name not in FUNCTIONS:
            raise UnsupportedIML(f"unsupported IML function {name}() in {{{{{self.expr}}}}}")
        self._take()  # (
        args: list[Any] = []
        if self._peek() != ("punct", ")"):
            while True:
                args.append(self._comparison())
                token = self._take()
                if token == ("punct", ")"):
                    break
                if token != ("punct", ","):
                    raise UnsupportedIML(f"expected , or ) in {{{{{self.expr}}}}}")
        else:
            self._take()
        if name != "replace" and any(isinstance(a, _GlobalPattern) for a in args):
            raise UnsupportedIML(f"a regex is only supported in replace(), not {name}()")
        return FUNCTIONS[name](*args)

    def _path(self, text: str) -> Any:
        root, *rest = text.split(".")
        if root == "now" and not rest:
            return self.scope["now"]
        if root == "uuid" and not rest:
            return str(uuidlib.uuid4())
        if root == "emptyarray" and not rest:
            return []
        if root in ("true", "false") and not rest:
            return root == "true"
        if root == "null" and not rest:
            return None
        if root not in self.scope:
            raise UnsupportedIML(f"unknown IML variable {root!r} in {{{{{self.expr}}}}}")
        value = self.scope[root]
        for part in rest:
            if isinstance(value, dict):
                value = value.get(part, UNDEFINED)
            elif isinstance(value, list) and part.isdigit():
                index = int(part) - 1  # IML arrays count from 1
                value = value[index] if 0 <= index < len(value) else UNDEFINED
            else:
                return UNDEFINED
        return value


class _GlobalPattern:
    """A `/regex/flags` literal: `g` replaces every match, as in JavaScript."""

    def __init__(self, pattern: re.Pattern[str], every: bool) -> None:
        self.pattern = pattern
        self.every = every


def _replace_any(text: Any, pattern: Any, replacement: Any) -> str:
    text = "" if text is UNDEFINED or text is None else str(text)
    if isinstance(pattern, _GlobalPattern):
        return pattern.pattern.sub(str(replacement), text, count=0 if pattern.every else 1)
    return text.replace(str(pattern), str(replacement))


FUNCTIONS["replace"] = _replace_any


def evaluate(expr: str, scope: Mapping[str, Any]) -> Any:
    """The value of one IML expression (the text between `{{` and `}}`)."""
    return _Parser(expr, scope).parse()


_TEMPLATE = re.compile(r"\{\{((?:(?!\}\}).)*)\}\}", re.S)


def _text(value: Any) -> str:
    if value is UNDEFINED or value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def render(value: Any, scope: Mapping[str, Any]) -> Any:
    """An IML value (string, object, array) with every `{{…}}` evaluated in `scope`."""
    if isinstance(value, str):
        whole = _TEMPLATE.fullmatch(value)
        if whole:
            return evaluate(whole.group(1), scope)
        return _TEMPLATE.sub(lambda m: _text(evaluate(m.group(1), scope)), value)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            rendered = render(item, scope)
            if rendered is not UNDEFINED:
                out[key] = rendered
        return out
    if isinstance(value, list):
        return [render(item, scope) for item in value]
    return value


def plain(value: Any) -> Any:
    """A rendered value as JSON can carry it (datetimes as ISO text)."""
    if isinstance(value, datetime):
        return _text(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if v is not UNDEFINED}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


# -- the definition -----------------------------------------------------------------------------

# What the runner knows of a request specification and of its `response`.
REQUEST_KEYS = {
    "url",
    "method",
    "headers",
    "qs",
    "body",
    "type",
    "condition",
    "response",
    "pagination",
    "log",
    "temp",
}
RESPONSE_KEYS = {
    "output",
    "iterate",
    "limit",
    "data",
    "temp",
    "error",
    "metadata",
    "uid",
    "expires",
    "valid",
}
MODULE_TYPES = {"instant_trigger", "action", "search"}


@dataclass
class Definition:
    """The app's files, read from `makecomapp.json`."""

    root: Path
    manifest: dict[str, Any]
    base: dict[str, Any]
    common: dict[str, Any]

    @classmethod
    def load(cls, root: Path) -> Definition:
        manifest = json.loads((root / "makecomapp.json").read_text())
        general = manifest["generalCodeFiles"]
        definition = cls(root, manifest, {}, {})
        definition.base = definition.file(general["base"])
        definition.common = definition.file(general["common"])
        return definition

    def file(self, relative: str) -> Any:
        path = self.root / relative
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise AssertionError(f"{relative}: not readable JSON ({exc})") from exc

    def component(self, kind: str, name: str) -> dict[str, Any]:
        found = self.manifest["components"][kind].get(name)
        if found is None:
            raise AssertionError(f"no {kind} {name!r} in makecomapp.json")
        return dict(found)

    def code(self, kind: str, name: str, code: str) -> Any:
        files = self.component(kind, name)["codeFiles"]
        if code not in files:
            raise AssertionError(f"{kind} {name!r} has no {code} file")
        return self.file(files[code])


@dataclass
class Response:
    """A response as IML sees it."""

    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class Connection:
    """A connection made through the definition: its `data` and metadata."""

    data: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)
    uid: Any = None


class MakeApp:
    """The definition, run against a server: `common` overrides its common data (the address
    and the OAuth client, as the app's owner fills them in), `oauth` gives the redirect URI
    Make would use."""

    def __init__(
        self,
        root: Path,
        common: dict[str, Any],
        connection_common: dict[str, Any],
        redirect_uri: str,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.definition = Definition.load(root)
        self.common = {**self.definition.common, **common}
        self.connection_name = next(iter(self.definition.manifest["components"]["connection"]))
        self.connection_common = {
            **self.definition.code("connection", self.connection_name, "common"),
            **connection_common,
        }
        self.redirect_uri = redirect_uri
        self.clock = clock or (lambda: datetime.now(UTC))
        self.http = requests.Session()
        self.sent: list[requests.PreparedRequest] = []
        self._check_manifest()

    # -- structure --------------------------------------------------------------------------

    def _check_manifest(self) -> None:
        components = self.definition.manifest["components"]
        for name, meta in components["module"].items():
            assert meta.get("moduleType") in MODULE_TYPES, f"module {name}: unknown moduleType"
            assert meta.get("connection") in components["connection"], f"module {name}: connection"
            if meta["moduleType"] == "instant_trigger":
                assert meta.get("webhook") in components["webhook"], f"module {name}: webhook"
            for code, path in meta["codeFiles"].items():
                self.definition.file(path)  # every file exists and is JSON
                if code == "mappableParams":
                    for param in self.definition.file(path):
                        options = param.get("options")
                        if isinstance(options, str):
                            assert options.startswith("rpc://"), f"{name}.{param['name']}: options"
                            assert options[6:] in components["rpc"], f"{name}: no RPC {options}"

    # -- requests ---------------------------------------------------------------------------

    def _scope(self, **extra: Any) -> dict[str, Any]:
        return {"now": self.clock(), **extra}

    def request(
        self, spec: dict[str, Any], scope: dict[str, Any], *, use_base: bool
    ) -> list[tuple[Response, dict[str, Any]]]:
        """Perform a request specification (with its pagination); each page's response."""
        unknown = set(spec) - REQUEST_KEYS
        if unknown:
            raise UnsupportedIML(f"unsupported request directive(s) {sorted(unknown)}")
        unknown = set(spec.get("response", {})) - RESPONSE_KEYS
        if unknown:
            raise UnsupportedIML(f"unsupported response directive(s) {sorted(unknown)}")
        if "condition" in spec and not render(spec["condition"], scope):
            return []
        pages: list[tuple[Response, dict[str, Any]]] = []
        page = 1
        while True:
            page_scope = {**scope, "pagination": {"page": page}}
            response = self._send(spec, page_scope, use_base=use_base)
            response_scope = {
                **page_scope,
                "body": response.body,
                "headers": response.headers,
                "statusCode": response.status,
            }
            self._raise_for_error(spec, response, response_scope, use_base=use_base)
            pages.append((response, response_scope))
            more = spec.get("pagination", {}).get("condition")
            if not more or not render(more, response_scope) or page >= 50:
                return pages
            page += 1

    def _send(self, spec: dict[str, Any], scope: dict[str, Any], *, use_base: bool) -> Response:
        base = self.definition.base if use_base else {}
        url = str(render(spec["url"], scope))
        if url.startswith("/"):
            if not use_base:
                raise AssertionError(f"relative URL {url} outside of the Base")
            url = str(render(base["baseUrl"], scope)) + url
        headers = {
            **render(base.get("headers", {}), scope),
            **render(spec.get("headers", {}), scope),
        }
        qs = plain(render(spec.get("qs", {}), scope))
        method = str(spec.get("method", "GET")).upper()
        kind = spec.get("type", "json")
        body = plain(render(spec["body"], scope)) if "body" in spec else None
        kwargs: dict[str, Any] = {"headers": {k: str(v) for k, v in headers.items()}, "timeout": 30}
        if qs:
            kwargs["params"] = qs
        if body is not None and method != "GET":
            if kind == "urlencoded":
                kwargs["data"] = body
            elif kind == "json":
                kwargs["json"] = body
            else:
                raise UnsupportedIML(f"unsupported request type {kind!r}")
        answer = self.http.request(method, url, **kwargs)
        self.sent.append(answer.request)
        try:
            parsed: Any = answer.json() if answer.content else UNDEFINED
        except ValueError:
            parsed = answer.text
        return Response(answer.status_code, dict(answer.headers), parsed)

    def _raise_for_error(
        self, spec: dict[str, Any], response: Response, scope: dict[str, Any], *, use_base: bool
    ) -> None:
        if response.status < 400:
            return
        error = spec.get("response", {}).get("error")
        if error is None and use_base:
            error = self.definition.base.get("response", {}).get("error")
        if error is None:
            raise MakeError(
                "RuntimeError", f"[{response.status}] (no error handling)", response.status
            )
        chosen = error.get(str(response.status), error)
        message = _text(render(chosen.get("message", error.get("message", "")), scope))
        error_type = str(render(chosen.get("type", error.get("type", "RuntimeError")), scope))
        raise MakeError(error_type, message, response.status)

    def _outputs(
        self, spec: dict[str, Any], pages: list[tuple[Response, dict[str, Any]]]
    ) -> list[Any]:
        response_spec = spec.get("response", {})
        outputs: list[Any] = []
        for _response, scope in pages:
            if "iterate" in response_spec:
                items = render(response_spec["iterate"], scope)
                assert isinstance(items, list), f"iterate gave {items!r}"
                for item in items:
                    item_scope = {**scope, "item": item}
                    outputs.append(
                        plain(render(response_spec.get("output", "{{item}}"), item_scope))
                    )
            elif "output" in response_spec:
                outputs.append(plain(render(response_spec["output"], scope)))
        if "limit" in response_spec and pages:
            limit = render(response_spec["limit"], pages[0][1])
            if limit is not UNDEFINED:
                outputs = outputs[: int(limit)]
        return outputs

    # -- the connection ---------------------------------------------------------------------

    def _oauth(self) -> dict[str, Any]:
        scope = self.definition.code("connection", self.connection_name, "defaultScope")
        return {"scope": scope, "localRedirectUri": self.redirect_uri}

    def _connection_scope(self, **extra: Any) -> dict[str, Any]:
        return self._scope(common=self.connection_common, oauth=self._oauth(), **extra)

    def authorize_url(self) -> tuple[str, dict[str, Any]]:
        """The authorization URL Make opens, and the `temp` kept until the token request."""
        spec = self.definition.code("connection", self.connection_name, "communication")[
            "authorize"
        ]
        scope = self._connection_scope(parameters={})
        temp = plain(render(spec.get("temp", {}), scope))
        scope["temp"] = temp
        url = str(render(spec["url"], scope))
        qs = plain(render(spec.get("qs", {}), scope))
        qs.setdefault("state", "make-state")  # Make adds the state itself
        return f"{url}?{urlencode(qs)}", temp

    def finish_authorization(self, temp: dict[str, Any], query: dict[str, str]) -> Connection:
        """After the redirect: `authorize.response.temp`, then `token`, then `info`."""
        communication = self.definition.code("connection", self.connection_name, "communication")
        scope = self._connection_scope(parameters={}, temp=temp, query=query)
        temp = {
            **temp,
            **plain(render(communication["authorize"].get("response", {}).get("temp", {}), scope)),
        }
        scope["temp"] = temp
        data = self._token_step(communication["token"], scope, {})
        connection = Connection(data)
        self.info(connection)
        return connection

    def _token_step(
        self, spec: dict[str, Any], scope: dict[str, Any], data: dict[str, Any]
    ) -> dict[str, Any]:
        [(_response, response_scope)] = self.request(spec, scope, use_base=False)
        saved = render(spec.get("response", {}).get("data", {}), response_scope)
        return {**data, **plain(saved)}

    def info(self, connection: Connection) -> None:
        """The connection's `info` call: validates it, sets its metadata and uid."""
        spec = self.definition.code("connection", self.connection_name, "communication")["info"]
        scope = self._connection_scope(
            parameters={}, data=connection.data, connection=connection.data
        )
        [(_response, response_scope)] = self.request(spec, scope, use_base=False)
        response_spec = spec.get("response", {})
        connection.metadata = plain(render(response_spec.get("metadata", {}), response_scope))
        connection.uid = plain(render(response_spec.get("uid", UNDEFINED), response_scope))

    def refresh_if_due(self, connection: Connection) -> bool:
        """Make's check before a run: `refresh.condition`, then the refresh request."""
        spec = self.definition.code("connection", self.connection_name, "communication")["refresh"]
        scope = self._connection_scope(
            parameters={}, data=connection.data, connection=connection.data
        )
        if not render(spec["condition"], scope):
            return False
        body_spec = {k: v for k, v in spec.items() if k != "condition"}
        connection.data = self._token_step(body_spec, scope, connection.data)
        return True

    # -- webhooks, modules, RPCs ------------------------------------------------------------

    def _component_scope(self, connection: Connection, **extra: Any) -> dict[str, Any]:
        return self._scope(common=self.common, connection=connection.data, **extra)

    def attach(self, webhook: str, connection: Connection, url: str) -> dict[str, Any]:
        """The webhook's attach procedure for `url`; the webhook's data for detach."""
        spec = self.definition.code("webhook", webhook, "attach")
        scope = self._component_scope(connection, webhook={"url": url}, parameters={})
        [(_response, response_scope)] = self.request(spec, scope, use_base=True)
        return {
            "url": url,
            **plain(render(spec.get("response", {}).get("data", {}), response_scope)),
        }

    def detach(self, webhook: str, connection: Connection, data: dict[str, Any]) -> None:
        """The webhook's detach procedure."""
        spec = self.definition.code("webhook", webhook, "detach")
        self.request(
            spec, self._component_scope(connection, webhook=data, parameters={}), use_base=True
        )

    def receive(
        self, module: str, body: Any, headers: dict[str, str], connection: Connection
    ) -> list[Any]:
        """What the instant trigger outputs for one delivery (the webhook's communication)."""
        meta = self.definition.component("module", module)
        spec = self.definition.code("webhook", meta["webhook"], "communication")
        unknown = set(spec) - {"output", "iterate", "condition", "respond", "verification", "uid"}
        if unknown:
            raise UnsupportedIML(f"unsupported webhook directive(s) {sorted(unknown)}")
        scope = self._component_scope(
            connection, body=body, headers=headers, query={}, method="POST", parameters={}, data={}
        )
        if "condition" in spec and not render(spec["condition"], scope):
            return []
        if "iterate" in spec:
            items = render(spec["iterate"], scope)
            return [
                plain(render(spec.get("output", "{{item}}"), {**scope, "item": i})) for i in items
            ]
        return [plain(render(spec.get("output", "{{body}}"), scope))]

    def rpc(
        self, name: str, connection: Connection, parameters: dict[str, Any] | None = None
    ) -> list[Any]:
        """An RPC's options (`{label, value}` for a select)."""
        spec = self.definition.code("rpc", name, "communication")
        pages = self.request(
            spec, self._component_scope(connection, parameters=parameters or {}), use_base=True
        )
        return self._outputs(spec, pages)

    def run(self, module: str, connection: Connection, parameters: dict[str, Any]) -> list[Any]:
        """A module's call with mapped `parameters` (checked against its mappable parameters)."""
        meta = self.definition.component("module", module)
        self._check_parameters(module, connection, parameters)
        spec = self.definition.code("module", module, "communication")
        pages = self.request(
            spec, self._component_scope(connection, parameters=parameters), use_base=True
        )
        outputs = self._outputs(spec, pages)
        interface = self.definition.code("module", module, "interface")
        for output in outputs:
            missing = [f["name"] for f in interface if f["name"] not in output]
            assert not missing, f"{module}: output lacks interface fields {missing}"
        if meta["moduleType"] == "action":
            assert len(outputs) == 1, f"{module}: an action outputs one bundle, not {len(outputs)}"
        return outputs

    def _check_parameters(
        self, module: str, connection: Connection, parameters: dict[str, Any]
    ) -> None:
        expect = self.definition.code("module", module, "mappableParams")
        known = {p["name"]: p for p in expect}
        unknown = set(parameters) - set(known)
        assert not unknown, f"{module}: no such parameter(s) {sorted(unknown)}"
        for name, param in known.items():
            if param.get("required") and name not in parameters:
                raise AssertionError(f"{module}: parameter {name} is required")
            if name not in parameters:
                continue
            value = parameters[name]
            kind = param["type"]
            if kind == "select":
                options = param["options"]
                values = (
                    [o["value"] for o in self.rpc(options[6:], connection)]
                    if isinstance(options, str)
                    else [o["value"] for o in options]
                )
                assert value in values, f"{module}.{name}: {value!r} is not one of its options"
            elif kind == "uinteger":
                assert isinstance(value, int) and value >= 0, f"{module}.{name}: {value!r}"
            elif kind == "boolean":
                assert isinstance(value, bool), f"{module}.{name}: {value!r}"
            elif kind == "date":
                _as_datetime(value)
            elif kind == "email":
                assert isinstance(value, str) and "@" in value, f"{module}.{name}: {value!r}"
            elif kind == "collection":
                specs = {s["name"] for s in param["spec"]}
                assert isinstance(value, dict) and set(value) <= specs, (
                    f"{module}.{name}: {value!r}"
                )
            elif kind == "array":
                assert isinstance(value, list), f"{module}.{name}: {value!r}"
            elif kind == "text":
                assert isinstance(value, str), f"{module}.{name}: {value!r}"
            else:
                raise UnsupportedIML(
                    f"{module}.{name}: parameter type {kind!r} unknown to the runner"
                )
