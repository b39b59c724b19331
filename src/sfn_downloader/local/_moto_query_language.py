"""Which query language a state without ``QueryLanguage`` uses, as Step Functions decides it.

AWS: a state's ``QueryLanguage`` "could be set and inherited from top-level" ("Transforming data
with JSONata in Step Functions"); aws-cdk-lib's state props say the same ("If the state does
not contain a queryLanguage field, then it will use the query language specified in the
top-level queryLanguage field"), and a JSONPath state is refused only under a JSONata top
level. moto 5.2.5's parser (LocalStack's of late 2024) makes a state inherit the language of
the state that *encloses* it instead, so the JSONPath states of a JSONata Map's
``ItemProcessor`` are parsed as JSONata (``Unsupported declaration in QueryLanguage=JSONPath
block: "ResultPath"``) and refused. LocalStack has since changed its parser to take the top
level's language (``_get_top_level_query_language``); this module does the same in moto's.

Delete it once moto's ``Preprocessor`` inherits from the top level (the probe in
``tests/test_moto_patches.py`` then passes).
"""

from __future__ import annotations

from typing import Any

from ._patch import Patch, constant

_PREPROCESSOR = "moto.stepfunctions.parser.asl.parse.preprocessor"


def _open_query_language_scope(self: Any, parse_tree: Any) -> None:
    """moto's ``Preprocessor._open_query_language_scope``, inheriting from the top level."""
    from moto.stepfunctions.parser.asl.antlr.runtime.ASLParser import ASLParser
    from moto.stepfunctions.parser.asl.antlt4utils.antlr4utils import is_production
    from moto.stepfunctions.parser.asl.component.common.query_language import (
        QueryLanguage,
        QueryLanguageMode,
    )

    production = is_production(parse_tree)
    if production is None:
        raise RuntimeError(f"Cannot expect QueryLanguage definition at depth: {parse_tree}")
    declared = None
    for child in production.children:
        sub = is_production(child, ASLParser.RULE_top_layer_stmt) or is_production(
            child, ASLParser.RULE_state_stmt
        )
        if sub is not None:
            child = sub.children[0]
        sub = is_production(child, ASLParser.RULE_query_language_decl)
        if sub is not None:
            declared = self.visit(sub)
            break
    scopes = self._query_language_per_scope
    if not scopes:
        scopes.append(declared if declared is not None else QueryLanguage())
        return
    top = scopes[0]
    language = declared if declared is not None else top
    if (
        top.query_language_mode == QueryLanguageMode.JSONata
        and language.query_language_mode == QueryLanguageMode.JSONPath
    ):
        raise ValueError(
            f"Cannot downgrade from JSONata context to a JSONPath context at: {parse_tree}"
        )
    scopes.append(language)


PATCHES = (
    Patch(
        name="query-language-scope",
        targets={
            f"{_PREPROCESSOR}:Preprocessor._open_query_language_scope": constant(
                _open_query_language_scope
            ),
        },
        reason=(
            "moto makes a state without QueryLanguage inherit its enclosing state's (the JSONPath "
            "iteration states of a JSONata Map are refused); 'Transforming data with JSONata in "
            "Step Functions': a state's QueryLanguage is its own or the top level's."
        ),
        upstream="moto's Preprocessor taking the top level's QueryLanguage (as LocalStack's does)",
    ),
)
