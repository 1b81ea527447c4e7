"""XLSForm skip logic (`relevant`): a real parser for the XPath subset forms use (pure).

Grammar (XPath 1.0 precedence, lowest first): `or`, `and`, `=` `!=`, `<` `<=` `>` `>=`, `+` `-`,
`*` `div` `mod`, unary `-`; operands are `${name}` references, 'strings' or "strings", numbers,
parenthesised expressions and the calls `selected(${q}, 'v')`, `count-selected(${q})`,
`not(x)`, `string-length(x)`, `number(x)`, `true()`, `false()`. `parse` turns an expression into a
tree once (a `SkipLogicError` names what it cannot read); `Expr.holds(answers)` evaluates it on
the stored answers (question name -> value; a multi answer is its list of values).

Values follow XPath: an unanswered question is the empty string; `=` compares numbers when one
side is a number, else strings; a multi answer reads as its values joined by spaces, as ODK
stores it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

TOKEN = re.compile(
    r"\s*(?:"
    + "|".join(
        [
            r"(?P<ref>\$\{\s*(?P<name>[A-Za-z_][\w.\-]*)\s*\})",  # ${name}
            r"(?P<str>'[^']*'|\"[^\"]*\")",  # 'text' or "text"
            r"(?P<num>\d+(?:\.\d*)?|\.\d+)",
            r"(?P<op><=|>=|!=|=|<|>|\+|-|\*|\(|\)|,)",
            r"(?P<word>[A-Za-z_][\w\-]*)",  # and, or, div, mod, a function's name
        ]
    )
    + ")"
)
FUNCTIONS = {
    "selected": 2,
    "count-selected": 1,
    "not": 1,
    "string-length": 1,
    "number": 1,
    "true": 0,
    "false": 0,
}
BINARY = [("or",), ("and",), ("=", "!="), ("<", "<=", ">", ">="), ("+", "-"), ("*", "div", "mod")]


class SkipLogicError(ValueError):
    pass


@dataclass(frozen=True)
class Tok:
    kind: str  # ref, str, num, op, word, end
    text: str


def tokens(expr: str) -> list[Tok]:
    out, pos = [], 0
    expr = expr or ""
    while pos < len(expr):
        if expr[pos:].strip() == "":
            break
        m = TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise SkipLogicError(f"cannot read {expr[pos:].strip()[:20]!r}")
        pos = m.end()
        if m.group("ref"):
            out.append(Tok("ref", m.group("name")))
        elif m.group("str") is not None:
            out.append(Tok("str", m.group("str")[1:-1]))
        elif m.group("num"):
            out.append(Tok("num", m.group("num")))
        elif m.group("op"):
            out.append(Tok("op", m.group("op")))
        else:
            word = m.group("word")
            out.append(Tok("op" if word in ("and", "or", "div", "mod") else "word", word))
    return out + [Tok("end", "")]


Node = tuple[Any, ...]  # ("ref", name) | ("lit", value) | ("call", name, args) | ("neg", x) | (op, a, b)


class _Parser:
    def __init__(self, toks: list[Tok]):
        self.toks, self.i = toks, 0

    def peek(self) -> Tok:
        return self.toks[self.i]

    def take(self) -> Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, text: str) -> None:
        t = self.take()
        if t.text != text or t.kind != "op":
            raise SkipLogicError(f"expected {text!r}, found {t.text or 'the end'!r}")

    def binary(self, level: int = 0) -> Node:
        if level == len(BINARY):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek().kind == "op" and self.peek().text in BINARY[level]:
            op = self.take().text
            left = (op, left, self.binary(level + 1))
        return left

    def unary(self) -> Node:
        if self.peek().kind == "op" and self.peek().text == "-":
            self.take()
            return ("neg", self.unary())
        return self.primary()

    def primary(self) -> Node:
        t = self.take()
        if t.kind == "ref":
            return ("ref", t.text)
        if t.kind == "str":
            return ("lit", t.text)
        if t.kind == "num":
            return ("lit", float(t.text))
        if t.kind == "op" and t.text == "(":
            inner = self.binary()
            self.expect(")")
            return inner
        if t.kind == "word":
            if t.text not in FUNCTIONS:
                raise SkipLogicError(f"the function {t.text}() is not supported")
            self.expect("(")
            args: list[Node] = []
            if not (self.peek().kind == "op" and self.peek().text == ")"):
                args.append(self.binary())
                while self.peek().kind == "op" and self.peek().text == ",":
                    self.take()
                    args.append(self.binary())
            self.expect(")")
            if len(args) != FUNCTIONS[t.text]:
                raise SkipLogicError(f"{t.text}() takes {FUNCTIONS[t.text]} argument(s)")
            return ("call", t.text, tuple(args))
        raise SkipLogicError(f"unexpected {t.text or 'end'!r}")


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        return " ".join(str(x) for x in v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _number(v: Any) -> float:
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)):
        return float(v)
    try:
        return float(_text(v).strip())
    except ValueError:
        return float("nan")


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return v != 0 and v == v
    return _text(v) != ""


def _chosen(v: Any) -> list[str]:
    """The values ticked in a select-multiple answer (a list, or XLSForm's space-separated text)."""
    return [str(x) for x in v] if isinstance(v, (list, tuple)) else _text(v).split()


# XPath functions of the subset, on their evaluated arguments; any other name is true() or false()
CALLS: dict[str, Callable[[list[Any]], Any]] = {
    "selected": lambda args: _text(args[1]).strip() in _chosen(args[0]),
    "count-selected": lambda args: float(len(_chosen(args[0]))),
    "not": lambda args: not _bool(args[0]),
    "string-length": lambda args: float(len(_text(args[0]))),
    "number": lambda args: _number(args[0]),
}


def _equal(a: Any, b: Any) -> bool:
    """XPath's `=`: as booleans when either side is one, else as numbers when either is, else as text."""
    if isinstance(a, bool) or isinstance(b, bool):
        return _bool(a) == _bool(b)
    if isinstance(a, (int, float)) or isinstance(b, (int, float)):
        return _number(a) == _number(b)
    return _text(a) == _text(b)


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}

NAN = float("nan")

ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "div": lambda x, y: x / y if y else NAN,
    "mod": lambda x, y: x % y if y else NAN,
}


def _binary(kind: str, a: Any, b: Any) -> Any:
    """An operator on both evaluated sides (`and` and `or` evaluate both, as they always did)."""
    if kind == "or":
        return _bool(a) or _bool(b)
    if kind == "and":
        return _bool(a) and _bool(b)
    if kind == "=":
        return _equal(a, b)
    if kind == "!=":
        return not _equal(a, b)
    if kind in COMPARE:
        return COMPARE[kind](_number(a), _number(b))
    return ARITHMETIC.get(kind, ARITHMETIC["mod"])(_number(a), _number(b))


@dataclass(frozen=True)
class Expr:
    source: str
    tree: Node

    def refs(self) -> list[str]:
        out: list[str] = []

        def walk(n: Node) -> None:
            if n[0] == "ref":
                out.append(n[1])
            elif n[0] == "call":
                for a in n[2]:
                    walk(a)
            elif n[0] in ("neg",):
                walk(n[1])
            elif n[0] != "lit":
                walk(n[1])
                walk(n[2])

        walk(self.tree)
        return out

    def holds(self, answers: dict[str, Any]) -> bool:
        return _bool(self._eval(self.tree, answers))

    def _eval(self, n: Node, answers: dict[str, Any]) -> Any:
        kind = n[0]
        if kind == "lit":
            return n[1]
        if kind == "ref":
            return answers.get(n[1])
        if kind == "neg":
            return -_number(self._eval(n[1], answers))
        if kind == "call":
            args = [self._eval(a, answers) for a in n[2]]
            call = CALLS.get(n[1])
            return call(args) if call is not None else n[1] == "true"
        return _binary(kind, self._eval(n[1], answers), self._eval(n[2], answers))


_CACHE: dict[str, Expr] = {}


def parse(expr: str) -> Expr:
    """The expression as a tree (cached); SkipLogicError when it is not in the subset."""
    hit = _CACHE.get(expr)
    if hit is not None:
        return hit
    p = _Parser(tokens(expr))
    tree = p.binary()
    if p.peek().kind != "end":
        raise SkipLogicError(f"unexpected {p.peek().text!r}")
    out = Expr(expr, tree)
    if len(_CACHE) > 1024:
        _CACHE.clear()
    _CACHE[expr] = out
    return out
