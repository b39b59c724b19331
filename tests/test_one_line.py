"""JSONata expressions on one line (``_one_line``): line breaks go, string literals stay."""

from __future__ import annotations

import pytest

from sfn_downloader._one_line import one_line, one_line_definition


@pytest.mark.parametrize(
    ("source", "rendered"),
    [
        ("{% (\n  $a := 1;\n  $a + 2\n) %}", "{% ( $a := 1; $a + 2 ) %}"),
        ("{% $a  +  1 %}", "{% $a  +  1 %}"),  # no line break: unchanged
        ('{% "keep\n  this" & $x %}', '{% "keep\n  this" & $x %}'),
        ("{% 'it\\'s\n' &\n  $x %}", "{% 'it\\'s\n' & $x %}"),
        ("{% `odd\n name` +\n 1 %}", "{% `odd\n name` + 1 %}"),
    ],
)
def test_line_breaks_outside_literals_become_one_space(source: str, rendered: str) -> None:
    assert one_line(source) == rendered


def test_a_definition_with_tokens_keeps_them_in_place() -> None:
    resolved = {
        "Fn::Join": [
            "",
            [
                '{"StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% \'',
                {"Ref": "Table"},
                '\' &\\n  $x %}","End":true}}}',
            ],
        ]
    }
    assert one_line_definition(resolved) == {
        "Fn::Join": [
            "",
            [
                '{"StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% \'',
                {"Ref": "Table"},
                '\' & $x %}","End":true}}}',
            ],
        ]
    }
