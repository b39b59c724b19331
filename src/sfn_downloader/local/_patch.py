"""What the local runner changes in moto, as data: one ``Patch`` a behaviour, each owning the
private moto attributes it replaces (an attribute belongs to one patch only), why, and the
upstream change that would delete it; ``Patches`` installs them all once, while any runner is
open, and the moto versions they were tested against (``check_moto_version``).

Two kinds: a *fix* stands in for something moto lacks or gets wrong against AWS's documents;
``tests/test_moto_patches.py`` runs its behaviour on unpatched moto as a strict xfail, so the
suite fails the day moto fixes it (and the patch can go). A *feature* is the runner's own
(recording retry sleeps, pinned clients, parse reuse): it stays.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Literal

from .errors import LocalRunnerError

LOWEST_MOTO = (5, 2, 5)
"""The lowest moto the patches were tested against (CI installs it: ``make test``)."""
BELOW_MOTO = (5, 3)
"""The first moto release not admitted: a minor release may move the internals patched here."""
SUPPORTED_MOTO_RANGE = ">=5.2.5,<5.3"
"""The range ``pip install 'sfn-downloader[local]'`` admits (pyproject's ``local`` extra)."""
TESTED_MOTO_VERSIONS = ("5.2.5", "5.2.6")
"""The releases of that range the suite passed on (``make test``, ``make test-moto-latest``)."""

Replacement = Callable[[Any], Any]
"""Given the attribute's current value (``None`` when the owner only inherits it), the value to
install instead."""


class UnsupportedMotoVersionError(LocalRunnerError):
    """The installed moto is outside the range the local runner's patches were tested on."""


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version.split("+")[0])[:3])


def check_moto_version(installed: str | None = None) -> None:
    """Raise ``UnsupportedMotoVersionError`` unless moto is within ``SUPPORTED_MOTO_RANGE``.

    The patches replace private attributes of moto's interpreter; outside the tested range
    they may have moved or been fixed, and a silent mismatch would make local runs lie.

    :param installed: The version to check. Default: the installed moto's version.
    """
    if installed is None:
        try:
            installed = metadata.version("moto")
        except metadata.PackageNotFoundError:
            installed = None
    if installed is not None and LOWEST_MOTO <= _release(installed) < BELOW_MOTO:
        return
    found = f"moto {installed} is installed" if installed else "moto is not installed"
    raise UnsupportedMotoVersionError(
        f"sfn_downloader.local supports moto{SUPPORTED_MOTO_RANGE} (tested: "
        f"{', '.join(TESTED_MOTO_VERSIONS)}), but {found}. Fix: pip install "
        f"'sfn-downloader[local]' (or 'moto{SUPPORTED_MOTO_RANGE}'); if moto was upgraded on "
        "purpose, run tests/test_moto_patches.py against it and update "
        "sfn_downloader/local/_patch.py's range."
    )


@dataclass(frozen=True)
class Patch:
    """One behaviour the local runner changes in moto, and the attributes it owns.

    :param name: A short name (the key of its probe in ``tests/test_moto_patches.py``).
    :param targets: ``"module:Owner.attribute"`` (or ``"module:attribute"``) → replacement.
    :param reason: What moto does, what AWS documents, and the page that says so.
    :param upstream: The upstream issue or change that would delete it (``kind="fix"``), or why
        it stays (``kind="feature"``).
    """

    name: str
    targets: Mapping[str, Replacement]
    reason: str
    upstream: str
    kind: Literal["fix", "feature"] = "fix"


_MISSING = object()


@dataclass
class Patches:
    """The registry: installed once while any ``installed()`` context is open, then undone."""

    patches: tuple[Patch, ...]
    _count: int = 0
    _saved: list[tuple[Any, str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        owners: dict[str, str] = {}
        for patch in self.patches:
            for target in patch.targets:
                if target in owners:
                    raise ValueError(
                        f"{target} is patched by both {owners[target]!r} and {patch.name!r}: "
                        "one patch must own it (merge the replacements)."
                    )
                owners[target] = patch.name

    def by_name(self, name: str) -> Patch:
        return next(patch for patch in self.patches if patch.name == name)

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Every patch applied while the context is open (re-entrant, thread-safe)."""
        check_moto_version()
        with self._lock:
            if self._count == 0:
                self._apply()
            self._count += 1
        try:
            yield
        finally:
            with self._lock:
                self._count -= 1
                if self._count == 0:
                    self._undo()

    def _apply(self) -> None:
        try:
            for patch in self.patches:
                for target, replacement in patch.targets.items():
                    owner, attribute = resolve(target)
                    saved = vars(owner).get(attribute, _MISSING)
                    current = getattr(owner, attribute, None) if saved is _MISSING else saved
                    self._saved.append((owner, attribute, saved))
                    setattr(owner, attribute, replacement(current))
        except BaseException:
            self._undo()
            raise

    def _undo(self) -> None:
        while self._saved:
            owner, attribute, saved = self._saved.pop()
            if saved is _MISSING:
                delattr(owner, attribute)
            else:
                setattr(owner, attribute, saved)


def resolve(target: str) -> tuple[Any, str]:
    """The object that holds ``target``'s attribute, and the attribute's name."""
    module_name, _, path = target.partition(":")
    owner: Any = importlib.import_module(module_name)
    *parents, attribute = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    return owner, attribute


def constant(value: Any) -> Replacement:
    """A replacement that ignores the original: ``value`` itself."""
    return lambda original: value


def keeping(originals: dict[str, Any], key: str, replacement: Any) -> Replacement:
    """A replacement that is ``replacement``, the original kept in ``originals[key]`` for it to
    call."""

    def replace(original: Any) -> Any:
        originals[key] = original
        return replacement

    return replace
